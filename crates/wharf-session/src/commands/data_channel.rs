//! Setting up the data connection: PORT/EPRT (active), PASV/EPSV
//! (passive, RFC 2428), and ABOR when no transfer runs.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};

use tokio::time::Instant;
use tracing::warn;
use wharf_proto::extended::{EpsvArg, NetworkProtocol, epsv_reply};
use wharf_proto::host_port::pasv_reply;
use wharf_proto::{Reply, ReplyCode};

use super::reply;
use crate::data::active::check_target;
use crate::data::plan::DataPlan;
use crate::session::{Outcome, Session};

impl Session {
    /// ABOR with no transfer running: drop any prepared data connection.
    pub(crate) fn abor_idle(&mut self) -> Outcome {
        self.data = DataPlan::None;
        reply(ReplyCode::CLOSING_DATA_CONNECTION, "No transfer to abort.")
    }

    fn refuse_after_epsv_all(&self) -> Option<Outcome> {
        self.state.epsv_all.then(|| {
            reply(
                ReplyCode::BAD_SEQUENCE,
                "EPSV ALL is in force: only EPSV may set up data connections.",
            )
        })
    }

    /// PORT and EPRT.
    pub(super) fn port(&mut self, target: SocketAddr) -> Outcome {
        if let Some(refusal) = self.refuse_after_epsv_all() {
            return refusal;
        }
        if let Err(refusal) =
            check_target(target, self.peer.ip(), self.ctx.options.active_any_address)
        {
            warn!(%target, "refused active data connection target");
            return reply(ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER, refusal.message());
        }
        self.data = DataPlan::Active(target);
        reply(ReplyCode::OK, "PORT command successful.")
    }

    pub(super) async fn pasv(&mut self) -> Outcome {
        if let Some(refusal) = self.refuse_after_epsv_all() {
            return refusal;
        }
        let Some(public) = self
            .ctx
            .public_address
            .ipv4_for(self.peer.ip(), self.local.ip())
            .await
        else {
            return reply(
                ReplyCode::CANT_OPEN_DATA_CONNECTION,
                "PASV is IPv4 only and this connection is IPv6: use EPSV.",
            );
        };
        match self.listen().await {
            Ok(port) => Outcome::Reply(pasv_reply(SocketAddrV4::new(public, port))),
            Err(reply) => Outcome::Reply(reply),
        }
    }

    pub(super) async fn epsv(&mut self, arg: EpsvArg) -> Outcome {
        let ours = NetworkProtocol::of(&self.local.ip().to_canonical());
        match arg {
            EpsvArg::All => {
                self.state.epsv_all = true;
                self.data = DataPlan::None;
                return reply(ReplyCode::OK, "EPSV ALL ok: only EPSV from now on.");
            }
            EpsvArg::Protocol(asked) if asked != ours => {
                return reply(
                    ReplyCode::NETWORK_PROTOCOL_NOT_SUPPORTED,
                    &format!("Network protocol not supported, use ({}).", ours.number()),
                );
            }
            _ => {}
        }
        match self.listen().await {
            Ok(port) => Outcome::Reply(epsv_reply(port)),
            Err(reply) => Outcome::Reply(reply),
        }
    }

    /// Binds a passive listener on the control connection's local address,
    /// or reserves a slot on a multiplexed port.
    async fn listen(&mut self) -> Result<u16, Reply> {
        // Drop the previous listener first so its port can be reused.
        self.data = DataPlan::None;
        if let Some(multiplexer) = self.ctx.multiplexer.clone() {
            let wait = self.ctx.options.passive_multiplex_wait;
            let ticket = multiplexer.reserve(self.peer.ip(), wait).await.ok_or_else(|| {
                Reply::new(
                    ReplyCode::CANT_OPEN_DATA_CONNECTION,
                    "Every passive port already has a connection pending from your address; try again.",
                )
            })?;
            let port = ticket.port;
            self.data = DataPlan::Multiplexed {
                ticket,
                expires: Instant::now() + self.ctx.options.passive_timeout,
            };
            return Ok(port);
        }
        let ip: IpAddr = self.local.ip();
        let (listener, claim) = self
            .ctx
            .passive_ports
            .bind_for(ip, self.peer.ip(), self.ctx.options.passive_multiplex_wait)
            .await
            .map_err(|e| {
                warn!(error = %e, "cannot open passive listener");
                Reply::new(
                    ReplyCode::CANT_OPEN_DATA_CONNECTION,
                    &format!("Cannot open passive connection: {e}."),
                )
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| Reply::new(ReplyCode::CANT_OPEN_DATA_CONNECTION, &format!("{e}.")))?
            .port();
        self.data = DataPlan::Passive {
            listener,
            expires: Instant::now() + self.ctx.options.passive_timeout,
            claim,
        };
        Ok(port)
    }
}
