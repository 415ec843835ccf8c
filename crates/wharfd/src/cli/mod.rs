//! Command-line flags. The quick-start flags are kept stable: scripts and
//! tests use them. Every setting is optional here; `overlay.rs` turns the
//! flags given into a `Config` laid over the file's.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;

use clap::Parser;

mod azure_identity;
mod defence;
mod object_stores;
mod overlay;

pub(crate) use azure_identity::StorageCredentialArgs;
pub(crate) use defence::DefenceArgs;
pub(crate) use object_stores::ObjectStoreArgs;

use crate::values::{
    AutoWord, MarkerStyle, Switch, parse_port_range, parse_rate, parse_size, parse_umask,
};

/// Wharf's FTP server.
///
/// With no arguments it serves ./ftp-root (created if missing) on
/// 127.0.0.1:2121 to a user `wharf` with a one-time password printed at start.
/// Every setting can also come from a TOML file (--config); flags win.
#[derive(Debug, Parser)]
#[command(name = "wharfd", version, about, long_about = None)]
#[command(disable_help_subcommand = true)]
pub(crate) struct Cli {
    /// A TOML configuration file with every setting (see
    /// wharfd.example.toml); flags given here override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Read a password on standard input, print its argon2 hash for a
    /// users file, and exit.
    #[arg(long)]
    pub(crate) hash_password: bool,

    /// Instead of serving: `check-config`.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    /// Address to listen on; repeat for several (IPv6 as [::1]:2121).
    /// Default 127.0.0.1:2121.
    #[arg(long = "listen", value_name = "ADDR:PORT")]
    pub(crate) listen: Vec<SocketAddr>,

    /// Directory served as `/` (created if missing). Default ./ftp-root.
    #[arg(long, value_name = "DIR")]
    pub(crate) root: Option<PathBuf>,

    /// Bits taken away from the mode of new files and folders, in octal
    /// (default 022: files 0644, folders 0755; 077 keeps them private).
    #[arg(long, value_name = "OCTAL", value_parser = parse_umask)]
    pub(crate) umask: Option<u32>,

    /// Started as root: after binding the listeners, become this user (and
    /// its group, or GROUP) for good, as vsftpd and ProFTPD do. Without it
    /// a server started as root keeps running as root, with a warning.
    #[arg(long, value_name = "USER[:GROUP]")]
    pub(crate) run_as: Option<String>,

    /// Sync each finished upload to disk before its 226 (default on: an
    /// acknowledged upload survives a power cut). off answers as soon as the
    /// data is in the page cache, as most FTP servers do.
    #[arg(long, value_name = "on|off")]
    pub(crate) sync_uploads: Option<Switch>,

    /// How plain binary downloads of local files are sent (Linux): on
    /// (default) is sendfile(2), the least CPU per byte; off copies through
    /// the server; auto copies while a core is free and uses sendfile when
    /// downloads share the cores.
    #[arg(long, value_enum, value_name = "auto|on|off")]
    pub(crate) sendfile: Option<AutoWord>,

    /// How plain binary uploads into local files are received (Linux): on
    /// moves them from the socket into the file with splice(2), the least
    /// CPU per byte through the page cache; off copies them through the
    /// server, which can write a durable upload to a disk past the page
    /// cache (O_DIRECT); auto (default) splices wherever the copy would go
    /// through the page cache too (--sync-uploads off, tmpfs).
    #[arg(long, value_enum, value_name = "auto|on|off")]
    pub(crate) splice_uploads: Option<AutoWord>,

    /// Ports for passive data connections (default 50000-50999).
    #[arg(long, value_name = "LOW-HIGH", value_parser = parse_port_range)]
    pub(crate) passive_ports: Option<RangeInclusive<u16>>,

    /// Address announced in PASV replies, for servers behind NAT or a load
    /// balancer: an IP, or a host name re-resolved every minute.
    #[arg(long, value_name = "IP|HOSTNAME")]
    pub(crate) public_address: Option<String>,

    /// A read-write user; repeat for several. The password is hashed in
    /// memory at start.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    pub(crate) users: Vec<(String, String)>,

