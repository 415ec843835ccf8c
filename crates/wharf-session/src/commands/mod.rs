//! Command handlers, one file per family. Each returns an [`Outcome`]; the
//! driver writes it.

mod checksum;
mod data_channel;
mod files;
mod glob;
mod info;
mod listing;
mod listing_target;
mod login;
mod login_refusal;
mod navigate;
mod security;
mod transfer;
mod transfer_params;

use wharf_proto::{Command, Reply, ReplyCode};

use crate::session::{Outcome, Session};

/// Handlers return `Err(reply)` for early exits (not logged in, bad path,
/// storage error); the reply is sent all the same.
pub(crate) type Handled = Result<Outcome, Reply>;

impl Session {
    /// Dispatches one command.
    pub(crate) async fn handle(&mut self, command: Command) -> Outcome {
        self.dispatch(command).await.unwrap_or_else(Outcome::Reply)
    }

    async fn dispatch(&mut self, command: Command) -> Handled {
        use Command as C;
        // RNFR "must be immediately followed by" RNTO (RFC 959 4.1.3): any
        // other command forgets it.
        if !matches!(command, C::Rnto(_)) {
            self.state.rename_from = None;
        }
        // Commands that work before login (RFC 959 and its extensions).
        match command {
            C::User(user) => return Ok(self.user(&user)),
            C::Pass(password) => return Ok(self.pass(password.expose().as_bytes()).await),
            C::Quit => {
                return Ok(Outcome::Close(Reply::new(
                    ReplyCode::CLOSING_CONTROL,
                    "Goodbye.",
                )));
            }
            C::Rein => return Ok(self.rein()),
            C::Host(host) => return Ok(self.host(&host)),
            C::Feat => return Ok(self.feat()),
            C::Syst => return Ok(reply(ReplyCode::SYSTEM_TYPE, "UNIX Type: L8")),
            C::Help(topic) => return Ok(self.help(topic.as_ref())),
            C::Noop => return Ok(reply(ReplyCode::OK, "NOOP ok.")),
            C::Opts(opts) => return Ok(self.opts(opts)),
            C::Lang(tag) => return Ok(self.lang(tag.as_ref())),
            C::Auth(mechanism) => return Ok(self.auth(&mechanism)),
            C::Pbsz(size) => return Ok(self.pbsz(size)),
            C::Prot(level) => return Ok(self.prot(level)),
            C::Ccc => return Ok(self.ccc()),
            C::Acct(_) => return Ok(reply(ReplyCode::SUPERFLUOUS, "ACCT not needed.")),
            C::Abor => return Ok(self.abor_idle()),
            C::Stat(None) => return Ok(self.stat_server()),
            _ => {}
        }
        self.state.login()?;
        // A RANG range is for HASH only: no transfer takes it for its own.
        if matches!(command, C::Retr(_) | C::Stor(_) | C::Appe(_) | C::Stou(_)) {
            self.refuse_ranged_transfer()?;
        }
        match command {
            C::Pwd | C::Xpwd => Ok(self.pwd()),
            C::Cwd(path) | C::Xcwd(path) => self.cwd(&path).await,
            C::Cdup | C::Xcup => self.cdup().await,
            C::Smnt(_) => Ok(reply(ReplyCode::NOT_IMPLEMENTED, "SMNT not implemented.")),
            C::Mkd(path) | C::Xmkd(path) => self.mkd(&path).await,
            C::Rmd(path) | C::Xrmd(path) => self.rmd(&path).await,
            C::Dele(path) => self.dele(&path).await,
            C::Rnfr(path) => self.rnfr(&path).await,
            C::Rnto(path) => self.rnto(&path).await,
            C::Size(path) => self.size(&path).await,
            C::Mdtm(path) => self.mdtm(&path).await,
            C::Mfmt { modified, path } => self.mfmt(modified, &path).await,
            C::Site(site) => self.site(site).await,
            C::Type(t) => Ok(self.type_(t)),
            C::Mode(m) => Ok(self.mode(m)),
            C::Stru(s) => Ok(self.stru(s)),
            C::Rest(offset) => Ok(self.rest(offset)),
            C::Allo { .. } => Ok(reply(ReplyCode::SUPERFLUOUS, "ALLO not needed.")),
            C::Port(addr) => Ok(self.port(addr.into())),
            C::Eprt(addr) => Ok(self.port(addr)),
            C::Pasv => Ok(self.pasv().await),
            C::Epsv(arg) => Ok(self.epsv(arg).await),
            C::Retr(path) => self.retr(&path).await,
            C::Stor(path) => self.stor(&path).await,
            C::Appe(path) => self.appe(&path).await,
            C::Stou(path) => self.stou(path.as_ref()).await,
            C::Hash(path) => self.hash(&path).await,
            C::Rang(range) => Ok(self.rang(range)),
            C::Checksum(args) => self.x_checksum(&args).await,
            C::List(args) => self.list(args).await,
            C::Nlst(args) => self.nlst(args).await,
            C::Mlsd(path) => self.mlsd(path.as_ref()).await,
            C::Mlst(path) => self.mlst(path.as_ref()).await,
            C::Stat(Some(path)) => self.stat_path(&path).await,
            other => Ok(reply(
                ReplyCode::NOT_IMPLEMENTED,
                &format!("{} not implemented.", other.verb()),
            )),
        }
    }
}

/// A single-line reply as an outcome.
pub(crate) fn reply(code: ReplyCode, text: &str) -> Outcome {
    Outcome::Reply(Reply::new(code, text))
}
