//! Transfer parameters: TYPE, MODE, STRU and REST (RFC 959 4.1.2, RFC 3659
//! section 5).

use wharf_proto::ReplyCode;
use wharf_proto::transfer_params::{Structure, TransferMode, TransferType};

use super::reply;
use crate::data::plan::DataPlan;
use crate::session::params::{Framing, Representation};
use crate::session::{Outcome, Session};

impl Session {
    pub(super) fn type_(&mut self, kind: TransferType) -> Outcome {
        match self.state.params.set_type(kind) {
            Ok(Representation::Ascii) => reply(ReplyCode::OK, "Switching to ASCII mode."),
            Ok(Representation::Binary) => reply(ReplyCode::OK, "Switching to Binary mode."),
            Err(refusal) => Outcome::Reply(refusal.reply()),
        }
    }

    pub(super) fn mode(&mut self, mode: TransferMode) -> Outcome {
        match self.state.params.set_mode(mode) {
            Ok(Framing::Stream) => {
                // A data connection kept open by MODE B closes.
                if self.data.is_open() {
                    self.data = DataPlan::None;
                }
                reply(ReplyCode::OK, "Mode set to S.")
            }
            Ok(Framing::Block) => reply(ReplyCode::OK, "Mode set to B."),
            Err(refusal) => Outcome::Reply(refusal.reply()),
        }
    }

    pub(super) fn stru(&mut self, structure: Structure) -> Outcome {
        match structure {
            Structure::File => reply(ReplyCode::OK, "Structure set to F."),
            _ => reply(
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                "Only STRU F is supported.",
            ),
        }
    }

    pub(super) fn rest(&mut self, offset: u64) -> Outcome {
        self.state.restart = offset;
        reply(
            ReplyCode::FILE_ACTION_PENDING,
            &format!("Restarting at {offset}. Send STOR or RETR to resume."),
        )
    }
}