    /// A users file: TOML `[[user]]` tables with name, password_hash,
    /// root and writable.
    #[arg(long = "users", value_name = "FILE")]
    pub(crate) users_file: Option<PathBuf>,

    /// Let `anonymous` and `ftp` log in read-only with any password.
    #[arg(long)]
    pub(crate) anonymous: bool,

    /// Session limits, bans, the fleet's shared state, access lists and
    /// PROXY headers.
    #[command(flatten)]
    pub(crate) defence: DefenceArgs,

    /// Passive listeners one client address (or IPv6 prefix) may hold at
    /// once, waiting for their data connections (default 10; 0: no cap).
    #[arg(long, value_name = "N")]
    pub(crate) max_passive_per_ip: Option<usize>,

    /// Close a logged-in session idle this many seconds (default 600).
    #[arg(long, value_name = "SECS")]
    pub(crate) idle_timeout: Option<u64>,

    /// Keep one listener per passive port for the server's life and share
    /// the ports between clients (a few public ports, many clients).
    #[arg(long)]
    pub(crate) passive_multiplex: bool,

    /// Answer EPSV (default on). Off, EPSV gets 502 and FEAT leaves it
    /// out, so clients fall back to PASV, which names this node's
    /// --public-address: for balancers that cannot forward a passive range
    /// to each node.
    #[arg(long, value_name = "on|off")]
    pub(crate) epsv: Option<Switch>,

    /// The default data port (RFC 959): with no PORT/PASV before a
    /// transfer, connect from the control port minus one to the client's
    /// control address and port. Default on.
    #[arg(long, value_name = "on|off")]
    pub(crate) default_data_port: Option<Switch>,

    /// Source port for default data connections instead of the control
    /// port minus one (which needs privileges below 1024).
    #[arg(long, value_name = "PORT")]
    pub(crate) default_data_source_port: Option<u16>,

    /// PORT/EPRT data connections come from the default data source port
    /// (the control port minus one: 20 for a server on 21), as vsftpd's
    /// connect_from_port_20, for client firewalls that admit only that;
    /// an ephemeral port when it cannot be bound.
    #[arg(long)]
    pub(crate) active_from_data_port: bool,

    /// Allow PORT/EPRT to other hosts than the client and to ports below
    /// 1024 (FTP bounce; off by default, RFC 2577).
    #[arg(long)]
    pub(crate) active_any_address: bool,

    /// Seed 000's bridge: log in with an Azure storage account name as user
    /// and its key as password; the account's containers are the folders of
    /// `/`. A SAS token as password instead of the key: an account SAS as
    /// ACCOUNT, a container SAS as ACCOUNT/CONTAINER; the token's
    /// permissions bound the session. Users of --user/--users are checked
    /// first.
    #[arg(long)]
    pub(crate) azure_passthrough: bool,

    /// The blob endpoint for --azure-passthrough, `{account}` standing for
    /// the account name (default https://{account}.blob.core.windows.net;
    /// Azurite: http://127.0.0.1:10000/{account}).
    #[arg(long, value_name = "URL")]
    pub(crate) azure_endpoint: Option<String>,

    /// What keeps an empty folder alive in an Azure container: a
    /// `.placeholder` blob inside it (default), or a zero-length `folder/`
    /// blob (rclone, SFTPGo and Azure Storage Explorer read those).
    #[arg(long, value_enum, value_name = "STYLE")]
    pub(crate) azure_folder_marker: Option<MarkerStyle>,

    /// The storage accounts that may log in with --azure-passthrough
    /// (comma-separated or repeated); any other name is refused without a
    /// request to the store. Default: every account (with a warning).
    #[arg(long, value_name = "NAME[,NAME...]", value_delimiter = ',')]
    pub(crate) azure_accounts: Vec<String>,

    /// Let --azure-passthrough run without --tls-required login (or all):
    /// storage account keys then cross the network in clear as FTP
    /// passwords. For loopback and tests only.
    #[arg(long)]
    pub(crate) allow_account_keys_in_clear: bool,

