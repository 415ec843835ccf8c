//! [`DataPorts`] over in-process pipes: the test plays the client's side
//! of every data connection without a socket.
//!
//! A passive offer takes the next number from 40000 up; the test "dials"
//! it from any address it likes (the client's, or a stranger's to check
//! the peer rule). For active mode the test "listens" at the address it
//! sent with PORT or EPRT; a connect to an address nobody listens at is
//! refused, as TCP would.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};

use async_trait::async_trait;
use tokio::io::DuplexStream;
use tokio::sync::mpsc;

use crate::data::active::PairMemory;
use crate::data::ports::{DataPorts, PassiveOffer, PassiveRefusal};
use crate::link::{self, Link};

/// How much one direction of a pipe buffers.
const PIPE_BUFFER: usize = 64 * 1024;

/// The fake network.
#[derive(Debug)]
pub(crate) struct PipePorts {
    next_port: AtomicU16,
    passive: Mutex<HashMap<u16, mpsc::UnboundedSender<(Link, SocketAddr)>>>,
    active: Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<DuplexStream>>>,
    /// Every outgoing connection: (source, target); the source is `None`
    /// for active mode, which connects from an ephemeral port.
    pub(crate) connects: Mutex<Vec<(Option<SocketAddr>, SocketAddr)>>,
}

impl Default for PipePorts {
    fn default() -> Self {
        Self {
            next_port: AtomicU16::new(40_000),
            passive: Mutex::default(),
            active: Mutex::default(),
            connects: Mutex::default(),
        }
    }
}

impl PipePorts {
    /// Connects to passive port `port` from `from`, as a client would.
    pub(crate) fn dial(&self, port: u16, from: SocketAddr) -> io::Result<DuplexStream> {
        let passive = self.passive.lock().unwrap();
        let sender = passive.get(&port).ok_or(io::ErrorKind::ConnectionRefused)?;
        let (ours, theirs) = tokio::io::duplex(PIPE_BUFFER);
        sender
            .send((link::pipe(theirs), from))
            .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
        Ok(ours)
    }

    /// Listens at `at` for the server's active connections.
    pub(crate) fn listen(&self, at: SocketAddr) -> mpsc::UnboundedReceiver<DuplexStream> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.active.lock().unwrap().insert(at, sender);
        receiver
    }

    fn connect(&self, source: Option<SocketAddr>, target: SocketAddr) -> io::Result<Link> {
        self.connects.lock().unwrap().push((source, target));
        let active = self.active.lock().unwrap();
        let sender = active
            .get(&target)
            .ok_or(io::ErrorKind::ConnectionRefused)?;
        let (ours, theirs) = tokio::io::duplex(PIPE_BUFFER);
        sender
            .send(theirs)
            .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
        Ok(link::pipe(ours))
    }
}

#[async_trait]
impl DataPorts for PipePorts {
    async fn offer_passive(
        &self,
        _local: IpAddr,
        _client: IpAddr,
    ) -> Result<Box<dyn PassiveOffer>, PassiveRefusal> {
        let port = self.next_port.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = mpsc::unbounded_channel();
        self.passive.lock().unwrap().insert(port, sender);
        Ok(Box::new(PipeOffer { port, receiver }))
    }

    async fn connect_active(&self, target: SocketAddr, _local: IpAddr) -> io::Result<Link> {
        self.connect(None, target)
    }

    async fn connect_default(
        &self,
        source: SocketAddr,
        target: SocketAddr,
        _lately: &PairMemory,
    ) -> io::Result<Link> {
        self.connect(Some(source), target)
    }
}

#[derive(Debug)]
struct PipeOffer {
    port: u16,
    receiver: mpsc::UnboundedReceiver<(Link, SocketAddr)>,
}

#[async_trait]
impl PassiveOffer for PipeOffer {
    fn port(&self) -> u16 {
        self.port
    }

    async fn next(&mut self) -> io::Result<(Link, SocketAddr)> {
        match self.receiver.recv().await {
            Some(arrived) => Ok(arrived),
            None => std::future::pending().await,
        }
    }
}
