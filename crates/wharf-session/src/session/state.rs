//! The control session's state as a plain struct with pure transitions:
//! no sockets, no storage, unit-tested on its own.

use wharf_proto::checksum::HashAlgorithm;
use wharf_proto::listing::FactSet;
use wharf_proto::text::Pathname;
use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::VPath;

use super::params::TransferParams;
use super::reply_map::shown;
use super::security::Security;
use crate::auth::Login;
use crate::permissions::Permission;

/// Where the session is in the USER/PASS exchange.
#[derive(Debug, Clone, Default)]
pub(crate) enum LoginState {
    /// No USER yet (or after REIN).
    #[default]
    Anonymous,
    /// USER was accepted; PASS is expected.
    AwaitingPassword(String),
    /// Logged in.
    LoggedIn(Login),
}

/// Everything a control session remembers between commands.
#[derive(Debug, Clone)]
pub(crate) struct SessionState {
    pub(crate) login: LoginState,
    /// The working directory.
    pub(crate) cwd: VPath,
    /// RNFR's path, waiting for RNTO.
    pub(crate) rename_from: Option<VPath>,
    /// REST's offset, for the next RETR or STOR.
    pub(crate) restart: u64,
    /// TYPE and MODE.
    pub(crate) params: TransferParams,
    /// After `EPSV ALL` only EPSV may set up data connections.
    pub(crate) epsv_all: bool,
    /// The MLSx facts chosen with OPTS MLST.
    pub(crate) facts: FactSet,
    /// The algorithm HASH uses, chosen with OPTS HASH.
    pub(crate) hash: HashAlgorithm,
    /// RANG's first and last byte, for the next HASH.
    pub(crate) hash_range: Option<(u64, u64)>,
    /// Failed logins so far.
    pub(crate) failures: u32,
    /// The name sent with HOST.
    pub(crate) host: Option<String>,
    /// TLS on the control connection and data protection (RFC 4217).
    pub(crate) security: Security,
    /// The logged-in (or named) user is exempt from the TLS policy.
    pub(crate) tls_exempt: bool,
}

impl Default for SessionState {
    fn default() -> Self {
        Self {
            login: LoginState::Anonymous,
            cwd: VPath::root(),
            rename_from: None,
            restart: 0,
            params: TransferParams::default(),
            epsv_all: false,
            facts: FactSet::default(),
            // The draft asks for nothing weaker than SHA-1 by default.
            hash: HashAlgorithm::Sha256,
            hash_range: None,
            failures: 0,
            host: None,
            security: Security::Clear,
            tls_exempt: false,
        }
    }
}

impl SessionState {
    /// REIN: back to a fresh session, keeping the failure count (so REIN
    /// cannot reset the brute-force limit) and the control connection's
    /// TLS, which REIN does not undo.
    pub(crate) fn reinitialize(&mut self) {
        *self = Self {
            failures: self.failures,
            security: self.security.after_rein(),
            ..Self::default()
        };
    }

    /// After AUTH TLS (RFC 4217 section 4): a fresh login on an encrypted
    /// connection, data in clear until PBSZ and PROT P.
    pub(crate) fn secured(&mut self) {
        self.reinitialize();
        self.security = Security::control_secured();
    }

    /// The login, or the `530` a command owes when there is none.
    pub(crate) fn login(&self) -> Result<&Login, Reply> {
        match &self.login {
            LoginState::LoggedIn(login) => Ok(login),
            _ => Err(Reply::new(
                ReplyCode::NOT_LOGGED_IN,
                "Please log in with USER and PASS.",
            )),
        }
    }

    /// The login if it holds `permission` at `path`, or the `550` that
    /// names the permission (`550 /pub/x: permission denied (upload).`).
    pub(crate) fn permitted(&self, path: &VPath, permission: Permission) -> Result<&Login, Reply> {
        let login = self.login()?;
        if login.permissions.allows(path, permission) {
            Ok(login)
        } else {
            Err(denied(path, permission.name()))
        }
    }

    /// The login if it holds `either` permission at `path` (SIZE and MDTM:
    /// what a listing shows and a download would tell), or the `550`.
    pub(crate) fn permitted_either(
        &self,
        path: &VPath,
        either: [Permission; 2],
    ) -> Result<&Login, Reply> {
        let login = self.login()?;
        let held = login.permissions.at(path);
        if either.iter().any(|p| held.contains(*p)) {
            Ok(login)
        } else {
            let names = format!("{} or {}", either[0], either[1]);
            Err(denied(path, &names))
        }
    }