    /// Let the users of --storage azure://ACCOUNT make a container public
    /// with SITE CHMOD (off by default: every user of the shared account
    /// could publish every container to the internet).
    #[arg(long)]
    pub(crate) allow_container_public_access: bool,

    /// Serve an object store instead of --root: azure://ACCOUNT[/CONTAINER],
    /// s3://[BUCKET] or gcs://[BUCKET[/PREFIX]], to the users of --user/--users.
    /// The credential comes from --storage-key-file or the environment
    /// (AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN or
    /// AZURE_STORAGE_KEY; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY;
    /// GOOGLE_APPLICATION_CREDENTIALS, else gcloud's or the machine's
    /// application default credentials).
    #[arg(long, value_name = "URL")]
    pub(crate) storage: Option<String>,

    /// A file holding the --storage credential. Azure: the account key, a
    /// SAS token (sv=...&sig=...; an account SAS for azure://ACCOUNT, a
    /// container SAS for azure://ACCOUNT/CONTAINER) or a connection string
    /// (AccountName=...;AccountKey=... or BlobEndpoint=...;
    /// SharedAccessSignature=...; its endpoint replaces --azure-endpoint).
    /// S3: ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]. GCS: a service account's JSON key.
    #[arg(long, value_name = "FILE")]
    pub(crate) storage_key_file: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) storage_credential: StorageCredentialArgs,

    /// Memory all blob uploads together may buffer (--storage and
    /// --azure-passthrough), e.g. 512MiB (the default; at least 16MiB).
    /// Uploads wait for room beyond it.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) blob_upload_memory: Option<u64>,

    #[command(flatten)]
    pub(crate) object_stores: ObjectStoreArgs,

    /// Log as JSON lines instead of human-readable text.
    #[arg(long)]
    pub(crate) log_json: bool,

    /// Serve /metrics (Prometheus), /healthz and /readyz over HTTP here:
    /// PORT (on 127.0.0.1) or IP:PORT. Off by default.
    #[arg(long, value_name = "ADDR")]
    pub(crate) admin_listen: Option<String>,

    /// Append one line per transfer to FILE in the xferlog format
    /// (reopened on SIGHUP and SIGUSR1, for logrotate).
    #[arg(long, value_name = "FILE")]
    pub(crate) xferlog: Option<PathBuf>,

    /// Append one JSON object per command and per transfer to FILE
    /// (reopened on SIGHUP and SIGUSR1).
    #[arg(long, value_name = "FILE")]
    pub(crate) audit_log: Option<PathBuf>,

    /// TLS certificate chain (PEM) for FTPS; reloaded on SIGHUP or when the
    /// file changes.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,

    /// TLS private key (PEM) for FTPS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,

    /// Generate a self-signed certificate for localhost at start (testing
    /// only: clients must skip verification).
    #[arg(long, conflicts_with = "tls_cert")]
    pub(crate) tls_self_signed: bool,

    /// Implicit FTPS address (TLS from the first byte; 990 in production);
    /// repeatable.
    #[arg(long = "implicit-listen", value_name = "ADDR:PORT")]
    pub(crate) implicit_listen: Vec<SocketAddr>,

    /// What needs TLS: none, login (USER/PASS), data (transfers), or all.
    #[arg(long, value_name = "WHAT", value_parser = ["none", "login", "data", "all"])]
    pub(crate) tls_required: Option<String>,

    /// Whether PROT P data connections must resume the control connection's
    /// TLS session (default true; false for clients that cannot).
    #[arg(long, value_name = "BOOL")]
    pub(crate) tls_reuse_required: Option<bool>,

    /// Allow CCC (clear control connection after login).
    #[arg(long)]
    pub(crate) tls_allow_ccc: bool,

    /// Bytes each account may transfer per period (data both ways and the
    /// control connection), e.g. 10MB or 2GiB; 0 = unlimited. Per-user
    /// limits: `quota` in the users file, `[quota.accounts]` in the config.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) quota: Option<u64>,

    /// The quota period, in UTC: day (default) or month.
    #[arg(long, value_name = "PERIOD", value_parser = ["day", "month"])]
    pub(crate) quota_period: Option<String>,

    /// Where usage counts persist and are shared between servers: a
    /// directory, azure://ACCOUNT/CONTAINER[/PREFIX] or
    /// s3://BUCKET[/PREFIX]. Without it, counts live in memory only.
    #[arg(long, value_name = "URL")]
    pub(crate) usage_store: Option<String>,

    /// The key of a blob --usage-store (as --storage-key-file; default:
    /// --storage-key-file, then the environment).
    #[arg(long, value_name = "FILE")]
    pub(crate) usage_store_key_file: Option<PathBuf>,

    /// Seconds between flushes of the usage counts to the store (default
    /// 10): what a crash can lose, and how soon servers see each other's
    /// traffic.
    #[arg(long, value_name = "SECS")]
    pub(crate) usage_flush_secs: Option<u64>,

    /// The least average rate of a data transfer, judged over
    /// [timeouts] data_minimum_window_secs (300 s); slower transfers get
    /// 426. Default 1KiB/s; 0 turns it off.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(crate) min_data_rate: Option<u64>,

    /// Download bandwidth of each session, e.g. 1MiB/s; 0 = unlimited.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(crate) session_download_rate: Option<u64>,

    /// Upload bandwidth of each session.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(crate) session_upload_rate: Option<u64>,

    /// Download bandwidth of the whole server, all sessions together.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(crate) server_download_rate: Option<u64>,

    /// Upload bandwidth of the whole server, all sessions together.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(crate) server_upload_rate: Option<u64>,

    /// Download bandwidth of each account, all its sessions on this server
    /// together.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(crate) account_download_rate: Option<u64>,

    /// Upload bandwidth of each account.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(crate) account_upload_rate: Option<u64>,
}

