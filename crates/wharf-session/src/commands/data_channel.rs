//! Setting up the data connection: PORT/EPRT (active), PASV/EPSV
//! (passive, RFC 2428), and ABOR when no transfer runs.

use std::net::{SocketAddr, SocketAddrV4};

use tokio::time::Instant;
use tracing::warn;
use wharf_proto::extended::{EpsvArg, NetworkProtocol, epsv_reply};
use wharf_proto::host_port::pasv_reply;
use wharf_proto::{Reply, ReplyCode};

use super::reply;
use crate::data::active::{PairMemory, check_target};
use crate::data::plan::DataPlan;
use crate::data::ports::PassiveRefusal;
use crate::session::reply_map::sentence;
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
        self.data = match self.data_source() {
            Some(source) if self.ctx.options.active_from_data_port => DataPlan::DefaultPort {
                source,
                target,
                lately: PairMemory::default(),
            },
            _ => DataPlan::Active(target),
        };
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
        if !self.ctx.options.epsv {
            return reply(
                ReplyCode::NOT_IMPLEMENTED,
                "EPSV is not offered here: use PASV.",
            );
        }
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

    /// Offers a passive port: a listener of the session's own, or a
    /// reservation on a multiplexed port.
    async fn listen(&mut self) -> Result<u16, Reply> {
        // Drop the previous offer first so its port can be reused.
        self.data = DataPlan::None;
        let offer = self
            .ctx
            .ports
            .offer_passive(self.local.ip(), self.peer.ip())
            .await
            .map_err(|refusal| {
                warn!(error = %refusal, "cannot offer a passive port");
                Reply::new(
                    ReplyCode::CANT_OPEN_DATA_CONNECTION,
                    &match refusal {
                        PassiveRefusal::AllPending => sentence(&refusal.to_string()),
                        _ => format!("Cannot open passive connection: {refusal}."),
                    },
                )
            })?;
        let port = offer.port();
        self.data = DataPlan::Passive {
            offer,
            expires: Instant::now() + self.ctx.options.passive_timeout,
        };
        Ok(port)
    }
}
