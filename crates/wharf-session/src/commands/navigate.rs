//! PWD, CWD, CDUP and their X forms (RFC 959 4.1.1, 4.1.3).

use wharf_proto::text::Pathname;
use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::VPath;

use super::Handled;
use crate::session::reply_map::{reply_for, shown};
use crate::session::{Outcome, Session};

impl Session {
    pub(super) fn pwd(&self) -> Outcome {
        Outcome::Reply(Reply::with_quoted_path(
            ReplyCode::PATHNAME_CREATED,
            self.state.cwd.as_bytes(),
            "is the current directory.",
        ))
    }

    pub(super) async fn cwd(&mut self, path: &Pathname) -> Handled {
        let target = self.state.resolve(path)?;
        self.change_dir(target).await
    }

    pub(super) async fn cdup(&mut self) -> Handled {
        let target = self.state.cwd.parent().unwrap_or_else(VPath::root);
        self.change_dir(target).await
    }

    async fn change_dir(&mut self, target: VPath) -> Handled {
        let vfs = self.state.login()?.vfs.clone();
        let meta = vfs
            .metadata(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        if !meta.is_dir() {
            return Err(Reply::new(
                ReplyCode::FILE_UNAVAILABLE,
                &format!("{}: Not a directory.", shown(&target)),
            ));
        }
        self.state.cwd = target;
        Ok(Outcome::Reply(Reply::with_quoted_path(
            ReplyCode::FILE_ACTION_OK,
            self.state.cwd.as_bytes(),
            "is the current directory.",
        )))
    }
}
