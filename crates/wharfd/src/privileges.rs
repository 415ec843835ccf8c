//! Giving up root after binding, as vsftpd and ProFTPD do.
//!
//! Started as root (to bind port 21 or 990), wharfd binds every listener,
//! then becomes the `run_as` user for good: supplementary groups from the
//! group database (`initgroups`), then `setresgid`, then `setresuid`, all
//! three ids of each. These go through glibc (the `nix` crate calls libc),
//! which applies them to every thread of the process: the raw system calls
//! change only the calling thread on Linux, and the Tokio runtime already
//! has threads by then. Afterwards the drop is checked, not assumed: the
//! real, effective and saved ids must be the user's, `setuid(0)` must fail
//! (the process aborts if it works), and every thread listed in
//! `/proc/self/task` must show the new ids and no capability beyond the
//! one kept.
//!
//! One capability may be kept: `CAP_NET_BIND_SERVICE`, when sessions need
//! to bind a port below 1024 after the drop, which is the RFC 959 default
//! data port (control port minus one, 20 beside 21) unless
//! `--default-data-source-port` names another, or a passive range below
//! 1024. Capabilities, unlike ids, are per thread and glibc does not
//! spread them, so the drop runs on the main thread, outside the runtime
//! that bound the listeners, and `main` starts a second runtime afterwards
//! whose threads inherit the main thread's state: `PR_SET_KEEPCAPS` across
//! `setresuid`, then `capset` down to that one capability (permitted and
//! effective; inheritable empty). The first runtime's threads keep
//! running the listeners' I/O driver with the new ids and no capability
//! at all. Without that need, every capability goes.
//!
//! Started as root without `run_as`, wharfd keeps working as before (the
//! quick start must) but warns: see [`ROOT_WARNING`].

use anyhow::Result;

/// Logged at start when running as root without `run_as`.
pub(crate) const ROOT_WARNING: &str = "running as root without run_as: every upload is \
     written as root and any flaw in the server would give a client the whole machine; \
     set --run-as USER[:GROUP] (config key run_as) to become an unprivileged user once \
     the ports are bound, or start wharfd as that user with CAP_NET_BIND_SERVICE \
     (see SECURITY.md and contrib/systemd/wharfd.service)";

/// Who to become, looked up in the user and group databases.
#[derive(Debug, Clone)]
pub(crate) struct RunAs {
    pub(crate) name: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

/// What start-up does about privileges.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    /// Not root: nothing to give up.
    Unprivileged,
    /// Root without `run_as`: keep running as root, with a warning.
    StayRoot,
    /// Root with `run_as`: drop after binding.
    Drop(RunAs),
}

/// The ports a session may bind after the drop, to decide whether
/// `CAP_NET_BIND_SERVICE` is kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LowPorts<'a> {
    /// Every bound control port (plain and implicit FTPS).
    pub(crate) control_ports: &'a [u16],
    /// Whether the default data port is on, or active mode connects from
    /// it.
    pub(crate) default_data_port: bool,
    /// `--default-data-source-port`.
    pub(crate) default_data_source_port: Option<u16>,
    /// The passive range, when not multiplexed (multiplexed ports are
    /// bound at start).
    pub(crate) passive_low: Option<u16>,
}

impl LowPorts<'_> {
    /// Whether a session may need to bind a port below 1024.
    pub(crate) fn needed(&self) -> bool {
        let privileged = |port: u16| port > 0 && port < 1024;
        let data = self.default_data_port
            && match self.default_data_source_port {
                Some(port) => privileged(port),
                None => self
                    .control_ports
                    .iter()
                    .any(|&port| port > 1 && privileged(port - 1)),
            };
        data || self.passive_low.is_some_and(privileged)
    }
}

