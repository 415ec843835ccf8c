//! USER, PASS, REIN, HOST (RFC 959 4.1.1; RFC 7151).

use tracing::{info, warn};
use wharf_proto::host::HostName;
use wharf_proto::text::Username;
use wharf_proto::{Reply, ReplyCode};

use super::login_refusal::log_authentication_failed;
use super::reply;
use crate::auth::{AuthContext, AuthError};
use crate::data::plan::DataPlan;
use crate::observe::LoginResult;
use crate::session::state::LoginState;
use crate::session::{Outcome, Session};

impl Session {
    pub(super) fn user(&mut self, user: &Username) -> Outcome {
        let name = user.to_string_lossy().into_owned();
        if !self.state.security.control_tls() && self.tls_required_for_login(&name) {
            return reply(
                ReplyCode::NOT_LOGGED_IN,
                "TLS is required: send AUTH TLS before USER.",
            );
        }
        // USER while logged in starts a new login (RFC 959 allows it).
        self.state.login = LoginState::AwaitingPassword(name);
        self.forget_account();
        self.data = DataPlan::None;
        reply(ReplyCode::NEED_PASSWORD, "Password required.")
    }

    pub(super) async fn pass(&mut self, password: &[u8]) -> Outcome {
        let user = match &self.state.login {
            LoginState::AwaitingPassword(user) => user.clone(),
            LoginState::LoggedIn(_) => return reply(ReplyCode::SUPERFLUOUS, "Already logged in."),
            LoginState::Anonymous => return reply(ReplyCode::BAD_SEQUENCE, "Send USER first."),
        };
        // Never check a password that crossed the network in clear when the
        // policy forbids it (the session may have gone back to clear).
        if !self.state.security.control_tls() && self.tls_required_for_login(&user) {
            self.state.login = LoginState::Anonymous;
            return reply(
                ReplyCode::NOT_LOGGED_IN,
                "TLS is required: send AUTH TLS before USER.",
            );
        }
        // A session opened before its address was banned guesses no more.
        let group = self.ctx.defence.limits.group(self.peer);
        if let Some(ban) = self.ctx.defence.guard.is_banned(group).await {
            self.state.login = LoginState::Anonymous;
            return Outcome::Close(Reply::new(
                ReplyCode::SERVICE_NOT_AVAILABLE,
                &ban.reply_text(),
            ));
        }
        let context = AuthContext {
            peer: self.peer,
            host: self.state.host.clone(),
        };
        let authenticator = self
            .ctx
            .authenticator_for(self.state.host.as_deref())
            .clone();
        match authenticator.authenticate(&user, password, &context).await {
            Ok(login) => {
                if let Err(rule) = login.access.check(self.peer.ip()) {
                    // The client hears a wrong password; so does an observer.
                    self.observe(|o, s| o.login(s, &user, LoginResult::Rejected));
                    return self.refuse_by_access(&login.user, rule).await;
                }
                info!(user = %login.user, permissions = %login.permissions.default_permissions(), "login");
                self.ctx.defence.limits.logged_in(self.peer, self.local);
                self.ctx.defence.guard.record_success(group).await;
                let read_only = login.permissions.is_read_only();
                #[cfg(feature = "usage")]
                if let Some(ledger) = &self.ctx.usage_ledger {
                    self.account = Some(ledger.account(&login.user).await);
                }
                self.state.tls_exempt = self.tls_exempt(&login.user) || self.tls_exempt(&user);
                if let Some(registration) = &self.siblings {
                    registration.logged_in(self.state.host.clone(), login.user.clone());
                }
                self.state.login = LoginState::LoggedIn(login);
                self.state.cwd = wharf_vfs::VPath::root();
                self.observe(|o, s| o.login(s, &user, LoginResult::Accepted));
                let mode = if read_only { " (read-only)" } else { "" };
                reply(
                    ReplyCode::LOGGED_IN,
                    &format!("User logged in{mode}, proceed."),
                )
            }
            Err(AuthError::Busy) => {
                // Not the client's fault, and not a guess: no count, no delay.
                self.state.login = LoginState::Anonymous;
                warn!(user, "login refused: too many password checks waiting");
                self.observe(|o, s| o.login(s, &user, LoginResult::Unavailable));
                Outcome::Close(Reply::new(
                    ReplyCode::SERVICE_NOT_AVAILABLE,
                    "Too many logins at once, try again later.",
                ))
            }
            Err(error) => {
                self.state.failures += 1;
                self.state.login = LoginState::Anonymous;
                let result = match error {
                    AuthError::InvalidCredentials => LoginResult::Rejected,
                    _ => LoginResult::Unavailable,
                };
                self.observe(|o, s| o.login(s, &user, result));
                // Only wrong names and passwords count towards a ban (and
                // are logged for fail2ban), never a failing back-end.
                let ban = match error {
                    AuthError::InvalidCredentials => {
                        log_authentication_failed(&user, self.state.failures, self.peer);
                        self.ctx.defence.guard.record_failure(group).await
                    }
                    _ => {
                        warn!(user, %error, failures = self.state.failures, "login failed");
                        None
                    }
                };
                tokio::time::sleep(self.ctx.options.failed_login_delay).await;
                self.failed_login(ban)
            }
        }
    }

    pub(super) fn rein(&mut self) -> Outcome {
        self.charge_control();
        self.state.reinitialize();
        self.forget_account();
        self.data = DataPlan::None;
        reply(ReplyCode::SERVICE_READY, "Session reset, send USER.")
    }

    /// HOST before login selects the virtual host whose authenticator
    /// checks the login (RFC 7151). Without virtual hosts configured, any
    /// name is accepted and passed to the authenticator; with them, an
    /// unknown name gets `504` and the previous choice stands.
    pub(super) fn host(&mut self, host: &HostName) -> Outcome {
        if !matches!(self.state.login, LoginState::Anonymous) {
            return reply(ReplyCode::BAD_SEQUENCE, "HOST must come before USER.");
        }
        let name = host.to_string();
        if !self.ctx.virtual_hosts.is_empty() && !self.ctx.virtual_hosts.contains_key(&name) {
            return reply(
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                &format!("Unknown virtual host {name}."),
            );
        }
        self.state.host = Some(name);
        reply(ReplyCode::SERVICE_READY, "Host accepted.")
    }
}
