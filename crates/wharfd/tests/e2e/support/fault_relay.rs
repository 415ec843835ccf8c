//! [`FaultRelay`]: a loopback TCP relay between wharfd and a storage
//! emulator, for the store fault suites. wharfd always talks to the
//! relay's fixed port, so the emulator behind it can be killed and
//! restarted on another port ([`FaultRelay::retarget`]). The relay counts
//! what reaches it: every connection, and every HTTP request head it
//! forwards or turns away (so a test can bound wharfd's retries), and it
//! can inject what a real emulator cannot be made to do on cue:
//! - [`Fault::Refuse`]: the listening socket is closed, so connections
//!   are refused as by a store that is down (nothing is counted then);
//! - [`FaultRelay::cut`]: every open connection is shut down now, in the
//!   middle of whatever body it carries; [`FaultRelay::cut_body_after`]:
//!   the connection whose request body passes a given count of bytes is
//!   shut down there.
//!
//! When the emulator behind it is killed, the relay closes each
//! connection it cannot forward, after counting its request, as a load
//! balancer in front of a dead store does. Threads and blocking sockets;
//! a forwarding thread ends when its connection closes or is cut.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the relay does with new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Forward them to the target.
    Pass,
    /// Close the listening socket: connections are refused.
    Refuse,
}

#[derive(Default)]
struct Shared {
    target: Mutex<u16>,
    fault: Mutex<Option<Fault>>,
    connections: AtomicUsize,
    /// `METHOD path` of every request head seen, forwarded or not.
    requests: Mutex<Vec<String>>,
    /// Request body bytes still to pass before a cut.
    cut_after: Mutex<Option<usize>>,
    /// Both sockets of every open forwarded connection, for `cut`.
    open: Mutex<Vec<TcpStream>>,
    stopped: AtomicBool,
}

/// A relay on `127.0.0.1:port` to `127.0.0.1:target`.
pub(crate) struct FaultRelay {
    pub(crate) port: u16,
    shared: Arc<Shared>,
}

/// How long the relay waits for a request head before giving up on a
/// connection.
const HEAD_WAIT: Duration = Duration::from_secs(10);

impl FaultRelay {
    pub(crate) fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("test set-up");
        let port = listener.local_addr().expect("test set-up").port();
        let shared = Arc::new(Shared::default());
        *shared.target.lock().expect("not poisoned") = target;
        let accepting = Arc::clone(&shared);
        listener.set_nonblocking(true).expect("test set-up");
        thread::spawn(move || accept(Some(listener), port, &accepting));
        Self { port, shared }
    }

    /// The endpoint wharfd is given.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forwards new connections to `target` from now on.
    pub(crate) fn retarget(&self, target: u16) {
        *self.shared.target.lock().expect("not poisoned") = target;
    }

    pub(crate) fn set(&self, fault: Fault) {
        *self.shared.fault.lock().expect("not poisoned") = Some(fault);
    }

    /// Shuts down every open forwarded connection, both ways.
    pub(crate) fn cut(&self) {
        for stream in self.shared.open.lock().expect("not poisoned").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Cuts the connection whose request body passes `bytes` more bytes
    /// from now (counted across bodies), mid-body, once.
    pub(crate) fn cut_body_after(&self, bytes: usize) {
        *self.shared.cut_after.lock().expect("not poisoned") = Some(bytes);
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Request heads seen so far (`METHOD path?query`).
    pub(crate) fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("not poisoned").clone()
    }
}

impl Drop for FaultRelay {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.cut();
    }
}

