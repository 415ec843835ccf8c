//! Data connections that always connect: every passive offer is dialled at
//! once from the client's address, every active or default-port connect
//! succeeds, and the far end of each is a peer that sends [`PAYLOAD`] and
//! reads whatever comes until the end.

use std::io;
use std::net::{IpAddr, SocketAddr};

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

use crate::data::active::PairMemory;
use crate::data::ports::{DataPorts, PassiveOffer, PassiveRefusal};
use crate::link::{self, Link};

/// What the peer of every data connection uploads.
pub(super) const PAYLOAD: &[u8] = b"fuzzed upload\r\nsecond line\n";

/// The port every passive offer announces.
const PASSIVE_PORT: u16 = 40_000;

/// The fake network of the session fuzzer.
#[derive(Debug, Default)]
pub(super) struct PeerPorts;

/// A data connection whose far end is a peer task.
fn connection() -> Link {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    tokio::spawn(peer(theirs));
    link::pipe(ours)
}

/// Uploads [`PAYLOAD`] and drains the other direction, both at once.
async fn peer(stream: DuplexStream) {
    let (mut read, mut write) = tokio::io::split(stream);
    let upload = async {
        let _ = write.write_all(PAYLOAD).await;
        let _ = write.shutdown().await;
    };
    let download = async {
        let mut sink = [0u8; 4096];
        while matches!(read.read(&mut sink).await, Ok(n) if n > 0) {}
    };
    tokio::join!(upload, download);
}

#[async_trait]
impl DataPorts for PeerPorts {
    async fn offer_passive(
        &self,
        _local: IpAddr,
        client: IpAddr,
    ) -> Result<Box<dyn PassiveOffer>, PassiveRefusal> {
        let (sender, receiver) = mpsc::unbounded_channel();
        // The receiver is alive: this cannot fail.
        let _ = sender.send((connection(), SocketAddr::new(client, 50_000)));
        Ok(Box::new(Offer { receiver }))
    }

    async fn connect_active(&self, _target: SocketAddr, _local: IpAddr) -> io::Result<Link> {
        Ok(connection())
    }

    async fn connect_default(
        &self,
        _source: SocketAddr,
        _target: SocketAddr,
        _lately: &PairMemory,
    ) -> io::Result<Link> {
        Ok(connection())
    }
}

#[derive(Debug)]
struct Offer {
    receiver: mpsc::UnboundedReceiver<(Link, SocketAddr)>,
}

#[async_trait]
impl PassiveOffer for Offer {
    fn port(&self) -> u16 {
        PASSIVE_PORT
    }

    async fn next(&mut self) -> io::Result<(Link, SocketAddr)> {
        match self.receiver.recv().await {
            Some(arrived) => Ok(arrived),
            None => std::future::pending().await,
        }
    }
}
