//! Transfer parameters: TYPE, MODE, STRU and REST (RFC 959 4.1.2, RFC 3659
//! section 5).

use wharf_proto::ReplyCode;
use wharf_proto::transfer_params::{FormatControl, Structure, TransferMode, TransferType};

use super::reply;
use crate::data::plan::DataPlan;
use crate::session::{Outcome, Session};

impl Session {
    pub(super) fn type_(&mut self, kind: TransferType) -> Outcome {
        match kind {
            TransferType::Ascii(FormatControl::NonPrint) => {
                self.state.ascii = true;
                reply(ReplyCode::OK, "Switching to ASCII mode.")
            }
            t if t.is_binary() => {
                self.state.ascii = false;
                reply(ReplyCode::OK, "Switching to Binary mode.")
            }
            _ => reply(
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                "Only TYPE A, A N, I and L 8 are supported.",
            ),
        }
    }

    pub(super) fn mode(&mut self, mode: TransferMode) -> Outcome {
        match mode {
            TransferMode::Stream => {
                self.state.mode_block = false;
                // A data connection kept open by MODE B closes.
                if self.data.is_open() {
                    self.data = DataPlan::None;
                }
                reply(ReplyCode::OK, "Mode set to S.")
            }
            TransferMode::Block => {
                self.state.mode_block = true;
                reply(ReplyCode::OK, "Mode set to B.")
            }
            TransferMode::Compressed => reply(
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                "Only MODE S and MODE B are supported.",
            ),
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