    /// Resolves a client pathname against the working directory.
    pub(crate) fn resolve(&self, pathname: &Pathname) -> Result<VPath, Reply> {
        self.cwd
            .resolve(pathname.as_bytes())
            .map_err(|_| Reply::new(ReplyCode::FILE_NAME_NOT_ALLOWED, "File name not allowed."))
    }

    /// Resolves an optional pathname; none means the working directory.
    pub(crate) fn resolve_or_cwd(&self, pathname: Option<&Pathname>) -> Result<VPath, Reply> {
        pathname.map_or_else(|| Ok(self.cwd.clone()), |p| self.resolve(p))
    }

    /// Takes the REST offset: it applies to the next transfer only.
    pub(crate) fn take_restart(&mut self) -> u64 {
        std::mem::take(&mut self.restart)
    }

    /// Takes the RNFR path: RNTO must come right after it.
    pub(crate) fn take_rename_from(&mut self) -> Option<VPath> {
        self.rename_from.take()
    }
}

/// The refusal of a command the login's permissions do not allow.
pub(crate) fn denied(path: &VPath, permission: &str) -> Reply {
    Reply::new(
        ReplyCode::FILE_UNAVAILABLE,
        &format!("{}: permission denied ({permission}).", shown(path)),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wharf_vfs::MemoryFs;

    use super::*;

    fn logged_in(writable: bool) -> SessionState {
        SessionState {
            login: LoginState::LoggedIn(Login::new("u", Arc::new(MemoryFs::new()), writable)),
            ..SessionState::default()
        }
    }

    fn p(s: &str) -> Pathname {
        Pathname::try_from(s).unwrap()
    }

    #[test]
    fn commands_before_login_get_530() {
        let state = SessionState::default();
        assert_eq!(state.login().unwrap_err().code(), ReplyCode::NOT_LOGGED_IN);
        let waiting = SessionState {
            login: LoginState::AwaitingPassword("u".into()),
            ..SessionState::default()
        };
        assert!(waiting.login().is_err());
        assert!(logged_in(false).login().is_ok());
    }

    #[test]
    fn read_only_logins_cannot_write() {
        let path = VPath::parse("/pub/x").unwrap();
        let refusal = logged_in(false)
            .permitted(&path, Permission::Upload)
            .unwrap_err();
        assert_eq!(
            refusal.to_bytes(),
            b"550 /pub/x: permission denied (upload).\r\n"
        );
        assert!(logged_in(true).permitted(&path, Permission::Upload).is_ok());
        assert!(
            logged_in(false)
                .permitted(&path, Permission::Download)
                .is_ok()
        );
        let either = [Permission::Upload, Permission::Delete];
        let refusal = logged_in(false)
            .permitted_either(&path, either)
            .unwrap_err();
        assert_eq!(
            refusal.to_bytes(),
            b"550 /pub/x: permission denied (upload or delete).\r\n"
        );
    }

    #[test]
    fn paths_resolve_against_cwd_and_never_escape() {
        let mut state = logged_in(true);
        state.cwd = VPath::parse("/a/b").unwrap();
        assert_eq!(state.resolve(&p("c")).unwrap().as_bytes(), b"/a/b/c");
        assert_eq!(state.resolve(&p("../../../..")).unwrap().as_bytes(), b"/");
        assert_eq!(state.resolve(&p("/x")).unwrap().as_bytes(), b"/x");
        assert_eq!(state.resolve_or_cwd(None).unwrap().as_bytes(), b"/a/b");
    }

    #[test]
    fn rest_and_rnfr_apply_once() {
        let mut state = logged_in(true);
        state.restart = 100;
        assert_eq!(state.take_restart(), 100);
        assert_eq!(state.take_restart(), 0);
        state.rename_from = Some(VPath::parse("/f").unwrap());
        assert!(state.take_rename_from().is_some());
        assert!(state.take_rename_from().is_none());
    }

    #[test]
    fn rein_keeps_the_failure_count_only() {
        let mut state = logged_in(true);
        state.failures = 2;
        state
            .params
            .set_type(wharf_proto::transfer_params::TransferType::Ascii(
                wharf_proto::transfer_params::FormatControl::NonPrint,
            ))
            .unwrap();
        state.cwd = VPath::parse("/a").unwrap();
        state.reinitialize();
        assert!(state.login().is_err());
        assert_eq!(state.failures, 2);
        assert!(!state.params.ascii());
        assert!(state.cwd.is_root());
    }
}
