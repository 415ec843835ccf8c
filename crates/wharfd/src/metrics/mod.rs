//! wharfd's Prometheus metrics: an [`Observer`](wharf_session::Observer)
//! that counts what the server does, and the gauges read from
//! [`ServerStats`] at each scrape. Served on the admin listener's
//! `/metrics` in the Prometheus text format (0.0.4). `docs/operations.md`
//! lists every metric.

mod labels;
mod observer;
mod storage;

pub(crate) use storage::{Measured, StorageCounters};

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use wharf_session::ServerStats;

use labels::{
    Build, Command, Direction, Handshake, Kind, Listener, Outcome, QuotaRefusal, Reason, Transfer,
};

/// The content type of [`Metrics::render`]'s text.
pub(crate) const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Transfer durations from a millisecond to about 4.6 hours, by fours.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 12))
}

/// Every metric wharfd keeps.
pub(crate) struct Metrics {
    registry: Registry,
    sessions_opened: Family<Listener, Counter>,
    sessions_closed: Family<Listener, Counter>,
    sessions_open: Family<Listener, Gauge>,
    connections_refused: Family<Reason, Counter>,
    logins: Family<Outcome, Counter>,
    commands: Family<Command, Counter>,
    transfers: Family<Transfer, Counter>,
    transfer_seconds: Histograms<Kind>,
    bytes: Family<Direction, Counter>,
    tls_handshakes: Family<Handshake, Counter>,
    quota_refusals: Family<QuotaRefusal, Counter>,
    storage: StorageCounters,
    // Read from ServerStats at each scrape.
    sessions_not_logged_in: Gauge,
    passive_listeners: Gauge,
    multiplexed_reservations: Gauge,
    bans_active: Gauge,
    // Read from the shared state's counters at each scrape.
    shared: std::sync::OnceLock<std::sync::Arc<wharf_session::shared::SharedHealth>>,
    shared_errors: Counter,
    shared_local_failures: Counter,
    shared_uncounted_sessions: Counter,
    shared_failing: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("wharf");
        let build: Family<Build, Gauge> = Family::default();
        build
            .get_or_create(&Build {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "wharfd's version; always 1", build);
        let metrics = Self {
            sessions_opened: Family::default(),
            sessions_closed: Family::default(),
            sessions_open: Family::default(),
            connections_refused: Family::default(),
            logins: Family::default(),
            commands: Family::default(),
            transfers: Family::default(),
            transfer_seconds: Family::new_with_constructor(duration_histogram),
            bytes: Family::default(),
            tls_handshakes: Family::default(),
            quota_refusals: Family::default(),
            storage: StorageCounters::default(),
            sessions_not_logged_in: Gauge::default(),
            passive_listeners: Gauge::default(),
            multiplexed_reservations: Gauge::default(),
            bans_active: Gauge::default(),
            shared: std::sync::OnceLock::new(),
            shared_errors: Counter::default(),
            shared_local_failures: Counter::default(),
            shared_uncounted_sessions: Counter::default(),
            shared_failing: Gauge::default(),
            registry,
        };
        metrics.register()
    }

    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "sessions_opened",
            "Control connections admitted, by listener and by implicit or explicit TLS",
            self.sessions_opened.clone(),
        );
        r.register(
            "sessions_closed",
            "Sessions ended, by listener and by whether the control connection was under TLS at the end",
            self.sessions_closed.clone(),
        );
        r.register(
            "sessions_open",
            "Sessions open now, by listener and by implicit or explicit TLS",
            self.sessions_open.clone(),
        );
        r.register(
            "sessions_not_logged_in",
            "Sessions open now and not logged in",
            self.sessions_not_logged_in.clone(),
        );
        r.register(
            "connections_refused",
            "Connections closed before their session began: the access list, a session limit or a ban",
            self.connections_refused.clone(),
        );
        r.register(
            "logins",
            "Logins decided, by result (accepted, rejected, unavailable)",
            self.logins.clone(),
        );
        r.register(
            "commands",
            "Commands answered, by verb and reply class",
            self.commands.clone(),
        );
        r.register(
            "transfers",
            "Data transfers ended, by verb and result (complete, failed, aborted)",
            self.transfers.clone(),
        );
        r.register(
            "transfer_duration_seconds",
            "How long data transfers took, from the 150 reply to the end, by kind",
            self.transfer_seconds.clone(),
        );
        r.register(
            "transfer_bytes",
            "Bytes moved on data connections: received (uploads) or sent (downloads, listings)",
            self.bytes.clone(),
        );
        r.register(
            "tls_handshakes",
            "TLS handshakes ended, by channel (control, data) and result",
            self.tls_handshakes.clone(),
        );
        r.register(
            "quota_refusals",
            "Transfers a quota refused or stopped, by direction (download, upload)",
            self.quota_refusals.clone(),
        );
        r.register(
            "storage_operations",
            "Calls to the storage back-end, by back-end (local, azure, s3) and operation",
            self.storage.operations.clone(),
        );
        r.register(
            "storage_errors",
            "Storage calls that failed, by back-end, operation and error kind",
            self.storage.errors.clone(),
        );
        r.register(
            "storage_retries",
            "Retries of wharf-blob's own storage requests (containers, markers, copies), by back-end; object_store's retries of uploads and downloads are not seen",
            self.storage.retries.clone(),
        );
        r.register(
            "passive_listeners",
            "Passive ports bound and waiting for their data connection",
            self.passive_listeners.clone(),
        );
        r.register(
            "multiplexed_reservations",
            "Reservations on multiplexed passive ports waiting for their data connection",
            self.multiplexed_reservations.clone(),
        );
        r.register(
            "bans_active",
            "Address groups banned now after failed logins (-1: the shared guard cannot tell)",
            self.bans_active.clone(),
        );
        r.register(
            "shared_state_errors",
            "Calls to the --shared-state store that failed or timed out",
            self.shared_errors.clone(),
        );
        r.register(
            "shared_state_local_failures",
            "Failed logins counted by this node alone because the shared store failed",
            self.shared_local_failures.clone(),
        );
        r.register(
            "shared_state_uncounted_sessions",
            "Sessions admitted without the fleet-wide per-address count because the shared store failed",
            self.shared_uncounted_sessions.clone(),
        );
        r.register(
            "shared_state_failing",
            "1 while the last call to the --shared-state store failed, else 0",
            self.shared_failing.clone(),
        );
        self
    }

    /// Reads `health` at each scrape (`--shared-state`).
    pub(crate) fn shared_health(
        &self,
        health: std::sync::Arc<wharf_session::shared::SharedHealth>,
    ) {
        let _ = self.shared.set(health);
    }

    /// The counters storage wrappers ([`Measured`]) add to.
    pub(crate) fn storage(&self) -> StorageCounters {
        self.storage.clone()
    }

    /// The metrics in the Prometheus text format, with the gauges read
    /// from `stats` now.
    pub(crate) fn render(&self, stats: ServerStats) -> String {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.sessions_not_logged_in
            .set(gauge(stats.sessions_not_logged_in));
        self.passive_listeners.set(gauge(stats.passive_listeners));
        self.multiplexed_reservations
            .set(gauge(stats.multiplexed_reservations));
        self.bans_active.set(stats.bans_active.map_or(-1, gauge));
        if let Some(health) = self.shared.get() {
            let now = health.snapshot();
            let catch_up = |counter: &Counter, value: u64| {
                counter.inc_by(value.saturating_sub(counter.get()));
            };
            catch_up(&self.shared_errors, now.errors);
            catch_up(&self.shared_local_failures, now.local_failures);
            catch_up(&self.shared_uncounted_sessions, now.uncounted_sessions);
            self.shared_failing.set(i64::from(now.failing));
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &self.registry);
        text
    }
}
