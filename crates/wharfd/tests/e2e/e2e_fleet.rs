//! Three `wharfd` behind a real HAProxy (Debian's package), as
//! docs/operations.md's PROXY section describes: one control frontend on
//! 127.0.0.1 round-robin over nodes on 127.0.0.11/.12/.13 with
//! `send-proxy-v2` and health checks on each node's `/readyz`, and one
//! frontend per node's passive range, also with `send-proxy-v2`. The nodes
//! share one directory. Clients bind their own source addresses
//! (127.0.1.x), so each node's log must show them, not HAProxy.

use crate::support;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Finished, Server, require_tool, run};

/// Where one fleet lives. Tests run side by side: each fleet has node
/// addresses and passive ranges of its own, since HAProxy binds its ranges
/// with SO_REUSEPORT and two fleets on the same ports would take each
/// other's data connections. The ranges are below Linux's ephemeral ports
/// (32768 and up), which other connections' source ports may hold.
#[derive(Clone, Copy)]
pub(crate) struct Place {
    /// Node `i` listens on 127.0.0.(first_ip + i).
    pub(crate) first_ip: usize,
    /// Node `i`'s passive range starts at first_port + 10 i.
    pub(crate) first_port: u16,
}

impl Place {
    fn ip(self, i: usize) -> String {
        format!("127.0.0.{}", self.first_ip + i)
    }

    /// The passive range of node `i`: ten ports, the same numbers on the
    /// VIP and on the node.
    fn range(self, i: usize) -> (u16, u16) {
        let first = self.first_port + 10 * u16::try_from(i).expect("a node index");
        (first, first + 9)
    }
}

/// A free port on 127.0.0.1 for the control frontend.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// HAProxy, killed when dropped.
struct Haproxy(Child);

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// HAProxy on `config`, its output in `log` (for failure messages).
fn haproxy(config: &Path, log: &Path) -> Haproxy {
    require_tool("haproxy", "haproxy");
    let out = std::fs::File::create(log).expect("a log file");
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("a log file"))
        .stderr(out)
        .spawn()
        .expect("start haproxy");
    Haproxy(child)
}

/// How the nodes of a [`Fleet`] are set up, beyond what every node gets.
#[derive(Default)]
pub(crate) struct Nodes<'a> {
    /// Arguments added to every node's command line.
    pub(crate) extra: &'a [&'a str],
    /// The users file; `None`: user `fleet` (password `pw`) rooted in the
    /// fleet's shared directory.
    pub(crate) users: Option<&'a str>,
    /// Files written next to each node's root (`{base}/NAME`).
    pub(crate) files: &'a [(&'a str, &'a str)],
    /// Whether each node has an implicit FTPS listener, which HAProxy
    /// then fronts too.
    pub(crate) implicit: bool,
}

fn node(place: Place, i: usize, shared: &Path, setup: &Nodes<'_>) -> Server {
    // A self-signed certificate on every node: explicit FTPS end to end
    // (HAProxy relays TCP and never sees inside).
    let (low, high) = place.range(i);
    let users = setup.users.map_or_else(
        || {
            format!(
                "[[user]]\nname = \"fleet\"\npassword = \"pw\"\nroot = {:?}\n",
                shared.to_str().expect("utf-8")
            )
        },
        str::to_owned,
    );
    let mut builder = Server::builder()
        .listen_ip(&place.ip(i))
        .file("users.toml", &users)
        .args(&["--users", "{base}/users.toml"])
        .args(&["--proxy-protocol-from", "127.0.0.1/32"])
        .args(&["--passive-ports", &format!("{low}-{high}")])
        .args(&["--public-address", "127.0.0.1"])
        .args(&["--admin-listen", &format!("{}:0", place.ip(i))]);
    for (name, text) in setup.files {
        builder = builder.file(name, text);
    }
    if setup.implicit {
        builder = builder.args(&["--implicit-listen", &format!("{}:0", place.ip(i))]);
    }
    builder.args(setup.extra).tls().start()
}

/// Where HAProxy reaches one node.
struct Backend {
    control: SocketAddr,
    /// The implicit FTPS listener, if the node has one.
    implicit: Option<SocketAddr>,
    /// The admin listener's port, where HAProxy checks `/readyz`.
    admin: u16,
}

impl Backend {
    fn of(node: &Server) -> Self {
        let admin: SocketAddr = node
            .admin_url()
            .trim_start_matches("http://")
            .parse()
            .expect("the admin address");
        Self {
            control: node.addr(),
            implicit: node.implicit_port().map(|_| node.implicit_addr()),
            admin: admin.port(),
        }
    }
}

