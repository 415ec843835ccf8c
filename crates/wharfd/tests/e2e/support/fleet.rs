//! The HAProxy fleet the e2e_fleet* suites share: nodes on their own
//! loopback addresses, each with a passive range HAProxy forwards with
//! `send-proxy-v2`, and the configuration HAProxy is given (docs/fleet.md
//! shows it, and e2e_fleet.rs checks that it does).

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Finished, Server, require_tool, run};

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
    pub(crate) fn ip(self, i: usize) -> String {
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
pub(crate) struct Backend {
    pub(crate) control: SocketAddr,
    /// The implicit FTPS listener, if the node has one.
    pub(crate) implicit: Option<SocketAddr>,
    /// The admin listener's port, where HAProxy checks `/readyz`.
    pub(crate) admin: u16,
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
pub(crate) fn config(
    place: Place,
    vip: u16,
    implicit_vip: Option<u16>,
    nodes: &[Backend],
) -> String {
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

/// Three nodes sharing a root, HAProxy in front; dropped in reverse.
pub(crate) struct Fleet {
    pub(crate) url: String,
    /// The implicit FTPS frontend, when the nodes have implicit listeners.
    pub(crate) ftps_url: Option<String>,
    pub(crate) dir: tempfile::TempDir,
    _haproxy: Haproxy,
    pub(crate) nodes: Vec<Server>,
    pub(crate) shared: tempfile::TempDir,
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
    pub(crate) fn wait_for_downloads(&self, i: usize, count: usize) {
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
