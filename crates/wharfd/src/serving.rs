//! Serving what `prepare` bound: the privilege drop, the banner, the
//! background work (admin listener, log reopening, orphan sweep) and the
//! server until shutdown.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result};
use wharf_session::{Server, TlsConfig};

use crate::{admin, lifecycle, logs, metrics, privileges, readiness, reconfigure};

/// A bound server and what serving it needs.
pub(crate) struct Prepared {
    pub(crate) server: Server,
    /// Lines printed before the listening lines.
    pub(crate) banner: Vec<String>,
    pub(crate) tls: Option<Arc<TlsConfig>>,
    pub(crate) local_roots: Vec<wharf_fs::LocalFs>,
    pub(crate) plan: privileges::Plan,
    /// Whether sessions need `CAP_NET_BIND_SERVICE` after a drop.
    pub(crate) keep_bind: bool,
    /// The admin listener, bound, and the metrics it serves.
    pub(crate) admin: Option<(tokio::net::TcpListener, Arc<metrics::Metrics>)>,
    /// `/readyz`'s storage check; `None` in passthrough.
    pub(crate) storage_probe: Option<readiness::StorageProbe>,
    /// The log files to reopen on SIGHUP and SIGUSR1.
    pub(crate) log_files: Vec<Arc<logs::LogFile>>,
    /// What a SIGHUP reads again.
    pub(crate) reconfigure: reconfigure::Reconfigure,
}

/// Serves `prepared`. With a privilege drop planned, the drop runs here on
/// the main thread, outside `runtime` (whose threads glibc's set*id calls
/// reach, but whose capabilities only the kernel's rules change), and the
/// server runs on a second runtime started afterwards, so that its threads
/// inherit exactly the main thread's ids and capabilities. `runtime` stays
/// up meanwhile: the listeners were bound in it and its I/O driver serves
/// them.
pub(crate) fn serve_as_planned(
    runtime: &tokio::runtime::Runtime,
    prepared: Prepared,
) -> Result<()> {
    let privileges::Plan::Drop(run_as) = &prepared.plan else {
        return runtime.block_on(serve(prepared));
    };
    let run_as = run_as.clone();
    privileges::drop_to(&run_as, prepared.keep_bind)?;
    let serving = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    privileges::check_threads(&run_as, prepared.keep_bind)?;
    tracing::info!(
        user = %run_as.name,
        uid = run_as.uid,
        gid = run_as.gid,
        kept = if prepared.keep_bind { "CAP_NET_BIND_SERVICE" } else { "none" },
        "dropped root privileges"
    );
    serving.block_on(serve(prepared))
}

/// Prints the banner, starts the background work and serves until a
/// signal.
async fn serve(prepared: Prepared) -> Result<()> {
    let Prepared {
        server,
        banner,
        tls,
        local_roots,
        plan,
        admin,
        storage_probe,
        log_files,
        reconfigure,
        ..
    } = prepared;
    let mut lifecycle = lifecycle::Lifecycle::start(tls)?;
    lifecycle.reload_configuration(reconfigure, server.connections());
    tokio::spawn(logs::reopen_on(log_files, lifecycle.reopens()));
    let admin = admin.map(|(listener, metrics)| {
        let admin = Arc::new(admin::Admin {
            metrics,
            connections: server.connections(),
            draining: std::sync::atomic::AtomicBool::new(false),
            storage: storage_probe,
        });
        let address = listener.local_addr().ok();
        tokio::spawn(admin::serve(listener, admin.clone()));
        (admin, address)
    });
    crate::orphans::sweep_in_background(local_roots);
    let mut out = std::io::stdout().lock();
    if let privileges::Plan::Drop(run_as) = &plan {
        writeln!(
            out,
            "wharfd: running as {} (uid {}, gid {})",
            run_as.name, run_as.uid, run_as.gid
        )?;
    }
    for line in &banner {
        writeln!(out, "wharfd: {line}")?;
    }
    // Before the listening lines: those say the server is ready.
    if let Some((_, Some(address))) = &admin {
        writeln!(out, "wharfd: admin on http://{address}/metrics")?;
    }
    for address in server.local_addrs() {
        writeln!(out, "wharfd: listening on ftp://{address}")?;
    }
    for address in server.implicit_addrs() {
        writeln!(out, "wharfd: listening on ftps://{address}")?;
    }
    out.flush()?;
    drop(out);

    lifecycle.ready();
    let draining = admin.map(|(admin, _)| admin);
    server
        .run_until(async move {
            lifecycle.until_shutdown().await;
            // From now on /readyz answers 503: no new sessions, please.
            if let Some(admin) = draining {
                admin
                    .draining
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .await?;
    Ok(())
}
