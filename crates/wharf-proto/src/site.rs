//! SITE sub-commands (RFC 959 section 4.1.3).
//!
//! ```text
//! SITE <SP> <string> <CRLF>
//! ```
//!
//! RFC 959 leaves the string to the site. Wharf reads it as a sub-command
//! word and its arguments; the ones servers commonly share are typed:
//!
//! ```text
//! SITE CHMOD <SP> <octal-mode> <SP> <pathname>
//! SITE HELP [<SP> <string>]
//! SITE QUOTA
//! SITE UTIME <SP> YYYYMMDDhhmm[ss] <SP> <pathname>
//! SITE UTIME <SP> <pathname> <SP> <atime> <SP> <mtime> <SP> <ctime> <SP> UTC
//! ```
//!
//! SITE UTIME takes ProFTPD's two forms (times in UTC, `YYYYMMDDhhmmss`);
//! only the modification time is kept, as MFMT sets it.

use crate::text::{Argument, Pathname, Word};
use crate::timestamp::Timestamp;

/// Unix permission bits, at most `0o7777`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileMode(u16);

impl FileMode {
    /// Builds a mode; `None` above `0o7777`.
    pub const fn new(mode: u32) -> Option<Self> {
        if mode <= 0o7777 {
            Some(Self(mode as u16))
        } else {
            None
        }
    }

    /// The bits.
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    fn parse(octal: &[u8]) -> Option<Self> {
        if octal.is_empty() || octal.len() > 5 {
            return None;
        }
        let mode = octal.iter().try_fold(0u32, |acc, &d| {
            (b'0'..=b'7')
                .contains(&d)
                .then(|| acc * 8 + u32::from(d - b'0'))
        })?;
        Self::new(mode)
    }
}

/// The argument of SITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SiteCommand {
    /// `SITE CHMOD <mode> <path>`.
    Chmod {
        /// The new permission bits.
        mode: FileMode,
        /// The file or directory.
        path: Pathname,
    },
    /// `SITE HELP [topic]`.
    Help(Option<Argument>),
    /// `SITE QUOTA`: the login's traffic quota, used and left.
    Quota,
    /// `SITE UTIME`: set the modification time, as MFMT does.
    Utime {
        /// The new modification time.
        modified: Timestamp,
        /// The file.
        path: Pathname,
    },
    /// Any other sub-command.
    Other {
        /// The sub-command, upper case.
        name: Word,
        /// What follows it, if anything.
        args: Option<Argument>,
    },
}