/// Parses `USER[:GROUP]`: names or numeric ids.
fn split_spec(spec: &str) -> Result<(&str, Option<&str>)> {
    let (user, group) = match spec.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    };
    anyhow::ensure!(
        !user.is_empty() && group != Some(""),
        "run_as {spec:?}: expected USER or USER:GROUP"
    );
    Ok((user, group))
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CString;

    use anyhow::{Context, Result, anyhow, bail};
    use nix::unistd::{Gid, Group, Uid, User};
    use rustix::thread::{CapabilitySet, CapabilitySets};

    use super::{Plan, RunAs, split_spec};

    /// Whether the process runs as root (effective uid 0).
    pub(crate) fn is_root() -> bool {
        Uid::effective().is_root()
    }

    /// Decides the plan and looks the user up now, before anything is
    /// bound, so a typo stops the server at once.
    pub(crate) fn plan(spec: Option<&str>) -> Result<Plan> {
        let run_as = spec.map(lookup).transpose()?;
        match (is_root(), run_as) {
            (true, Some(run_as)) => Ok(Plan::Drop(run_as)),
            (true, None) => Ok(Plan::StayRoot),
            (false, None) => Ok(Plan::Unprivileged),
            (false, Some(run_as)) => {
                let (uid, gid) = (Uid::effective().as_raw(), Gid::effective().as_raw());
                if run_as.uid == uid && run_as.gid == gid {
                    return Ok(Plan::Unprivileged);
                }
                bail!(
                    "run_as {}: wharfd was not started as root (uid {uid}), so it cannot \
                     become another user; start it as root or drop run_as",
                    run_as.name
                )
            }
        }
    }

    fn lookup(spec: &str) -> Result<RunAs> {
        let (user_text, group_text) = split_spec(spec)?;
        let user = match User::from_name(user_text)
            .with_context(|| format!("run_as: cannot look up user {user_text:?}"))?
        {
            Some(user) => user,
            None => match user_text.parse::<u32>() {
                Ok(uid) => User::from_uid(Uid::from_raw(uid))
                    .with_context(|| format!("run_as: cannot look up uid {uid}"))?
                    .ok_or_else(|| anyhow!("run_as: no user with uid {uid}"))?,
                Err(_) => bail!("run_as: no user named {user_text:?}"),
            },
        };
        let gid = match group_text {
            None => user.gid,
            Some(text) => match Group::from_name(text)
                .with_context(|| format!("run_as: cannot look up group {text:?}"))?
            {
                Some(group) => group.gid,
                None => match text.parse::<u32>() {
                    Ok(gid) => Gid::from_raw(gid),
                    Err(_) => bail!("run_as: no group named {text:?}"),
                },
            },
        };
        if user.uid.is_root() || gid.as_raw() == 0 {
            bail!(
                "run_as {spec:?}: that is root (uid {}, gid {}); name an unprivileged user and group",
                user.uid,
                gid
            );
        }
        Ok(RunAs {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: gid.as_raw(),
        })
    }

    /// The capabilities left after the drop.
    fn kept(keep_bind: bool) -> CapabilitySet {
        if keep_bind {
            CapabilitySet::NET_BIND_SERVICE
        } else {
            CapabilitySet::empty()
        }
    }

    /// Becomes `run_as` for good, on every thread; keeps
    /// `CAP_NET_BIND_SERVICE` on this thread (and the threads it starts
    /// later) when `keep_bind`. Call it on the main thread, outside any
    /// runtime, after binding. Aborts the process if root can be regained.
    pub(crate) fn drop_to(run_as: &RunAs, keep_bind: bool) -> Result<()> {
        let (uid, gid) = (Uid::from_raw(run_as.uid), Gid::from_raw(run_as.gid));
        if keep_bind {
            rustix::thread::set_keep_capabilities(true)
                .context("cannot keep CAP_NET_BIND_SERVICE (prctl PR_SET_KEEPCAPS)")?;
        }
        let name = CString::new(run_as.name.as_str())
            .map_err(|_| anyhow!("run_as: user name holds a NUL byte"))?;
        nix::unistd::initgroups(&name, gid)
            .with_context(|| format!("cannot set the groups of {}", run_as.name))?;
        // Root's group among the supplementary ones would keep access to
        // everything group 0 may read or write: refuse, as for the gid.
        let groups = nix::unistd::getgroups().context("getgroups")?;
        if groups.iter().any(|group| group.as_raw() == 0) {
            bail!(
                "run_as {}: the user is a member of group 0 (root); take it out of that group \
                 or name another user",
                run_as.name
            );
        }
        nix::unistd::setresgid(gid, gid, gid)
            .with_context(|| format!("cannot become group {gid}"))?;
        nix::unistd::setresuid(uid, uid, uid)
            .with_context(|| format!("cannot become user {} ({uid})", run_as.name))?;
        let caps = kept(keep_bind);
        rustix::thread::set_capabilities(
            None,
            CapabilitySets {
                effective: caps,
                permitted: caps,
                inheritable: CapabilitySet::empty(),
            },
        )
        .context("cannot set the capabilities after the drop")?;
        if keep_bind {
            rustix::thread::set_keep_capabilities(false).context("cannot clear PR_SET_KEEPCAPS")?;
        }
        check_ids(run_as)?;
        if nix::unistd::setuid(Uid::from_raw(0)).is_ok()
            || nix::unistd::setgid(Gid::from_raw(0)).is_ok()
        {
            // Nothing after this point may run with root regained.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("wharfd: error: root could be regained after the privilege drop");
            }
            std::process::abort();
        }
        check_threads(run_as, keep_bind)
    }

    /// The real, effective and saved ids are `run_as`'s.
    fn check_ids(run_as: &RunAs) -> Result<()> {
        let uids = nix::unistd::getresuid().context("getresuid")?;
        let gids = nix::unistd::getresgid().context("getresgid")?;
        let all_uids = [uids.real, uids.effective, uids.saved].map(Uid::as_raw);
        let all_gids = [gids.real, gids.effective, gids.saved].map(Gid::as_raw);
        if all_uids.iter().any(|&id| id != run_as.uid || id == 0)
            || all_gids.iter().any(|&id| id != run_as.gid || id == 0)
        {
            bail!("privilege drop failed: uids {all_uids:?}, gids {all_gids:?}");
        }
        Ok(())
    }

    /// Every thread of the process shows `run_as`'s ids (all four: real,
    /// effective, saved, file system) and no capability beyond the kept
    /// one, read from `/proc/self/task/*/status`.
    pub(crate) fn check_threads(run_as: &RunAs, keep_bind: bool) -> Result<()> {
        let allowed = kept(keep_bind).bits();
        let tasks = std::fs::read_dir("/proc/self/task").context("cannot list /proc/self/task")?;
        let mut checked = 0;
        for task in tasks {
            let task = task.context("cannot list /proc/self/task")?;
            let status = match std::fs::read_to_string(task.path().join("status")) {
                Ok(status) => status,
                // A thread that ended since the listing.
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err).context("cannot read a thread's status"),
            };
            let ids = |key: &str| -> Vec<u32> {
                field(&status, key)
                    .map(|v| {
                        v.split_whitespace()
                            .filter_map(|n| n.parse().ok())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let caps =
                |key: &str| field(&status, key).and_then(|v| u64::from_str_radix(v, 16).ok());
            let (uids, gids) = (ids("Uid:"), ids("Gid:"));
            let ok = uids.len() == 4
                && gids.len() == 4
                && uids.iter().all(|&id| id == run_as.uid)
                && gids.iter().all(|&id| id == run_as.gid)
                && ["CapPrm:", "CapEff:", "CapAmb:"].iter().all(|key| {
                    // CapAmb is missing before Linux 4.3, which has no ambient set.
                    caps(key).map_or(*key == "CapAmb:", |bits| bits & !allowed == 0)
                });
            if !ok {
                bail!(
                    "privilege drop incomplete on thread {:?}: Uid {uids:?} Gid {gids:?} \
                     CapPrm {:?} CapEff {:?}",
                    task.file_name(),
                    caps("CapPrm:"),
                    caps("CapEff:")
                );
            }
            checked += 1;
        }
        tracing::debug!(threads = checked, "privilege drop checked on every thread");
        Ok(())
    }

    /// The value of `key` in a `/proc/.../status` text.
    fn field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .map(str::trim)
    }
}

