//! Socket options for control and data connections.

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;
use tracing::debug;

use crate::options::Keepalive;

/// The control connection's send buffer (Linux doubles it for its own
/// bookkeeping).
const CONTROL_SEND_BUFFER: usize = 64 * 1024;

fn keepalive(stream: &TcpStream, settings: Option<Keepalive>) {
    let Some(k) = settings else { return };
    let params = TcpKeepalive::new()
        .with_time(k.idle)
        .with_interval(k.interval)
        .with_retries(k.retries);
    if let Err(e) = SockRef::from(stream).set_tcp_keepalive(&params) {
        debug!("cannot set TCP keepalive: {e}");
    }
}

/// Control connection: keepalive (a load balancer must not drop it while a
/// long transfer runs), no Nagle delay on replies, and urgent data kept in
/// line: Python's ftplib sends `ABOR\r\n` with `MSG_OOB`, which marks its
/// last byte urgent, and without `SO_OOBINLINE` the kernel takes that LF
/// out of the stream so the line would never end. The send buffer is
/// capped: replies are small, and a client that pipelines commands without
/// reading would otherwise pin up to the kernel's autotuning maximum
/// (4 MiB by default on Linux) per connection until the write times out.
pub(crate) fn tune_control(stream: &TcpStream, settings: Option<Keepalive>) {
    keepalive(stream, settings);
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
