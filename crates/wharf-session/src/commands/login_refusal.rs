//! Logins that do not succeed: a wrong user name or password, and a right
//! password from an address the user's access list refuses. Both end with
//! the same replies, and each has a log line of a fixed shape that
//! operators' tools (fail2ban) read.

use std::net::{IpAddr, SocketAddr};

use tracing::{info, warn};
use wharf_proto::{Reply, ReplyCode};

use super::reply;
use crate::access::{ACCESS_LOG, AccessRefusal};
use crate::defence::Ban;
use crate::session::state::LoginState;
use crate::session::{Outcome, Session};

/// The tracing target of the failed-login line, named here rather than
/// taken from the module path so that it stays put.
pub(crate) const AUTH_LOG: &str = "wharf::auth";

/// The client's address as logs give it: no port (one client uses many),
/// and an IPv4-mapped IPv6 address as the IPv4 address it is, which is
/// what a firewall rule must name.
pub(crate) fn client_ip(peer: SocketAddr) -> IpAddr {
    peer.ip().to_canonical()
}

/// Logs a wrong user name or password, the line fail2ban's filter
/// (`contrib/fail2ban/filter.d/wharfd.conf`) matches. Its shape is a
/// contract, documented in `docs/operations.md`: level `WARN`, target
/// `wharf::auth`, message `authentication failed`, then the fields
/// `user` (as sent, quoted and escaped), `failures` (this session's count)
/// and `client` (the address without port, after PROXY), always last so
/// that nothing a client sends can follow it on the line:
///
/// ```text
/// 2026-01-02T03:04:05.678901Z  WARN session{peer=192.0.2.7:50123}: wharf::auth: authentication failed user="alice" failures=1 client=192.0.2.7
/// ```
pub(crate) fn log_authentication_failed(user: &str, failures: u32, peer: SocketAddr) {
    warn!(
        target: AUTH_LOG,
        user,
        failures,
        client = %client_ip(peer),
        "authentication failed"
    );
}

impl Session {
    /// A password the authenticator accepted, from an address the login's
    /// access list refuses. The client gets exactly what a wrong password
    /// gets (the delay, `530 Login incorrect.`, a failure toward the
    /// session's limit) so that the refusal does not tell it the password
    /// was right. It does not count toward an address ban, and it is not
    /// logged as `authentication failed` (so fail2ban does not count it
    /// either): the user knows the password, and a ban would also shut
    /// out the other users behind the same address (an office's NAT, a
    /// job that retries). Left over: a client that is one failure short of
    /// a ban can tell a right password (`530`) from a wrong one (the ban's
    /// `421`), once per ban.
    pub(super) async fn refuse_by_access(&mut self, user: &str, rule: AccessRefusal) -> Outcome {
        self.state.failures += 1;
        self.state.login = LoginState::Anonymous;
        info!(
            target: ACCESS_LOG,
            user,
            %rule,
            client = %client_ip(self.peer),
            "login refused by the access list"
        );
        tokio::time::sleep(self.ctx.options.failed_login_delay).await;
        self.failed_login(None)
    }

    /// The reply to a failed login, after its delay: the ban it started,
    /// the session's limit reached, or another try.
    pub(super) fn failed_login(&self, ban: Option<Ban>) -> Outcome {
        if let Some(ban) = ban {
            Outcome::Close(Reply::new(
                ReplyCode::SERVICE_NOT_AVAILABLE,
                &ban.reply_text(),
            ))
        } else if self.state.failures >= self.ctx.options.max_login_failures {
            Outcome::Close(Reply::new(
                ReplyCode::SERVICE_NOT_AVAILABLE,
                "Too many failed logins, closing control connection.",
            ))
        } else {
            reply(ReplyCode::NOT_LOGGED_IN, "Login incorrect.")
        }
    }
}
