//! Every tunable of the engine, with its default, in one place.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::access::AccessList;
use crate::network::IpNetwork;

/// Where clients should connect for passive data connections, as written in
/// the `227` reply. EPSV replies carry only a port and need none of this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicAddress {
    /// The local address of the control connection (the default): right
    /// when clients reach the server without NAT.
    ControlLocal,
    /// A fixed address: the NAT's or load balancer's public IP.
    Ip(IpAddr),
    /// A host name, resolved again when the last answer is older than
    /// [`Options::public_address_ttl`] (a dynamic-DNS name, a cloud VIP).
    Host(String),
}

/// How plain binary MODE S downloads of local files leave the server
/// (Linux; elsewhere they are always copied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LocalDownloads {
    /// The copy while fewer downloads run than half the CPUs, `sendfile`
    /// beyond. A copy that has a core to itself can beat `sendfile` on
    /// loopback (the file is read a chunk ahead on another thread) when
    /// the machine has CPU to spare; it costs twice the CPU per byte and
    /// loses when the cores are busy.
    Auto,
    /// Always `sendfile(2)` (the default): the least CPU per byte, and no
    /// slower than the copy wherever the network, not the CPU, is the
    /// limit.
    #[default]
    SendFile,
    /// Always through the server, read a chunk ahead.
    Copy,
}

/// How plain binary MODE S uploads into a local file arrive (Linux;
/// elsewhere they are always copied): by `splice(2)` from the data socket
/// into the file, or copied through the server's buffers.
///
/// Splicing saves two copies through user space, but its bytes go through
/// the page cache, where a durable upload on a disk is copied straight to
/// the device instead (`O_DIRECT`): with 8 clients that copy costs less
/// than half the CPU (docs/performance/splice-uploads.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpliceUploads {
    /// Splice wherever the back-end's own writes would go through the page
    /// cache too ([`wharf_vfs::Upload::bypasses_page_cache`] is false):
    /// for LocalFs, uploads that are not synced and file systems kept in
    /// memory. (A disk whose file system refuses `O_DIRECT` is found out
    /// only at the first write, after the choice: such uploads are
    /// copied.) The default.
    #[default]
    Auto,
    /// Splice every upload that can be.
    On,
    /// Copy every upload.
    Off,
}

/// TCP keepalive on control and data sockets, so that a load balancer or
/// NAT does not drop a control connection that idles through a long transfer,
/// and a peer that vanished is found. On Linux the same bound
/// (`idle + interval × retries`) is set as the control connection's
/// `TCP_USER_TIMEOUT`, which ends it when sent data stays unacknowledged
/// that long: keepalive sends no probe while data waits (a `426` after a
/// stalled transfer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe.
    pub idle: Duration,
    /// Time between probes.
    pub interval: Duration,
    /// Unanswered probes before the connection is dropped.
    pub retries: u32,
}

impl Default for Keepalive {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(60),
            interval: Duration::from_secs(15),
            retries: 4,
        }
    }
}

/// When TLS is required (FTPS, RFC 4217). Without a TLS config on the
/// server nothing can be required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsPolicy {
    /// USER (and so PASS) only after `AUTH TLS`: `530` otherwise, and no
    /// password is ever checked in clear.
    pub login: bool,
    /// Data connections only with `PROT P`: `PROT C` and transfers without
    /// it get `534`.
    pub data: bool,
    /// The anonymous login is exempt from both rules: the name the
    /// authenticator reports with
    /// [`Authenticator::is_anonymous`](crate::Authenticator::is_anonymous)
    /// (a [`UserList`](crate::UserList) with anonymous access enabled),
    /// never a real account that is merely named `ftp` or `anonymous`.
    pub exempt_anonymous: bool,
}

