//! The session's TLS state (RFC 4217): TLS on the control connection, and
//! the protection PBSZ and PROT set for data connections. One value holds
//! both, so no combination RFC 4217 forbids can be represented (PROT P
//! without PBSZ, PBSZ without TLS), and handlers ask for transitions
//! instead of setting flags.

use wharf_proto::transfer_params::ProtectionLevel;
use wharf_proto::{Reply, ReplyCode};

/// How data connections are protected: `PROT C` or `PROT P` (RFC 4217
/// section 9; `S` and `E` are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DataProtection {
    /// In clear.
    #[default]
    Clear,
    /// TLS, resuming the control connection's session.
    Private,
}

/// TLS on the control connection, and data protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Security {
    /// No TLS: data in clear, PBSZ and PROT refused.
    #[default]
    Clear,
    /// TLS on the control connection. PROT needs `pbsz` first.
    Tls { pbsz: bool, data: DataProtection },
    /// CCC ended TLS on the control connection (RFC 4217 section 12.3);
    /// data keeps the protection it had, and PBSZ and PROT are refused.
    ControlCleared { data: DataProtection },
}

/// A transition refused: the reply that says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    code: ReplyCode,
    text: &'static str,
}

impl Refusal {
    pub(crate) const fn new(code: ReplyCode, text: &'static str) -> Self {
        Self { code, text }
    }

    /// The reply to send.
    pub(crate) fn reply(self) -> Reply {
        Reply::new(self.code, self.text)
    }
}

impl Security {
    /// Implicit FTPS: TLS from the first byte, and data protected from the
    /// start (RFC 4217 section 1).
    pub(crate) fn implicit() -> Self {
        Self::Tls {
            pbsz: true,
            data: DataProtection::Private,
        }
    }

    /// Whether the control connection is encrypted.
    pub(crate) fn control_tls(self) -> bool {
        matches!(self, Self::Tls { .. })
    }

    /// How data connections are protected now.
    pub(crate) fn data(self) -> DataProtection {
        match self {
            Self::Clear => DataProtection::Clear,
            Self::Tls { data, .. } | Self::ControlCleared { data } => data,
        }
    }

    /// Whether AUTH TLS may start a handshake.
    pub(crate) fn may_start_tls(self) -> Result<(), Refusal> {
        match self {
            Self::Tls { .. } => Err(Refusal::new(ReplyCode::BAD_SEQUENCE, "TLS is already on.")),
            Self::Clear | Self::ControlCleared { .. } => Ok(()),
        }
    }

    /// After the AUTH TLS handshake (RFC 4217 section 4): data in clear
    /// until PBSZ and PROT P.
    pub(crate) fn control_secured() -> Self {
        Self::Tls {
            pbsz: false,
            data: DataProtection::Clear,
        }
    }

    /// PBSZ (RFC 4217 section 8; TLS has no buffer, so any size is 0).
    pub(crate) fn set_pbsz(&mut self) -> Result<(), Refusal> {
        match self {
            Self::Tls { pbsz, .. } => {
                *pbsz = true;
                Ok(())
            }
            _ => Err(Refusal::new(
                ReplyCode::BAD_SEQUENCE,
                "PBSZ needs AUTH TLS first.",
            )),
        }
    }

    /// Whether PROT may be asked now (TLS on, PBSZ sent).
    pub(crate) fn may_set_protection(self) -> Result<(), Refusal> {
        match self {
            Self::Tls { pbsz: true, .. } => Ok(()),
            Self::Tls { pbsz: false, .. } => Err(Refusal::new(
                ReplyCode::BAD_SEQUENCE,
                "PROT needs PBSZ first.",
            )),
            _ => Err(Refusal::new(
                ReplyCode::BAD_SEQUENCE,
                "PROT needs AUTH TLS first.",
            )),
        }
    }

    /// PROT: the new data protection; `Ok(true)` when it changed. Only C
    /// and P are supported (`536` for S and E).
    pub(crate) fn set_protection(&mut self, level: ProtectionLevel) -> Result<bool, Refusal> {
        self.may_set_protection()?;
        let wanted = match level {
            ProtectionLevel::Clear => DataProtection::Clear,
            ProtectionLevel::Private => DataProtection::Private,
            _ => {
                return Err(Refusal::new(
                    ReplyCode::PROT_LEVEL_NOT_SUPPORTED,
                    "Only PROT C and PROT P are supported.",
                ));
            }
        };
        let Self::Tls { data, .. } = self else {
            return Ok(false);
        };
        let changed = *data != wanted;
        *data = wanted;
        Ok(changed)
    }

    /// CCC: the control connection goes back to clear; data keeps its
    /// protection.
    pub(crate) fn may_end_control_tls(self) -> Result<(), Refusal> {
        if self.control_tls() {
            Ok(())
        } else {
            Err(Refusal::new(
                ReplyCode::BAD_SEQUENCE,
                "The control connection is not encrypted.",
            ))
        }
    }

    /// After CCC's close_notify exchange.
    pub(crate) fn control_cleared(self) -> Self {
        Self::ControlCleared { data: self.data() }
    }

    /// REIN: the control connection keeps its TLS (REIN does not undo
    /// it), PBSZ and PROT start over.
    pub(crate) fn after_rein(self) -> Self {
        if self.control_tls() {
            Self::control_secured()
        } else {
            Self::Clear
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prot_needs_tls_then_pbsz() {
        let mut security = Security::Clear;
        assert_eq!(
            security.set_protection(ProtectionLevel::Private),
            Err(Refusal::new(
                ReplyCode::BAD_SEQUENCE,
                "PROT needs AUTH TLS first."
            ))
        );
        assert!(security.set_pbsz().is_err());
        security = Security::control_secured();
        assert_eq!(
            security.set_protection(ProtectionLevel::Private),
            Err(Refusal::new(
                ReplyCode::BAD_SEQUENCE,
                "PROT needs PBSZ first."
            ))
        );
        security.set_pbsz().unwrap();
        assert_eq!(security.set_protection(ProtectionLevel::Private), Ok(true));
        assert_eq!(security.data(), DataProtection::Private);
        assert_eq!(security.set_protection(ProtectionLevel::Private), Ok(false));
        assert_eq!(security.set_protection(ProtectionLevel::Clear), Ok(true));
    }

    #[test]
    fn only_c_and_p_are_supported() {
        let mut security = Security::implicit();
        for level in [ProtectionLevel::Safe, ProtectionLevel::Confidential] {
            let refusal = security.set_protection(level).unwrap_err();
            assert_eq!(refusal.reply().code(), ReplyCode::PROT_LEVEL_NOT_SUPPORTED);
        }
        assert_eq!(security.data(), DataProtection::Private);
    }

    #[test]
    fn ccc_keeps_data_protection_and_closes_prot() {
        let mut security = Security::implicit();
        assert!(security.may_start_tls().is_err());
        security.may_end_control_tls().unwrap();
        security = security.control_cleared();
        assert!(!security.control_tls());
        assert_eq!(security.data(), DataProtection::Private);
        assert!(security.set_protection(ProtectionLevel::Clear).is_err());
        assert!(security.may_end_control_tls().is_err());
        assert!(security.may_start_tls().is_ok());
    }

    #[test]
    fn rein_keeps_control_tls_and_resets_data() {
        let security = Security::implicit().after_rein();
        assert_eq!(security, Security::control_secured());
        assert_eq!(security.data(), DataProtection::Clear);
        let cleared = Security::implicit().control_cleared().after_rein();
        assert_eq!(cleared, Security::Clear);
    }
}
