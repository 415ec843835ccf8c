//! AUTH, PBSZ, PROT, CCC (RFC 2228, RFC 4217) and the TLS policy.

use wharf_proto::ReplyCode;
use wharf_proto::security::AuthMechanism;
use wharf_proto::transfer_params::ProtectionLevel;

use crate::data::plan::DataPlan;
use crate::session::security::DataProtection;

use super::reply;
use crate::session::{Outcome, Session};

impl Session {
    /// Whether the server's policy requires TLS of `user` to log in.
    pub(super) fn tls_required_for_login(&self, user: &str) -> bool {
        let policy = self.ctx.options.tls_policy;
        policy.login && self.ctx.tls.is_some() && !self.tls_exempt(user)
    }

    /// Whether data connections of the current user must be protected.
    pub(super) fn tls_required_for_data(&self) -> bool {
        let policy = self.ctx.options.tls_policy;
        policy.data && self.ctx.tls.is_some() && !self.state.tls_exempt
    }

    /// The anonymous login (if the policy says so, and only where the
    /// authenticator has one: a real account named `ftp` is not it) and
    /// users the authenticator names are exempt.
    pub(super) fn tls_exempt(&self, user: &str) -> bool {
        let authenticator = self.ctx.authenticator_for(self.state.host.as_deref());
        (self.ctx.options.tls_policy.exempt_anonymous && authenticator.is_anonymous(user))
            || authenticator.tls_exempt(user)
    }

    /// AUTH TLS (or its old names): 234, then the handshake.
    pub(super) fn auth(&mut self, mechanism: &AuthMechanism) -> Outcome {
        if self.ctx.tls.is_none() {
            return reply(
                ReplyCode::NOT_IMPLEMENTED,
                "TLS is not configured on this server.",
            );
        }
        if !mechanism.is_tls() {
            return reply(
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                &format!("AUTH {} not supported, use AUTH TLS.", mechanism.as_str()),
            );
        }
        if let Err(refusal) = self.state.security.may_start_tls() {
            return Outcome::Reply(refusal.reply());
        }
        if self.transfer.is_some() {
            return reply(ReplyCode::BAD_SEQUENCE, "Not during a transfer.");
        }
        Outcome::StartTls(wharf_proto::Reply::new(
            ReplyCode::SECURITY_EXCHANGE_COMPLETE,
            &format!(
                "AUTH {} successful, start the handshake.",
                mechanism.as_str()
            ),
        ))
    }

    /// PBSZ: TLS has no buffer, so 0 is the answer whatever was asked.
    pub(super) fn pbsz(&mut self, _size: u32) -> Outcome {
        match self.state.security.set_pbsz() {
            Ok(()) => reply(ReplyCode::OK, "PBSZ=0"),
            Err(refusal) => Outcome::Reply(refusal.reply()),
        }
    }

    pub(super) fn prot(&mut self, level: ProtectionLevel) -> Outcome {
        if let Err(refusal) = self.state.security.may_set_protection() {
            return Outcome::Reply(refusal.reply());
        }
        if level == ProtectionLevel::Clear {
            // Before login nobody is known to be exempt.
            let exempt = self.state.login().is_ok() && self.state.tls_exempt;
            if self.ctx.options.tls_policy.data && !exempt {
                return reply(
                    ReplyCode::DENIED_FOR_POLICY,
                    "Data connections must be encrypted: use PROT P.",
                );
            }
        }
        match self.state.security.set_protection(level) {
            Ok(changed) => {
                // A MODE B connection kept open was set up under the old
                // level: PROT P must never send "private" data over a clear
                // one (nor PROT C keep a TLS one), so a change closes it.
                if changed && self.data.is_open() {
                    self.data = DataPlan::None;
                }
                match self.state.security.data() {
                    DataProtection::Private => {
                        reply(ReplyCode::OK, "Protection level set to Private.")
                    }
                    DataProtection::Clear => reply(ReplyCode::OK, "Protection level set to Clear."),
                }
            }
            Err(refusal) => Outcome::Reply(refusal.reply()),
        }
    }

    /// CCC: the control connection back in clear, if allowed.
    pub(super) fn ccc(&mut self) -> Outcome {
        if let Err(refusal) = self.state.security.may_end_control_tls() {
            return Outcome::Reply(refusal.reply());
        }
        if !self.ctx.options.allow_ccc {
            return reply(
                ReplyCode::DENIED_FOR_POLICY,
                "CCC is not allowed on this server.",
            );
        }
        if self.state.login().is_err() {
            return reply(ReplyCode::BAD_SEQUENCE, "Log in before CCC.");
        }
        Outcome::EndTls(wharf_proto::Reply::new(
            ReplyCode::OK,
            "CCC ok, the control connection goes back to clear.",
        ))
    }
}
