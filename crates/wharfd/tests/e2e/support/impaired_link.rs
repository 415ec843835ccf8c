//! An impaired link between two network namespaces of a [`Lab`]: a
//! client namespace (`10.77.0.1`) and a server namespace (`10.77.0.2`),
//! joined not by a veth pair but by two TUN devices and the user-space
//! emulator `impaired_link.py` forwarding packets between them.
//!
//! Why not `tc netem` on a veth pair: the kernel these tests run on is
//! built without netem (`CONFIG_NET_SCH_NETEM` is off; `tc qdisc add …
//! netem` answers "Specified qdisc kind is unknown"), and there is no
//! `NFQUEUE` to hand packets to user space either. TBF/HTB shape rates
//! and nftables' `numgen` can drop at random, but nothing in the kernel
//! delays or reorders. A TUN device hands every IP packet to a process,
//! which then applies loss, delay, reordering and silence per direction,
//! switchable while transfers run ([`ImpairedLink::set`]).
//!
//! The emulator counts what it did ([`ImpairedLink::stats`]), so a test
//! can assert that the impairment really happened.

use crate::e2e_nat::lab::{Lab, lab};
use crate::support::require_tool;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// The client's address on the link.
pub(crate) const CLIENT_IP: &str = "10.77.0.1";
/// The server's address on the link.
pub(crate) const SERVER_IP: &str = "10.77.0.2";
/// The TUN device's name in both namespaces.
const DEVICE: &str = "wl0";
/// Longest the emulator may take to create its devices.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// What one direction of the link does to packets.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Impairment {
    /// Probability of dropping a packet.
    pub(crate) loss: f64,
    /// One-way delay.
    pub(crate) delay_ms: u64,
    /// Probability of holding a packet back a further `delay_ms` (at
    /// least 5 ms), so that packets behind it overtake it.
    pub(crate) reorder: f64,
    /// Drop every packet.
    pub(crate) silent: bool,
    /// Flip the last byte of the next TCP segment with at least 1000
    /// payload bytes and fix its checksum: TCP accepts the bad byte.
    pub(crate) corrupt_once: bool,
}

impl Impairment {
    /// Nothing: packets pass as they come.
    pub(crate) const CLEAN: Self = Self {
        loss: 0.0,
        delay_ms: 0,
        reorder: 0.0,
        silent: false,
        corrupt_once: false,
    };

    /// Every packet dropped.
    pub(crate) const SILENT: Self = Self {
        silent: true,
        ..Self::CLEAN
    };

    fn json(&self) -> String {
        format!(
            "{{\"loss\": {}, \"delay_ms\": {}, \"reorder\": {}, \"silent\": {}, \"corrupt_once\": {}}}",
            self.loss, self.delay_ms, self.reorder, self.silent, self.corrupt_once
        )
    }
}

/// What the emulator counted in one direction.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub(crate) received: u64,
    pub(crate) dropped: u64,
    pub(crate) sent: u64,
    /// Packets sent after a packet that arrived later than they did.
    pub(crate) reordered: u64,
    pub(crate) corrupted: u64,
}

/// The emulator's counts: client to server (`up`) and back (`down`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stats {
    pub(crate) up: Counts,
    pub(crate) down: Counts,
}

/// A lab with a client and a server namespace joined by the emulator;
/// all of it removed when dropped.
pub(crate) struct ImpairedLink {
    lab: Lab,
    client: String,
    server: String,
    control: PathBuf,
    stats: PathBuf,
}

impl ImpairedLink {
    /// A fresh clean link for `test`, or `None` when the test is skipped on
    /// purpose (not root and `WHARF_TEST_NO_ROOT=1`, as [`lab`] says).
    pub(crate) fn start(test: &str) -> Option<Self> {
        let mut lab = lab(test)?;
        require_tool("curl", "curl");
        let client = lab.namespace("client");
        let server = lab.namespace("server");
        let control = lab.dir().join("link.json");
        let stats = lab.dir().join("link.stats");
        let mut link = Self {
            lab,
            client,
            server,
            control,
            stats,
        };
        link.set(Impairment::CLEAN, Impairment::CLEAN);
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/support/impaired_link.py");
        let mut command = Command::new("python3");
        command
            .arg(script)
            .arg(format!("/run/netns/{}", link.client))
            .arg(format!("/run/netns/{}", link.server))
            .arg(DEVICE)
            .arg(&link.control)
            .arg(&link.stats)
            // A fixed seed: the same drops on every run of a test.
            .arg("23")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let (out, err) = link.lab.spawn("impaired-link", command);
        let deadline = Instant::now() + START_TIMEOUT;
        while !fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("ready")
        {
            assert!(
                !link.lab.last_exited() && Instant::now() < deadline,
                "the link emulator did not start\n{}",
                fs::read_to_string(&err).unwrap_or_default()
            );
            thread::sleep(Duration::from_millis(20));
        }
        for (ns, ip) in [(&link.client, CLIENT_IP), (&link.server, SERVER_IP)] {
            link.lab
                .ip(ns, &["addr", "add", &format!("{ip}/24"), "dev", DEVICE]);
            link.lab.ip(ns, &["link", "set", DEVICE, "up"]);
        }
        Some(link)
    }

    /// The lab, for starting processes in its namespaces.
    pub(crate) fn lab(&mut self) -> &mut Lab {
        &mut self.lab
    }

    /// The client namespace's name.
    pub(crate) fn client(&self) -> &str {
        &self.client
    }

    /// The server namespace's name.
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// Impairs client-to-server packets with `up` and server-to-client
    /// ones with `down`, from the emulator's next look at its control
    /// file (every 50 ms); returns once that look is certain to be over.
    pub(crate) fn set(&self, up: Impairment, down: Impairment) {
        let text = format!(
            "{{\"a_to_b\": {}, \"b_to_a\": {}}}\n",
            up.json(),
            down.json()
        );
        let tmp = self.control.with_extension("tmp");
        fs::write(&tmp, text).expect("write the link's control file");
        fs::rename(&tmp, &self.control).expect("replace the link's control file");
        thread::sleep(Duration::from_millis(150));
    }

    /// Both directions impaired alike.
    pub(crate) fn set_both(&self, both: Impairment) {
        self.set(both, both);
    }

    /// What the emulator counted so far (written every half second).
    pub(crate) fn stats(&self) -> Stats {
        let text = fs::read_to_string(&self.stats).unwrap_or_default();
        let mut stats = Stats::default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(direction), Some(name), Some(value)) =
                (words.next(), words.next(), words.next())
            else {
                continue;
            };
            let counts = match direction {
                "a_to_b" => &mut stats.up,
                "b_to_a" => &mut stats.down,
                _ => continue,
            };
            let value = value.parse().unwrap_or(0);
            match name {
                "received" => counts.received = value,
                "dropped" => counts.dropped = value,
                "sent" => counts.sent = value,
                "reordered" => counts.reordered = value,
                "corrupted" => counts.corrupted = value,
                _ => {}
            }
        }
        stats
    }
}