/// What wharfd can do besides serving. A subcommand rather than a flag
/// because it takes its own argument (the file); every flag of a serving
/// invocation still works, and comes before it
/// (`wharfd --users FILE check-config CONFIG`).
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Check the configuration as start-up would (config file, users
    /// files, TLS files, storage URLs, run_as) without binding or
    /// serving: prints `configuration OK` and exits 0, or prints the
    /// error and exits 2.
    CheckConfig {
        /// The config file, as --config FILE.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

fn parse_user(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_owned(), password.to_owned())),
        _ => Err("expected NAME:PASSWORD".to_owned()),
    }
}

/// `--public-address` as an IP when it parses as one.
pub(crate) fn public_ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users() {
        assert_eq!(parse_user("a:b:c"), Ok(("a".into(), "b:c".into())));
        assert!(parse_user(":pw").is_err());
    }

    #[test]
    fn no_flags_leave_everything_to_config_and_defaults() {
        let cli = Cli::parse_from(["wharfd"]);
        assert!(cli.listen.is_empty() && cli.root.is_none() && cli.config.is_none());
        assert!(cli.users.is_empty() && !cli.anonymous);
        assert!(cli.command.is_none());
    }

    #[test]
    fn check_config_is_a_subcommand_after_the_flags() {
        let cli = Cli::parse_from(["wharfd", "--users", "u.toml", "check-config", "w.toml"]);
        assert_eq!(cli.users_file, Some(PathBuf::from("u.toml")));
        let Some(Command::CheckConfig { file }) = cli.command else {
            panic!("no check-config: {:?}", cli.command);
        };
        assert_eq!(file, Some(PathBuf::from("w.toml")));
        let cli = Cli::parse_from(["wharfd", "check-config"]);
        assert!(matches!(
            cli.command,
            Some(Command::CheckConfig { file: None })
        ));
    }

    #[test]
    fn serving_invocations_are_unchanged() {
        // A flag's value that looks like the subcommand stays a value.
        let cli = Cli::parse_from(["wharfd", "--root", "check-config", "--listen", "[::1]:21"]);
        assert_eq!(cli.root, Some(PathBuf::from("check-config")));
        assert!(cli.command.is_none());
        // No other word is taken for a command.
        assert!(Cli::try_parse_from(["wharfd", "serve"]).is_err());
        assert!(Cli::try_parse_from(["wharfd", "help"]).is_err());
    }
}