/// Accepts until dropped; under [`Fault::Refuse`] the listener is closed
/// (the kernel refuses), and opened again on the same port after.
fn accept(mut listener: Option<TcpListener>, port: u16, shared: &Arc<Shared>) {
    while !shared.stopped.load(Ordering::SeqCst) {
        let refuse = *shared.fault.lock().expect("not poisoned") == Some(Fault::Refuse);
        if refuse {
            listener = None;
        } else if listener.is_none() {
            // std sets SO_REUSEADDR: the port is free again at once.
            listener = TcpListener::bind(("127.0.0.1", port)).ok();
            if let Some(open) = &listener {
                open.set_nonblocking(true).expect("test set-up");
            }
        }
        let accepted = listener.as_ref().map(TcpListener::accept);
        match accepted {
            Some(Ok((client, _))) => {
                let _ = client.set_nonblocking(false);
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let shared = Arc::clone(shared);
                thread::spawn(move || serve(client, &shared));
            }
            _ => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn serve(mut client: TcpStream, shared: &Shared) {
    let fault = shared
        .fault
        .lock()
        .expect("not poisoned")
        .unwrap_or(Fault::Pass);
    let target = *shared.target.lock().expect("not poisoned");
    let upstream = match fault {
        Fault::Pass => TcpStream::connect(("127.0.0.1", target)).ok(),
        Fault::Refuse => None,
    };
    let Some(upstream) = upstream else {
        // Turned away: count what it asked, then close unanswered.
        let _ = client.set_read_timeout(Some(HEAD_WAIT));
        if let Some((head, ..)) = read_head(&mut client, &mut Vec::new()) {
            record(shared, &head);
        }
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (Ok(client_in), Ok(upstream_out), Ok(upstream_in), Ok(client_out)) = (
        client.try_clone(),
        upstream.try_clone(),
        upstream.try_clone(),
        client.try_clone(),
    ) else {
        return;
    };
    {
        let mut open = shared.open.lock().expect("not poisoned");
        open.push(client);
        open.push(upstream);
    }
    thread::spawn(move || pump(upstream_in, client_out));
    forward_requests(client_in, upstream_out, shared);
}

/// Copies responses back as they come.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// Copies requests on, counting each head; a body is framed by its
/// `content-length` (what wharf-blob's client sends). A chunked body
/// ends the counting on that connection, not the copying.
fn forward_requests(mut from: TcpStream, mut to: TcpStream, shared: &Shared) {
    let mut buffered = Vec::new();
    while let Some((head, head_end, body_len)) = read_head(&mut from, &mut buffered) {
        record(shared, &head);
        if to.write_all(&buffered[..head_end]).is_err() {
            break;
        }
        buffered.drain(..head_end);
        let Some(mut left) = body_len else {
            let _ = to.write_all(&buffered);
            let _ = std::io::copy(&mut from, &mut to);
            break;
        };
        let now = buffered.len().min(left);
        if to.write_all(&buffered[..now]).is_err() {
            break;
        }
        buffered.drain(..now);
        left -= now;
        if left > 0 && !copy_body(&mut from, &mut to, left, shared) {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// Copies a request body of `left` bytes; false when the connection
/// broke, or was cut by [`FaultRelay::cut_body_after`].
fn copy_body(from: &mut TcpStream, to: &mut TcpStream, mut left: usize, shared: &Shared) -> bool {
    let mut chunk = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = left.min(chunk.len());
        let n = match from.read(&mut chunk[..want]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        {
            let mut budget = shared.cut_after.lock().expect("not poisoned");
            if let Some(bytes) = budget.as_mut() {
                if *bytes <= n {
                    *budget = None;
                    return false;
                }
                *bytes -= n;
            }
        }
        if to.write_all(&chunk[..n]).is_err() {
            return false;
        }
        left -= n;
    }
    true
}

fn record(shared: &Shared, head: &str) {
    let line = head.lines().next().unwrap_or_default();
    let mut words = line.split(' ');
    let what = format!(
        "{} {}",
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default()
    );
    shared.requests.lock().expect("not poisoned").push(what);
}

/// Reads until `buffered` holds a whole request head; returns it (as
/// text), its length in bytes and its body's length (`None`: not framed
/// by a length).
fn read_head(
    from: &mut TcpStream,
    buffered: &mut Vec<u8>,
) -> Option<(String, usize, Option<usize>)> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffered[..end + 4]).into_owned();
            let mut length = Some(0);
            for line in head.lines() {
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().ok();
                }
                if lower.starts_with("transfer-encoding:") {
                    length = None;
                }
            }
            return Some((head, end + 4, length));
        }
        match from.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffered.extend_from_slice(&chunk[..n]),
        }
    }
}