/// The HAProxy configuration docs/fleet.md shows: `vip` fronts the nodes'
/// control listeners, `implicit_vip` (when given) their implicit FTPS
/// listeners, and one `listen` block per node forwards its passive range.
fn config(place: Place, vip: u16, implicit_vip: Option<u16>, nodes: &[Backend]) -> String {
    let mut text = String::from(
        "global\n    maxconn 200\ndefaults\n    mode tcp\n    timeout connect 2s\n    \
         timeout client 60s\n    timeout server 60s\n",
    );
    let mut backend = |name: &str, port: u16, listener: &dyn Fn(&Backend) -> SocketAddr| {
        text.push_str(&format!(
            "frontend {name}\n    bind 127.0.0.1:{port}\n    default_backend {name}_nodes\n\
             backend {name}_nodes\n    balance roundrobin\n    option httpchk GET /readyz\n"
        ));
        for (i, node) in nodes.iter().enumerate() {
            text.push_str(&format!(
                "    server n{i} {} send-proxy-v2 check port {} inter 300ms fall 1 rise 1\n",
                listener(node),
                node.admin
            ));
        }
    };
    backend("ftp", vip, &|node| node.control);
    if let Some(port) = implicit_vip {
        backend("ftps", port, &|node| {
            node.implicit.expect("an implicit FTPS listener")
        });
    }
    for (i, node) in nodes.iter().enumerate() {
        let (low, high) = place.range(i);
        text.push_str(&format!(
            "listen data{i}\n    bind 127.0.0.1:{low}-{high}\n    server n{i} {} send-proxy-v2\n",
            node.control.ip()
        ));
    }
    text
}

/// docs/fleet.md shows the configuration the tests write, with the ports
/// it names (21, 990, admin 9100) filled in.
#[test]
fn docs_show_the_haproxy_configuration_the_tests_write() {
    let place = Place {
        first_ip: 11,
        first_port: 29100,
    };
    let nodes: Vec<Backend> = (0..3)
        .map(|i| Backend {
            control: format!("{}:21", place.ip(i)).parse().expect("an address"),
            implicit: Some(format!("{}:990", place.ip(i)).parse().expect("an address")),
            admin: 9100,
        })
        .collect();
    let written = config(place, 21, Some(990), &nodes);
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/fleet.md"))
            .expect("docs/fleet.md");
    let shown = docs
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a text block in docs/fleet.md");
    assert_eq!(shown, written);
}

/// Three nodes sharing a root, HAProxy in front; dropped in reverse.
pub(crate) struct Fleet {
    pub(crate) url: String,
    /// The implicit FTPS frontend, when the nodes have implicit listeners.
    pub(crate) ftps_url: Option<String>,
    pub(crate) dir: tempfile::TempDir,
    _haproxy: Haproxy,
    pub(crate) nodes: Vec<Server>,
    shared: tempfile::TempDir,
}

impl Fleet {
    /// Three nodes at `place` on one shared directory, with `extra`
    /// arguments each.
    pub(crate) fn start(place: Place, extra: &[&str]) -> Self {
        Self::start_nodes(
            place,
            &Nodes {
                extra,
                ..Nodes::default()
            },
        )
    }

    /// Three nodes at `place` set up as `setup` says.
    pub(crate) fn start_nodes(place: Place, setup: &Nodes<'_>) -> Self {
        let shared = tempfile::tempdir().expect("a shared root");
        let nodes: Vec<Server> = (0..3)
            .map(|i| node(place, i, shared.path(), setup))
            .collect();
        let vip = free_port();
        let implicit_vip = setup.implicit.then(free_port);
        let dir = tempfile::tempdir().expect("a config directory");
        let file = dir.path().join("haproxy.cfg");
        let backends: Vec<Backend> = nodes.iter().map(Backend::of).collect();
        std::fs::write(&file, config(place, vip, implicit_vip, &backends))
            .expect("write the HAProxy config");
        let log = dir.path().join("haproxy.log");
        let haproxy = haproxy(&file, &log);
        let url = format!("ftp://127.0.0.1:{vip}");
        wait_for_fleet(&url, &log);
        Self {
            url,
            ftps_url: implicit_vip.map(|port| format!("ftps://127.0.0.1:{port}")),
            dir,
            _haproxy: haproxy,
            nodes,
            shared,
        }
    }

    /// Waits until node `i` has started `count` downloads in all (its
    /// metrics count RETR's `150`s): a drain then has a transfer to wait for.
    fn wait_for_downloads(&self, i: usize, count: usize) {
        self.wait_for_transfers(i, "RETR", count);
    }