#[cfg(target_os = "linux")]
pub(crate) use linux::{check_threads, drop_to, plan};

/// Elsewhere only the quick start works: `run_as` is refused.
#[cfg(not(target_os = "linux"))]
pub(crate) fn plan(spec: Option<&str>) -> Result<Plan> {
    if let Some(spec) = spec {
        split_spec(spec)?;
        anyhow::bail!("run_as is supported on Linux only");
    }
    Ok(Plan::Unprivileged)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn drop_to(_run_as: &RunAs, _keep_bind: bool) -> Result<()> {
    anyhow::bail!("run_as is supported on Linux only")
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn check_threads(_run_as: &RunAs, _keep_bind: bool) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_ports_are_needed_for_the_default_data_port_below_1024() {
        let ports = |control: &'static [u16], on, source, passive| LowPorts {
            control_ports: control,
            default_data_port: on,
            default_data_source_port: source,
            passive_low: passive,
        };
        assert!(ports(&[21], true, None, None).needed(), "20 beside 21");
        assert!(ports(&[2121, 990], true, None, None).needed(), "989");
        assert!(
            !ports(&[21], false, None, None).needed(),
            "default port off"
        );
        assert!(!ports(&[21], true, Some(2020), None).needed(), "source set");
        assert!(ports(&[2121], true, Some(20), None).needed(), "source 20");
        assert!(!ports(&[2121], true, None, Some(50000)).needed());
        assert!(ports(&[2121], false, None, Some(900)).needed(), "passive");
        assert!(!ports(&[1], true, None, None).needed(), "no port 0");
    }

    #[test]
    fn specs_need_a_user() {
        assert_eq!(split_spec("ftp").ok(), Some(("ftp", None)));
        assert_eq!(
            split_spec("ftp:nogroup").ok(),
            Some(("ftp", Some("nogroup")))
        );
        for bad in ["", ":g", "u:"] {
            assert!(split_spec(bad).is_err(), "{bad:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn root_is_not_a_run_as_target() {
        let err = plan(Some("root")).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("that is root")));
        let err = plan(Some("no-such-user-wharf-test"))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("no user named")));
    }
}
