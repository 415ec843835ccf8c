//! What the load suites read about the `wharfd` process under test: its
//! resident memory now (`VmRSS`) and at its peak (`VmHWM`) from
//! `/proc/<pid>/status`, the CPU time it has used from `/proc/<pid>/stat`
//! (which a loaded machine does not distort, unlike wall time), and its
//! limit on open files, which they raise for the server and for the test
//! process alike (10,000 sessions are 10,000 sockets on each side).

use super::server::Server;

/// `RLIMIT_NOFILE`, through the `rlimit` crate.
const NOFILE: rlimit::Resource = rlimit::Resource::NOFILE;

impl Server {
    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now, in KiB (`VmRSS`).
    pub(crate) fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS")
    }

    /// The most resident memory the server has had so far, in KiB
    /// (`VmHWM`, the high-water mark the kernel keeps).
    pub(crate) fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM")
    }

    /// CPU seconds (user + system) the server has used so far.
    pub(crate) fn cpu_seconds(&self) -> f64 {
        let path = format!("/proc/{}/stat", self.pid());
        let stat = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {path} (has wharfd exited?): {e}"));
        // The fields after the command name, which is in parentheses and
        // may hold spaces: the state is the first, utime and stime the
        // 12th and 13th (fields 14 and 15 of proc(5)).
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11..13]
            .iter()
            .map(|field| field.parse::<u64>().expect("a tick count"))
            .sum();
        // Linux reports them in USER_HZ, 1/100 s.
        ticks as f64 / 100.0
    }

    /// A `kB` line of `/proc/<pid>/status`.
    fn status_kib(&self, key: &str) -> u64 {
        let path = format!("/proc/{}/status", self.pid());
        let status = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {path} (has wharfd exited?): {e}"));
        status
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {path}"))
    }

    /// Raises the server's limit on open files to at least `files` (soft
    /// and hard) with `prlimit(2)`, and returns the soft limit now in
    /// force.
    pub(crate) fn raise_open_files(&self, files: u64) -> u64 {
        let pid = i32::try_from(self.pid()).expect("a pid fits an i32");
        let (mut soft, mut hard) = (0, 0);
        rlimit::prlimit(pid, NOFILE, None, Some((&mut soft, &mut hard)))
            .expect("read wharfd's RLIMIT_NOFILE");
        if soft < files {
            let hard = hard.max(files);
            rlimit::prlimit(pid, NOFILE, Some((files, hard)), None).unwrap_or_else(|e| {
                panic!("raise wharfd's RLIMIT_NOFILE to {files} (needs root past {hard}): {e}")
            });
            soft = files;
        }
        soft
    }
}

/// Raises this (the test) process's limit on open files to at least
/// `files`, and so that of every process it starts afterwards; the hard
/// limit too when it is lower, which needs root (CI runs as root). Never
/// lowers a limit.
pub(crate) fn raise_own_open_files(files: u64) {
    let (soft, hard) = rlimit::getrlimit(NOFILE).expect("read RLIMIT_NOFILE");
    if soft >= files {
        return;
    }
    let hard = hard.max(files);
    rlimit::setrlimit(NOFILE, files, hard).unwrap_or_else(|e| {
        panic!("raise RLIMIT_NOFILE to {files} (needs root past the hard limit): {e}")
    });
}