    /// Waits until node `i` has answered `150` to `verb` (RETR, STOR)
    /// `count` times in all (its metrics).
    pub(crate) fn wait_for_transfers(&self, i: usize, verb: &str, count: usize) {
        let url = format!("{}/metrics", self.nodes[i].admin_url());
        let line = format!("wharf_commands_total{{verb=\"{verb}\",class=\"1xx\"}} {count}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let scrape = run(
                Command::new("curl").args(["-sS", "--noproxy", "*", &url]),
                Duration::from_secs(10),
            );
            if scrape.stdout_text().lines().any(|l| l == line) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "node {i} never started {verb} {count}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The node whose log shows a session from `client`.
    pub(crate) fn node_of(&self, client: &str) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self
                .nodes
                .iter()
                .position(|n| n.log_text().contains(&format!("peer={client}:")));
            if let Some(i) = found {
                return i;
            }
            assert!(Instant::now() < deadline, "no node logged {client}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// curl as `fleet` from the source address `from`, through the VIP.
pub(crate) fn curl_from(from: &str, args: &[&str]) -> Finished {
    require_tool("curl", "curl");
    run(
        Command::new("curl")
            .arg("--disable")
            .args(["-sS", "--noproxy", "*", "--max-time", "20"])
            .args(["--interface", from, "-u", "fleet:pw"])
            .args(args),
        Duration::from_secs(30),
    )
}

/// Waits until a listing through the VIP works (HAProxy up, a node up).
fn wait_for_fleet(url: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if curl_from("127.0.1.9", &[&format!("{url}/")])
            .status
            .success()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the fleet never answered; HAProxy said:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_fleet_behind_haproxy_serves_one_tree_and_sees_the_clients() {
    let place = Place {
        first_ip: 11,
        first_port: 29100,
    };
    let mut fleet = Fleet::start(place, &[]);
    let (url, dir) = (fleet.url.clone(), fleet.dir.path().to_owned());
    let nodes = &mut fleet.nodes;

    // An upload through one session is downloaded byte-exact through
    // sessions that land on the other nodes (round robin), by EPSV and PASV.
    let local = dir.join("up.bin");
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&local, &body).expect("a file");
    let up = curl_from(
        "127.0.1.1",
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{url}/up.bin"),
        ],
    );
    assert!(up.status.success(), "{}", up.report());
    for (n, from) in ["127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5"]
        .iter()
        .enumerate()
    {
        let mut args = vec![];
        if n % 2 == 1 {
            args.push("--disable-epsv");
        }
        let target = format!("{url}/up.bin");
        args.push(&target);
        let down = curl_from(from, &args);
        assert!(down.status.success(), "{from}: {}", down.report());
        assert_eq!(down.stdout, body, "{from}");
    }
    // Every node served someone, and logged the clients, not HAProxy.
    for (i, node) in nodes.iter().enumerate() {
        let log = node.log_text();
        assert!(
            log.contains("peer=127.0.1."),
            "node {i} saw no client:\n{log}"
        );
        assert!(
            !log.contains("peer=127.0.0.1:"),
            "node {i} logged HAProxy:\n{log}"
        );
    }

    // SIGTERM on one node: its /readyz turns 503, HAProxy takes it out, and
    // new sessions all go to the others.
    nodes[0].signal("TERM");
    std::thread::sleep(Duration::from_millis(1500));
    for from in ["127.0.1.6", "127.0.1.7", "127.0.1.8"] {
        let down = curl_from(from, &[&format!("{url}/up.bin")]);
        assert!(
            down.status.success(),
            "{from} after SIGTERM: {}",
            down.report()
        );
        assert_eq!(down.stdout, body);
    }
    // SIGKILL on another: sessions go to the last one.
    nodes[1].stop_and_log();
    std::thread::sleep(Duration::from_millis(1500));
    for from in ["127.0.1.10", "127.0.1.11"] {
        let down = curl_from(from, &[&format!("{url}/up.bin")]);
        assert!(
            down.status.success(),
            "{from} after SIGKILL: {}",
            down.report()
        );
    }
}

/// With `--epsv off`, curl (which tries EPSV first) falls back to PASV and
/// the transfer works; `docs/fleet.md` names the clients that do.
#[test]
fn with_epsv_off_curl_falls_back_to_pasv() {
    let server = Server::builder().args(&["--epsv", "off"]).start();
    std::fs::write(server.root().join("f"), b"by pasv").expect("a file");
    let down = support::curl(&[&format!("{}/f", server.url())]);
    support::assert_success(&down, &server);
    assert_eq!(down.stdout, b"by pasv");
    support::assert_used(&down, "EPSV", &["502"]);
    support::assert_used(&down, "PASV", &["227"]);
}

/// Starts curl from `from` through the VIP with `args`, in the background.
pub(crate) fn curl_spawn(from: &str, args: &[String]) -> std::process::Child {
    Command::new("curl")
        .arg("--disable")
        .args(["-sS", "--noproxy", "*", "--max-time", "60"])
        .args(["--interface", from, "-u", "fleet:pw"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start curl")
}

/// Waits for a background curl: whether it succeeded, and its stderr.
pub(crate) fn finish(child: std::process::Child) -> (bool, String) {
    let output = child.wait_with_output().expect("curl ends");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn ftps_through_the_balancer_and_nodes_that_stop_or_die() {
    // Downloads at 256 KiB/s on the server's side, so a 1 MiB one runs 4 s.
    let place = Place {
        first_ip: 21,
        first_port: 29200,
    };
    let mut fleet = Fleet::start(place, &["--session-download-rate", "256KiB/s"]);
    let url = fleet.url.clone();
    let body = vec![7u8; 1024 * 1024];
    std::fs::write(fleet.shared.path().join("big.bin"), &body).expect("a file");
    std::fs::write(fleet.shared.path().join("small.bin"), b"small").expect("a file");
    let tls = ["--ssl-reqd", "-k"];
    let get =
        |from: &str, name: &str| curl_from(from, &[&tls[..], &[&format!("{url}/{name}")]].concat());

    // Explicit FTPS, PROT P data through the per-node frontends.
    let small = get("127.0.1.30", "small.bin");
    assert!(small.status.success(), "{}", small.report());
    assert_eq!(small.stdout, b"small");

    // SIGTERM on the node of a running download: the download completes
    // within the grace period, and new sessions go to the other nodes.
    let args = |name: &str| -> Vec<String> {
        let mut args: Vec<String> = tls.iter().map(|a| (*a).to_owned()).collect();
        args.extend(["-o".into(), "/dev/null".into(), format!("{url}/{name}")]);
        args
    };
    let running = curl_spawn("127.0.1.31", &args("big.bin"));
    let draining = fleet.node_of("127.0.1.31");
    // Its first download (the small one may have gone to another node).
    let started = usize::from(fleet.node_of("127.0.1.30") == draining) + 1;
    fleet.wait_for_downloads(draining, started);
    fleet.nodes[draining].signal("TERM");
    std::thread::sleep(Duration::from_millis(1000));
    let meanwhile = get("127.0.1.32", "small.bin");
    assert!(meanwhile.status.success(), "{}", meanwhile.report());
    assert_ne!(fleet.node_of("127.0.1.32"), draining);
    let (ok, log) = finish(running);
    assert!(
        ok,
        "the download on the draining node was cut: {log}\n{}",
        fleet.nodes[draining].log_text()
    );

    // SIGKILL on the node of a running upload (8 MiB at 256 KiB/s, more
    // than the buffers on the way hold): that upload fails and leaves
    // nothing under its name, while a download on the other node goes on.
    let large = fleet.dir.path().join("large.bin");
    std::fs::write(&large, vec![9u8; 8 * 1024 * 1024]).expect("a file");
    let mut upload: Vec<String> = tls.iter().map(|a| (*a).to_owned()).collect();
    upload.extend([
        "--limit-rate".into(),
        "256K".into(),
        "-T".into(),
        large.to_str().expect("utf-8").into(),
        format!("{url}/up.bin"),
    ]);
    let uploading = curl_spawn("127.0.1.33", &upload);
    let victim = fleet.node_of("127.0.1.33");
    assert_ne!(
        victim, draining,
        "HAProxy sent a session to the draining node"
    );
    let other = curl_spawn("127.0.1.35", &args("big.bin"));
    let survivor = fleet.node_of("127.0.1.35");
    std::thread::sleep(Duration::from_millis(1000));
    fleet.nodes[victim].stop_and_log();
    let (ok, _) = finish(uploading);
    assert!(!ok, "an upload to a killed node reported success");
    let stored = std::fs::metadata(fleet.shared.path().join("up.bin")).map(|m| m.len());
    assert!(
        stored.is_err(),
        "a partial upload is under its name: {stored:?}"
    );
    let (ok, log) = finish(other);
    assert!(
        ok || survivor == victim,
        "a download on another node was cut: {log}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    let after = get("127.0.1.34", "small.bin");
    assert!(after.status.success(), "{}", after.report());
    assert_eq!(after.stdout, b"small");
}
