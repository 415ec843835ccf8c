//! CPU time and resident memory of a server's whole process tree, from
//! /proc: the server's pid and every live descendant (found through the
//! parent pid in each `/proc/<pid>/stat`), so that forking servers, which
//! serve each session in a child, are measured in full.
//!
//! A child's CPU time moves into its parent's `cutime`/`cstime` when the
//! parent reaps it, so the tree's CPU time is the sum over its live members
//! of `utime + stime + cutime + cstime`: a session process that ended
//! between two readings is still counted, through its parent. (Children a
//! parent never waits for, with SIGCHLD ignored, are lost at exit; none of
//! the servers compared here do that for their sessions as far as the
//! numbers show.)

use std::collections::HashMap;

/// Linux reports process times, and /proc/stat its CPU times, in clock
/// ticks of 1/100 s (USER_HZ).
pub const TICKS_PER_SECOND: f64 = 100.0;

/// One process, from `/proc/<pid>/stat`.
struct Stat {
    ppid: u32,
    /// utime + stime + cutime + cstime, in ticks.
    ticks: u64,
}

fn read_stat(pid: u32) -> Option<Stat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may
    // itself hold spaces or parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is the state (field 3); ppid is field 4, utime..cstime 14..17.
    let ppid = fields.get(1)?.parse().ok()?;
    let mut ticks = 0u64;
    for field in fields.get(11..15)? {
        ticks += field.parse::<u64>().ok()?;
    }
    Some(Stat { ppid, ticks })
}

/// Every live process with its stat.
fn all_processes() -> HashMap<u32, Stat> {
    let mut all = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some(stat) = read_stat(pid) {
            all.insert(pid, stat);
        }
    }
    all
}

/// `root` and its live descendants, with their stats; empty if `root` is
/// gone.
fn tree(root: u32) -> Vec<(u32, Stat)> {
    let mut all = all_processes();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, stat) in &all {
        children.entry(stat.ppid).or_default().push(pid);
    }
    let mut members = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        let Some(stat) = all.remove(&pid) else {
            continue;
        };
        if let Some(kids) = children.get(&pid) {
            queue.extend(kids);
        }
        members.push((pid, stat));
    }
    members
}

/// CPU seconds (user + system) used so far by `root`'s tree, reaped
/// children included; `None` if `root` is gone.
pub fn cpu_seconds(root: u32) -> Option<f64> {
    let members = tree(root);
    if members.is_empty() {
        return None;
    }
    let ticks: u64 = members.iter().map(|(_, stat)| stat.ticks).sum();
    Some(ticks as f64 / TICKS_PER_SECOND)
}

/// The sum of fields `range` of `/proc/self/stat`, counted from the
/// state (field 3) on, in seconds.
fn own_stat_seconds(range: std::ops::Range<usize>) -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let mut ticks = 0u64;
    for field in fields.get(range)? {
        ticks += field.parse::<u64>().ok()?;
    }
    Some(ticks as f64 / TICKS_PER_SECOND)
}

/// CPU seconds (user + system) used so far by this process alone: its
/// threads, without the children it started (the built-in wharfd is one).
pub fn own_cpu_seconds() -> Option<f64> {
    // utime and stime are fields 14 and 15.
    own_stat_seconds(11..13)
}

/// CPU seconds (user + system) of the children this process has reaped so
/// far (curl in `retr-big-curl`; the built-in wharfd is reaped only at
/// the end).
pub fn reaped_children_cpu_seconds() -> Option<f64> {
    // cutime and cstime are fields 16 and 17.
    own_stat_seconds(13..15)
}

/// How many processes `root`'s tree holds now.
pub fn process_count(root: u32) -> usize {
    tree(root).len()
}

/// Resident memory of `root`'s tree in KiB: VmRSS of `/proc/<pid>/status`
/// summed over its members (pages shared between them count once per
/// process); `None` if `root` is gone.
pub fn rss_kib(root: u32) -> Option<u64> {
    let members = tree(root);
    if members.is_empty() {
        return None;
    }
    let mut total = 0;
    for (pid, _) in members {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let rss = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| {
                value
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            });
        total += rss.unwrap_or(0);
    }
    Some(total)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Spends at least `seconds` of CPU in this thread.
    fn spin(seconds: f64) {
        let start = own_cpu_seconds().unwrap();
        let mut x = 0u64;
        while own_cpu_seconds().unwrap() - start < seconds {
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        }
    }

    /// Held by every test that spends CPU or starts a child, here and in
    /// `machine.rs`: this process's own CPU and its reaped children's are
    /// counted for the whole process, and tests run side by side.
    pub(crate) static CPU_COUNTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Runs and reaps a child that does a fixed amount of work (about 0.3 s
    /// of CPU here; CPU time, so it does not shrink on a busy machine).
    fn reap_busy_child() {
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn reaped_children_count_once_reaped_and_this_process_does_not() {
        let _counts = CPU_COUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let before = reaped_children_cpu_seconds().unwrap();
        spin(0.05);
        assert!(
            reaped_children_cpu_seconds().unwrap() - before < 0.02,
            "this process's own CPU counted as its children's"
        );
        reap_busy_child();
        let reaped = reaped_children_cpu_seconds().unwrap() - before;
        assert!(reaped >= 0.1, "the reaped child's CPU is {reaped} s");
    }

    #[test]
    fn own_cpu_counts_this_process_and_not_its_children() {
        let _counts = CPU_COUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let before = own_cpu_seconds().unwrap();
        let tree_before = cpu_seconds(std::process::id()).unwrap();
        spin(0.05);
        reap_busy_child();
        let own = own_cpu_seconds().unwrap() - before;
        let child = cpu_seconds(std::process::id()).unwrap() - tree_before - own;
        assert!(own >= 0.05, "own CPU grew by {own} s");
        assert!(
            child >= 0.1,
            "the child's {child} s are missing from the tree"
        );
        assert!(
            own < 0.05 + child / 2.0,
            "own CPU {own} s includes the child's {child} s"
        );
    }
}