/// Engine settings. Build with `Options::default()` and change fields, or
/// through [`ServerBuilder`](crate::ServerBuilder).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The text of the `220` greeting.
    pub greeting: String,
    /// Ports for passive listeners; `None` lets the OS choose.
    pub passive_ports: Option<RangeInclusive<u16>>,
    /// The address announced in `227` replies.
    pub public_address: PublicAddress,
    /// How long a resolved [`PublicAddress::Host`] is reused.
    pub public_address_ttl: Duration,
    /// Per client network, the address announced instead of
    /// `public_address`; the first network that holds the client wins. Use
    /// it to give clients on the private network the private address while
    /// everyone else gets the NAT's.
    pub public_address_overrides: Vec<(IpNetwork, PublicAddress)>,
    /// Refuse passive data connections from another IP than the control
    /// connection's (protects against data-connection theft). Default on.
    pub passive_peer_check: bool,
    /// Allow PORT/EPRT to another IP than the control connection's or to a
    /// port below 1024 (bounce attacks, RFC 2577). Default off.
    pub active_any_address: bool,
    /// How long an unused passive listener (or multiplexed reservation)
    /// waits for its connection.
    pub passive_timeout: Duration,
    /// Keep one listener per port of `passive_ports` for the life of the
    /// server and share them between clients by reservation (a few public
    /// ports, many clients). Needs `passive_ports`.
    pub passive_multiplex: bool,
    /// Passive listeners one client address may hold at once without
    /// multiplexing (each waits for its data connection until it arrives
    /// or `passive_timeout` passes); a PASV/EPSV past it waits
    /// `passive_multiplex_wait` for one to be released, then gets `425`.
    /// `0` is no cap. Keeps a few addresses from holding every port of the
    /// range.
    pub max_passive_per_ip: usize,
    /// How long PASV waits for a free multiplexed slot, or under
    /// `max_passive_per_ip` for a listener of its address to be released,
    /// before `425`.
    pub passive_multiplex_wait: Duration,
    /// The default data port (RFC 959 3.2): with no PORT/PASV/EPRT/EPSV
    /// before a transfer, connect from the control port minus one to the
    /// client's control address and port. Default on: it only ever
    /// connects to the control connection's own peer.
    pub default_data_port: bool,
    /// Source port for the default data connection instead of the control
    /// port minus one (which needs privileges below 1024).
    pub default_data_source_port: Option<u16>,
    /// Active mode (PORT, EPRT) connects from the default data source port
    /// (the control port minus one: 20 for a server on 21, or
    /// `default_data_source_port`), as vsftpd's `connect_from_port_20`
    /// does, for client firewalls that only admit data from there. When the
    /// port cannot be bound (no privilege, or in use), the connection comes
    /// from an ephemeral port as it does with this off. Default off.
    pub active_from_data_port: bool,
    /// How long to wait for a data connection to open.
    pub data_connect_timeout: Duration,
    /// A data transfer that moves no byte for this long is aborted (`426`):
    /// every read and write of a data connection, listings included.
    pub data_stall_timeout: Duration,
    /// The least average rate of a data transfer, bytes per second, judged
    /// over each [`Options::min_data_rate_window`]: a client that trickles
    /// a byte per stall period is stopped with `426`. `0` turns it off.
    /// Keep it below any bandwidth limit (a throttled transfer is judged
    /// by its wall time too).
    pub min_data_rate: u64,
    /// The window [`Options::min_data_rate`] is judged over (default
    /// 300 s, longer than `data_stall_timeout`, so that a trickle under the
    /// stall bound is what it catches).
    pub min_data_rate_window: Duration,
    /// How long one reply on the control connection may take to be
    /// written. A client that stops reading its replies is closed after
    /// this; before login the login deadline bounds writes too.
    pub control_write_timeout: Duration,
    /// A session that has not logged in after this long is closed.
    pub login_timeout: Duration,
    /// A logged-in session idle (no command, no transfer) this long is closed.
    pub idle_timeout: Duration,
    /// Delay before answering a failed login.
    pub failed_login_delay: Duration,
    /// Failed logins after which the session is closed.
    pub max_login_failures: u32,
    /// Sessions at once, in all; further connections get `421`.
    pub max_sessions: usize,
    /// Sessions at once from one address group (an IPv4 address, an IPv6
    /// prefix of [`Options::ipv6_prefix`] bits).
    pub max_sessions_per_ip: usize,
    /// Connections at once that have not logged in yet, in all; past it
    /// new connections get `421`. A connection counts from its accept to
    /// its first successful login. Default 250, a quarter of
    /// `max_sessions`: idle connections cannot take the places of
    /// logged-in users, and a burst of clients logging in at once (a
    /// restart) still fits.
    pub max_unauthenticated_sessions: usize,
    /// Connections at once not logged in yet, per address group. Default
    /// 10, a fifth of `max_sessions_per_ip`: one address cannot fill the
    /// server-wide cap above on its own (25 groups would be needed).
    pub max_unauthenticated_sessions_per_ip: usize,
    /// The addresses that may connect at all, checked before the session
    /// limits: a refused one gets `421` and is closed (an implicit-FTPS
    /// connection is closed without a word). Empty (the default): all.
    pub access: AccessList,
    /// IPv6 clients are counted, limited and banned per prefix of this
    /// many bits (default 64: one host can use its whole /64); IPv4 per
    /// address.
    pub ipv6_prefix: u8,
    /// Failed logins per address group that ban it (`421` at connect),
    /// escalating on repeat offences.
    pub login_ban: crate::defence::BanPolicy,
    /// The longest command line accepted, in bytes.
    pub max_line: usize,
    /// The most entries of a directory that a wildcard in LIST or NLST
    /// (`NLST *.txt`) is matched against; a bigger directory gets `550`
    /// naming this limit rather than a partial list of matches.
    /// Default 10,000.
    pub max_wildcard_scan: usize,
    /// The largest file SIZE reads in TYPE A to count its octets on the
    /// wire (CRLF line ends), and the largest offset a TYPE A REST+STOR
    /// works out that way (RFC 3659 4.1, 5.1). Larger ones get `550`
    /// saying so, as Pure-FTPd and ProFTPD answer SIZE in ASCII mode; TYPE
    /// I reads nothing. Default 16 MiB.
    pub ascii_scan_limit: u64,
    /// The most bytes one checksum command (HASH, XCRC, XMD5, XSHA*)
    /// reads; a larger file or range gets `556` (draft-bryan-ftpext-hash's
    /// reply for a server's hashing policy) before anything is read.
    /// The bytes read count as downloads towards quotas and rates.
    /// Default 4 GiB.
    pub max_hash_size: u64,
    /// The most levels of subdirectories `LIST -R` goes down (ProFTPD's
    /// `ListOptions maxdepth`); a deeper tree ends the listing with `451`
    /// naming this limit, never a shorter listing shown as complete.
    /// Default 8.
    pub max_list_depth: usize,
    /// The most entries `LIST -R` reads over the whole tree (ProFTPD's
    /// `ListOptions maxfiles`); past it the listing ends with `451` naming
    /// this limit. Default 10,000.
    pub max_list_entries: usize,
    /// Size of an upload's read buffer, and the most a download sends per
    /// step (quota, throttle and STAT progress move in steps this big). At
    /// least 4 KiB is used.
    pub transfer_buffer: usize,
    /// TCP keepalive on control and data sockets; `None` turns it off.
    pub keepalive: Option<Keepalive>,
    /// How long running transfers may go on after shutdown is asked for.
    pub shutdown_grace: Duration,
    /// When TLS is required.
    pub tls_policy: TlsPolicy,
    /// A PROT P data connection must resume the control connection's TLS
    /// session (as vsftpd's `require_ssl_reuse`), so that nobody else can
    /// take over a passive data port. Default on.
    pub tls_reuse_required: bool,
    /// Allow `CCC` (back to a clear control connection after login, for
    /// NAT helpers that must read PORT/PASV). Default off.
    pub allow_ccc: bool,
    /// Bandwidth of each session's downloads, bytes per second; `0` is
    /// unlimited. Per-account limits are in
    /// [`UsageConfig`](crate::usage::UsageConfig).
    pub session_download_rate: u64,
    /// Bandwidth of each session's uploads, bytes per second; `0` is
    /// unlimited.
    pub session_upload_rate: u64,
    /// Bytes per second all downloads of the server may take together;
    /// `0` (the default) is unlimited.
    pub server_download_rate: u64,
    /// Bytes per second all uploads of the server may take together;
    /// `0` (the default) is unlimited.
    pub server_upload_rate: u64,
    /// Whether EPSV is answered (the default). Off, EPSV gets `502` and
    /// FEAT leaves it out, so clients fall back to PASV: behind a balancer
    /// that cannot forward a passive range to each node, PASV can name a
    /// node's own public address where EPSV names only a port.
    pub epsv: bool,
    /// Control and passive data connections from these load balancers
    /// start with a PROXY header naming the client; `None` (the default):
    /// no PROXY protocol. Multiplexed passive ports do not read headers:
    /// behind a PROXY balancer, give each node a port range.
    pub proxy_protocol: Option<crate::ProxyProtocol>,
    /// How plain binary MODE S downloads of local files are sent: by
    /// `sendfile` (the default), by copy, or chosen per download by load.
    pub local_downloads: LocalDownloads,
    /// When plain binary MODE S uploads into a local file move from the
    /// data socket into the file with `splice(2)` (Linux): by default
    /// wherever the copy would go through the page cache as well, where
    /// splicing costs 7–50% less server CPU per byte.
    pub splice_uploads: SpliceUploads,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            greeting: "Wharf FTP server ready.".to_owned(),
            passive_ports: None,
            public_address: PublicAddress::ControlLocal,
            public_address_ttl: Duration::from_secs(60),
            public_address_overrides: Vec::new(),
            passive_peer_check: true,
            active_any_address: false,
            passive_timeout: Duration::from_secs(10),
            passive_multiplex: false,
            passive_multiplex_wait: Duration::from_secs(2),
            max_passive_per_ip: 10,
            default_data_port: true,
            active_from_data_port: false,
            default_data_source_port: None,
            data_connect_timeout: Duration::from_secs(30),
            data_stall_timeout: Duration::from_secs(120),
            min_data_rate: 1024,
            min_data_rate_window: Duration::from_secs(300),
            control_write_timeout: Duration::from_secs(60),
            login_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(600),
            failed_login_delay: Duration::from_secs(1),
            max_login_failures: 3,
            max_sessions: 1000,
            max_sessions_per_ip: 50,
            max_unauthenticated_sessions: 250,
            max_unauthenticated_sessions_per_ip: 10,
            access: AccessList::default(),
            ipv6_prefix: crate::defence::DEFAULT_IPV6_PREFIX,
            login_ban: crate::defence::BanPolicy::default(),
            max_line: wharf_proto::framer::DEFAULT_MAX_LINE,
            max_wildcard_scan: 10_000,
            max_hash_size: 4 << 30,
            ascii_scan_limit: crate::data::ascii_offsets::SCAN_LIMIT,
            max_list_depth: 8,
            max_list_entries: 10_000,
            transfer_buffer: 256 * 1024,
            keepalive: Some(Keepalive::default()),
            shutdown_grace: Duration::from_secs(30),
            tls_policy: TlsPolicy::default(),
            tls_reuse_required: true,
            allow_ccc: false,
            epsv: true,
            proxy_protocol: None,
            session_download_rate: 0,
            session_upload_rate: 0,
            server_download_rate: 0,
            server_upload_rate: 0,
            local_downloads: LocalDownloads::SendFile,
            splice_uploads: SpliceUploads::Auto,
        }
    }
}

impl Options {
    /// The session caps of these options, for the connection limits.
    pub(crate) fn session_caps(&self) -> crate::defence::limits::Caps {
        crate::defence::limits::Caps {
            total: self.max_sessions,
            per_group: self.max_sessions_per_ip,
            unauthenticated: self.max_unauthenticated_sessions,
            unauthenticated_per_group: self.max_unauthenticated_sessions_per_ip,
            ipv6_prefix: self.ipv6_prefix,
        }
    }
}
