//! FEAT, HELP, OPTS, LANG, STAT without argument (RFC 2389, RFC 2640,
//! RFC 959 4.1.3).

use wharf_proto::command::help;
use wharf_proto::host::LangTag;
use wharf_proto::listing::FactSet;
use wharf_proto::opts::OptsArgs;
use wharf_proto::text::Argument;
use wharf_proto::{Reply, ReplyCode};

use super::reply;
use crate::session::state::LoginState;
use crate::session::{Outcome, Session};

impl Session {
    /// FEAT lists exactly what this server supports (RFC 2389 3.2).
    pub(super) fn feat(&self) -> Outcome {
        let mut lines = vec!["Extensions supported:".to_owned()];
        if self.ctx.tls.is_some() {
            lines.extend([" AUTH TLS", " PBSZ", " PROT"].map(str::to_owned));
            if self.ctx.options.allow_ccc {
                lines.push(" CCC".to_owned());
            }
        }
        lines.push(" EPRT".to_owned());
        if self.ctx.options.epsv {
            lines.push(" EPSV".to_owned());
        }
        // RFC 2640 4.3: the languages LANG accepts, the one in use marked.
        lines.push(self.hash_feat_line());
        lines.extend([" HOST", " LANG EN*", " MDTM"].map(str::to_owned));
        let capabilities = match &self.state.login {
            LoginState::LoggedIn(login) => Some(login.vfs.capabilities()),
            _ => None,
        };
        // Before login the storage is unknown; MFMT is offered since every
        // bundled back-end but blob stores supports it.
        if capabilities.is_none_or(|c| c.set_mtime) {
            lines.push(" MFMT".to_owned());
        }
        lines.push(format!(" MLST {}", self.state.facts.feat_line()));
        lines
            .extend([" PASV", " REST STREAM", " SIZE", " TVFS", " UTF8", "End"].map(str::to_owned));
        Outcome::Reply(Reply::multiline(
            ReplyCode::SYSTEM_STATUS,
            lines.iter().map(String::as_str),
        ))
    }

    /// HELP lists the verbs, eight to a line; `HELP <verb>` gives that
    /// verb's syntax (RFC 959 4.1.3), `502` for one this server does not
    /// know.
    pub(super) fn help(&self, topic: Option<&Argument>) -> Outcome {
        if let Some(topic) = topic {
            let verb = topic.to_string_lossy();
            let verb = verb.trim();
            return match help::syntax(verb) {
                Some(syntax) => reply(ReplyCode::HELP_MESSAGE, &format!("Syntax: {syntax}")),
                None => reply(
                    ReplyCode::NOT_IMPLEMENTED,
                    &format!("Unknown command {}.", verb.to_ascii_uppercase()),
                ),
            };
        }
        let mut lines = vec!["The following commands are recognized:".to_owned()];
        for row in help::SYNTAX.chunks(8) {
            let names: Vec<String> = row.iter().map(|(verb, _)| format!("{verb:<7}")).collect();
            lines.push(format!(" {}", names.join(" ").trim_end()));
        }
        lines.push("HELP <command> gives its syntax.".to_owned());
        Outcome::Reply(Reply::multiline(
            ReplyCode::HELP_MESSAGE,
            lines.iter().map(String::as_str),
        ))
    }

    pub(super) fn opts(&mut self, opts: OptsArgs) -> Outcome {
        match opts {
            // File names are bytes end to end, so UTF-8 is always on.
            OptsArgs::Utf8(_) => reply(ReplyCode::OK, "UTF8 mode is always on."),
            OptsArgs::Other { command, options } if command.as_str() == "HASH" => {
                self.opts_hash(options.as_ref())
            }
            OptsArgs::Mlst(facts) => {
                self.state.facts = FactSet::from_facts(&facts);
                reply(
                    ReplyCode::OK,
                    &format!("MLST OPTS {}", self.state.facts.selected_line()),
                )
            }
            _ => reply(
                ReplyCode::SYNTAX_ERROR_IN_PARAMETERS,
                "Option not understood.",
            ),
        }
    }

    pub(super) fn lang(&self, tag: Option<&LangTag>) -> Outcome {
        match tag {
            None => reply(ReplyCode::OK, "Using the default language, EN."),
            Some(t)
                if t.as_str().eq_ignore_ascii_case("en")
                    || t.as_str().to_ascii_lowercase().starts_with("en-") =>
            {
                reply(ReplyCode::OK, "Using EN.")
            }
            Some(_) => reply(
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                "Only EN is supported.",
            ),
        }
    }

    /// STAT without argument and no transfer: the session's status.
    pub(crate) fn stat_server(&self) -> Outcome {
        let user = match &self.state.login {
            LoginState::LoggedIn(login) => format!(" Logged in as {}", login.user),
            LoginState::AwaitingPassword(_) => " Waiting for PASS".to_owned(),
            LoginState::Anonymous => " Not logged in".to_owned(),
        };
        let lines = [
            "Wharf FTP server status:".to_owned(),
            format!(" Connected from {}", self.peer),
            user,
            format!(
                " TYPE: {}, STRU: F, MODE: {}",
                self.state.params.type_name(),
                if self.state.params.block() { "B" } else { "S" }
            ),
            "End of status".to_owned(),
        ];
        Outcome::Reply(Reply::multiline(
            ReplyCode::SYSTEM_STATUS,
            lines.iter().map(String::as_str),
        ))
    }
}