/// Why a SITE argument was refused.
pub(crate) enum SiteError {
    /// The sub-command word is not a word.
    BadName,
    /// A known sub-command's arguments are wrong.
    BadArgs(&'static str),
}

impl SiteCommand {
    pub(crate) fn parse(arg: &[u8]) -> Result<Self, SiteError> {
        let (name, args) = match arg.iter().position(|&b| b == b' ') {
            Some(sp) => (&arg[..sp], Some(&arg[sp + 1..])),
            None => (arg, None),
        };
        let name = Word::new(name).map_err(|_| SiteError::BadName)?;
        let text = |args: Option<&[u8]>| match args {
            None | Some([]) => Ok(None),
            Some(a) => Argument::new(a)
                .map(Some)
                .map_err(|_| SiteError::BadArgs("invalid bytes")),
        };
        match name.as_str() {
            "CHMOD" => {
                let args = args.unwrap_or_default();
                let sp = args
                    .iter()
                    .position(|&b| b == b' ')
                    .ok_or(SiteError::BadArgs("usage: SITE CHMOD <octal-mode> <path>"))?;
                let mode = FileMode::parse(&args[..sp])
                    .ok_or(SiteError::BadArgs("mode must be octal, at most 7777"))?;
                let path = Pathname::new(&args[sp + 1..])
                    .map_err(|_| SiteError::BadArgs("usage: SITE CHMOD <octal-mode> <path>"))?;
                Ok(Self::Chmod { mode, path })
            }
            "HELP" => text(args).map(Self::Help),
            "QUOTA" => match text(args)? {
                None => Ok(Self::Quota),
                Some(_) => Err(SiteError::BadArgs("usage: SITE QUOTA")),
            },
            "UTIME" => parse_utime(args.unwrap_or_default()),
            _ => Ok(Self::Other {
                name,
                args: text(args)?,
            }),
        }
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mut push_opt = |name: &str, args: Option<&Argument>| {
            out.extend_from_slice(name.as_bytes());
            if let Some(args) = args {
                out.push(b' ');
                out.extend_from_slice(args.as_bytes());
            }
        };
        match self {
            Self::Chmod { mode, path } => {
                out.extend_from_slice(format!("CHMOD {:o} ", mode.bits()).as_bytes());
                out.extend_from_slice(path.as_bytes());
            }
            Self::Help(topic) => push_opt("HELP", topic.as_ref()),
            Self::Quota => out.extend_from_slice(b"QUOTA"),
            Self::Utime { modified, path } => {
                out.extend_from_slice(b"UTIME ");
                modified.encode(out);
                out.push(b' ');
                out.extend_from_slice(path.as_bytes());
            }
            Self::Other { name, args } => push_opt(name.as_str(), args.as_ref()),
        }
    }
}

const UTIME_USAGE: &str =
    "usage: SITE UTIME YYYYMMDDhhmm[ss] <path>, or SITE UTIME <path> <atime> <mtime> <ctime> UTC";

/// The two forms of SITE UTIME: the five-argument one when the last word is
/// `UTC` and the three before it are times, else a time and a path.
fn parse_utime(args: &[u8]) -> Result<SiteCommand, SiteError> {
    let time = |word: &[u8]| match word.len() {
        12 => Timestamp::parse(&[word, b"00"].concat()).ok(),
        14 => Timestamp::parse(word).ok(),
        _ => None,
    };
    let words: Vec<&[u8]> = args.rsplitn(5, |&b| b == b' ').collect();
    if let [utc, ctime, mtime, atime, path] = words.as_slice()
        && utc.eq_ignore_ascii_case(b"UTC")
        && time(atime).is_some()
        && time(ctime).is_some()
        && let Some(modified) = time(mtime)
    {
        let path = Pathname::new(*path).map_err(|_| SiteError::BadArgs(UTIME_USAGE))?;
        return Ok(SiteCommand::Utime { modified, path });
    }
    let sp = args
        .iter()
        .position(|&b| b == b' ')
        .ok_or(SiteError::BadArgs(UTIME_USAGE))?;
    let modified = time(&args[..sp]).ok_or(SiteError::BadArgs(UTIME_USAGE))?;
    let path = Pathname::new(&args[sp + 1..]).map_err(|_| SiteError::BadArgs(UTIME_USAGE))?;
    Ok(SiteCommand::Utime { modified, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arg: &[u8]) -> Option<SiteCommand> {
        SiteCommand::parse(arg).ok()
    }

    #[test]
    fn chmod() {
        assert_eq!(
            parse(b"chmod 0755 my file"),
            Some(SiteCommand::Chmod {
                mode: FileMode::new(0o755).unwrap(),
                path: Pathname::try_from("my file").unwrap(),
            })
        );
        assert_eq!(parse(b"CHMOD 755"), None);
        assert_eq!(parse(b"CHMOD 789 x"), None);
        assert_eq!(parse(b"CHMOD 17777 x"), None);
        assert_eq!(parse(b"CHMOD 755 "), None);
    }

    #[test]
    fn utime_in_both_forms() {
        let at = |t: &str| Timestamp::parse(t.as_bytes()).unwrap();
        let path = |p: &str| Pathname::try_from(p).unwrap();
        assert_eq!(
            parse(b"UTIME 202401020304 my file.txt"),
            Some(SiteCommand::Utime {
                modified: at("20240102030400"),
                path: path("my file.txt")
            })
        );
        assert_eq!(
            parse(b"utime 20240102030405 a"),
            Some(SiteCommand::Utime {
                modified: at("20240102030405"),
                path: path("a")
            })
        );
        assert_eq!(
            parse(b"UTIME my file.txt 20200101000000 20240102030405 20200101000000 UTC"),
            Some(SiteCommand::Utime {
                modified: at("20240102030405"),
                path: path("my file.txt")
            })
        );
        for bad in [
            &b"UTIME"[..],
            b"UTIME 2024 a",
            b"UTIME 20241302030405 a",
            b"UTIME 202401020304",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn help_and_others() {
        assert_eq!(parse(b"HELP"), Some(SiteCommand::Help(None)));
        assert_eq!(
            parse(b"help chmod"),
            Some(SiteCommand::Help(Some(
                Argument::try_from("chmod").unwrap()
            )))
        );
        assert_eq!(parse(b"quota"), Some(SiteCommand::Quota));
        assert_eq!(parse(b"QUOTA alice"), None);
        assert_eq!(
            parse(b"WHO"),
            Some(SiteCommand::Other {
                name: Word::try_from("WHO").unwrap(),
                args: None
            })
        );
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"@!# x"), None);
    }
}
