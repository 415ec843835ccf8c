//! The whole machine's busy CPU time, from the first line of /proc/stat.
//!
//! On loopback the kernel charges the TCP work of a transfer to whichever
//! task is running when it happens: the sender, the receiver, a softirq
//! thread, or no task at all (interrupt time). A server's own CPU and the
//! client's therefore split one cost in a way that moves with their
//! rhythm, and part of it lands in neither. The machine's figure over the
//! same window counts all of it, once.
//!
//! proc(5): `cpu  user nice system idle iowait irq softirq steal guest
//! guest_nice`, in USER_HZ ticks summed over all CPUs. Busy is user,
//! nice, system, irq and softirq: idle and iowait are waiting, steal is
//! time the hypervisor gave to another machine, and guest time is already
//! inside user (and guest_nice inside nice).

use crate::proctree::TICKS_PER_SECOND;

/// Busy ticks of the `cpu` line of a /proc/stat text; `None` if the
/// line is missing or short.
fn busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields = line
        .split_whitespace()
        .skip(1)
        .map(str::parse::<u64>)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let [user, nice, system, _idle, _iowait, irq, softirq, ..] = fields[..] else {
        return None;
    };
    Some(user + nice + system + irq + softirq)
}

/// Busy CPU seconds of all CPUs since boot; `None` if /proc/stat cannot
/// be read.
pub fn busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    Some(busy_ticks(&stat)? as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_is_user_nice_system_irq_and_softirq() {
        let stat = "cpu  100 2 30 5000 7 1 4 9 11 0\n\
                    cpu0 50 1 15 2500 3 0 2 4 5 0\n\
                    intr 12345\n";
        assert_eq!(busy_ticks(stat), Some(100 + 2 + 30 + 1 + 4));
        // Older kernels stop after softirq (or after steal).
        assert_eq!(busy_ticks("cpu  1 2 3 4 5 6 7\n"), Some(1 + 2 + 3 + 6 + 7));
        assert_eq!(busy_ticks("cpu  1 2 3 4 5 6\n"), None);
        assert_eq!(busy_ticks("cpu0 1 2 3 4 5 6 7 8\n"), None);
        assert_eq!(busy_ticks("cpu  1 2 x 4 5 6 7 8\n"), None);
    }

    /// A thread that spins for a while shows up in the machine's figure.
    #[test]
    fn spinning_is_counted() {
        let _counts = crate::proctree::tests::CPU_COUNTS
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let before = busy_seconds().unwrap();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed().as_secs_f64() < 0.2 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
        }
        let busy = busy_seconds().unwrap() - before;
        assert!(busy >= 0.1, "0.2 s of spinning counted as {busy} s");
    }
}
