//! Socket options for control and data connections.

use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;
use tracing::debug;

use crate::options::Keepalive;

/// The control connection's send buffer (Linux doubles it for its own
/// bookkeeping).
const CONTROL_SEND_BUFFER: usize = 64 * 1024;

fn keepalive(stream: &TcpStream, settings: Option<Keepalive>) {
    let Some(k) = settings else { return };
    let sock = SockRef::from(stream);
    let params = TcpKeepalive::new()
        .with_time(k.idle)
        .with_interval(k.interval)
        .with_retries(k.retries);
    if let Err(e) = sock.set_tcp_keepalive(&params) {
        debug!("cannot set TCP keepalive: {e}");
    }
}

/// How long keepalive lets a silent peer hold an idle connection:
/// `idle + interval × retries`.
fn keepalive_bound(k: Keepalive) -> Duration {
    k.idle.saturating_add(k.interval.saturating_mul(k.retries))
}

/// `TCP_USER_TIMEOUT` at the keepalive bound, on the control connection.
/// Keepalive probes only an idle connection: while sent data waits for an
/// acknowledgement the kernel retransmits instead and gives up only after
/// `net.ipv4.tcp_retries2` (about 15 minutes). A peer that vanishes
/// mid-transfer leaves exactly that: the stall bound ends the transfer,
/// the `426` written on the control connection is never acknowledged, no
/// probe is sent, and the session would outlive every configured bound.
/// The user timeout closes a connection whose sent data stays
/// unacknowledged for the keepalive bound, the verdict keepalive gives an
/// idle one; Linux also lets it decide keepalive's own end (after at
/// least one unanswered probe), which the bound keeps where it was.
///
/// Data connections do not get it: their stall bound and rate floor
/// already end a transfer to a silent peer, on their own settings.
#[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
fn user_timeout(stream: &TcpStream, settings: Option<Keepalive>) {
    let Some(k) = settings else { return };
    if let Err(e) = SockRef::from(stream).set_tcp_user_timeout(Some(keepalive_bound(k))) {
        debug!("cannot set TCP_USER_TIMEOUT: {e}");
    }
}

/// Other systems have no `TCP_USER_TIMEOUT`; keepalive alone applies.
#[cfg(not(any(target_os = "android", target_os = "fuchsia", target_os = "linux")))]
fn user_timeout(_stream: &TcpStream, _settings: Option<Keepalive>) {}

/// Control connection: keepalive (a load balancer must not drop it while a
/// long transfer runs, and a vanished peer is found, also with a reply
/// unacknowledged: see [`user_timeout`]), no Nagle delay on replies, and urgent data kept in
/// line: Python's ftplib sends `ABOR\r\n` with `MSG_OOB`, which marks its
/// last byte urgent, and without `SO_OOBINLINE` the kernel takes that LF
/// out of the stream so the line would never end. The send buffer is
/// capped: replies are small, and a client that pipelines commands without
/// reading would otherwise pin up to the kernel's autotuning maximum
/// (4 MiB by default on Linux) per connection until the write times out.
pub(crate) fn tune_control(stream: &TcpStream, settings: Option<Keepalive>) {
    keepalive(stream, settings);
    user_timeout(stream, settings);
    let sock = SockRef::from(stream);
    if let Err(e) = sock.set_send_buffer_size(CONTROL_SEND_BUFFER) {
        debug!("cannot set SO_SNDBUF: {e}");
    }
    if let Err(e) = sock.set_tcp_nodelay(true) {
        debug!("cannot set TCP_NODELAY: {e}");
    }
    if let Err(e) = sock.set_out_of_band_inline(true) {
        debug!("cannot set SO_OOBINLINE: {e}");
    }
}

/// Data connection: keepalive only.
pub(crate) fn tune_data(stream: &TcpStream, settings: Option<Keepalive>) {
    keepalive(stream, settings);
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use super::*;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    #[tokio::test]
    async fn the_control_user_timeout_is_the_keepalive_bound() {
        let (_client, server) = pair().await;
        let k = Keepalive {
            idle: Duration::from_secs(3),
            interval: Duration::from_secs(2),
            retries: 4,
        };
        tune_control(&server, Some(k));
        let sock = SockRef::from(&server);
        assert_eq!(
            sock.tcp_user_timeout().unwrap(),
            Some(Duration::from_secs(11))
        );
        assert_eq!(sock.tcp_keepalive_time().unwrap(), Duration::from_secs(3));
    }

    #[tokio::test]
    async fn data_connections_are_left_to_the_stall_bound() {
        let (_client, data) = pair().await;
        tune_data(&data, Some(Keepalive::default()));
        let sock = SockRef::from(&data);
        assert_eq!(sock.tcp_user_timeout().unwrap(), None);
        assert_eq!(sock.tcp_keepalive_time().unwrap(), Duration::from_secs(60));
    }

    #[tokio::test]
    async fn without_keepalive_there_is_no_user_timeout() {
        let (_client, server) = pair().await;
        tune_control(&server, None);
        assert_eq!(SockRef::from(&server).tcp_user_timeout().unwrap(), None);
    }
}
