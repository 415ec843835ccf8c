//! OPTS arguments (RFC 2389 section 4; RFC 3659 section 7.9; RFC 2640).
//!
//! ```text
//! opts             = opts-cmd SP command-name [ SP command-options ] CRLF
//! opts-cmd         = "opts"
//! command-name     = <any FTP command which allows option setting>
//! command-options  = <format specified by individual FTP command>
//!
//! mlst-opts        = "MLST" [ SP 1*( factname ";" ) ]      (RFC 3659 7.9)
//! utf8-opts        = "UTF8" [ SP ( "ON" / "OFF" ) ]         (RFC 2640 usage)
//! ```

use crate::text::{Text, Word};

/// A fact of an MLSx entry (RFC 3659 section 7.5), by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fact {
    /// `size`: bytes in the file.
    Size,
    /// `modify`: last modification time.
    Modify,
    /// `create`: creation time.
    Create,
    /// `type`: file, dir, cdir, pdir, or OS.name=type.
    Type,
    /// `unique`: an identifier unique to the file on the server.
    Unique,
    /// `perm`: what the user may do with the entry.
    Perm,
    /// `lang`: the language of the file name.
    Lang,
    /// `media-type`: the IANA media type.
    MediaType,
    /// `charset`: the character set of the file name.
    Charset,
    /// `UNIX.mode`: the Unix permission bits, in octal.
    UnixMode,
    /// `UNIX.owner`: the owner's name or id.
    UnixOwner,
    /// `UNIX.group`: the group's name or id.
    UnixGroup,
    /// Any other fact name, upper case.
    Other(Word),
}

impl Fact {
    /// The facts Wharf knows, in the order they are listed in FEAT.
    pub const KNOWN: [Fact; 12] = [
        Fact::Type,
        Fact::Size,
        Fact::Modify,
        Fact::Create,
        Fact::Perm,
        Fact::Unique,
        Fact::Lang,
        Fact::MediaType,
        Fact::Charset,
        Fact::UnixMode,
        Fact::UnixOwner,
        Fact::UnixGroup,
    ];

    /// The name as RFC 3659 and common practice spell it.
    pub fn name(&self) -> &str {
        match self {
            Self::Size => "size",
            Self::Modify => "modify",
            Self::Create => "create",
            Self::Type => "type",
            Self::Unique => "unique",
            Self::Perm => "perm",
            Self::Lang => "lang",
            Self::MediaType => "media-type",
            Self::Charset => "charset",
            Self::UnixMode => "UNIX.mode",
            Self::UnixOwner => "UNIX.owner",
            Self::UnixGroup => "UNIX.group",
            Self::Other(word) => word.as_str(),
        }
    }

    /// Looks a fact name up, ignoring case.
    pub fn from_word(word: Word) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(word.as_str()))
            .unwrap_or(Self::Other(word))
    }
}

/// The argument of OPTS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptsArgs {
    /// `OPTS UTF8 ON` (`true`) or `OPTS UTF8 OFF` (`false`); `OPTS UTF8`
    /// alone means on.
    Utf8(bool),
    /// `OPTS MLST fact;fact;...`: the facts MLSx should return from now on
    /// (an empty list means none).
    Mlst(Vec<Fact>),
    /// OPTS for another command.
    Other {
        /// The command whose options are set.
        command: Word,
        /// The options as sent, if any.
        options: Option<Text>,
    },
}

impl OptsArgs {
    pub(crate) fn parse(arg: &[u8]) -> Option<Self> {
        let (name, options) = match arg.iter().position(|&b| b == b' ') {
            Some(sp) => (&arg[..sp], Some(&arg[sp + 1..])),
            None => (arg, None),
        };
        let command = Word::new(name).ok()?;
        match command.as_str() {
            "UTF8" | "UTF-8" => match options.map(<[u8]>::to_ascii_uppercase).as_deref() {
                None | Some(b"ON") => Some(Self::Utf8(true)),
                Some(b"OFF") => Some(Self::Utf8(false)),
                Some(_) => None,
            },
            "MLST" => {
                let facts = options.unwrap_or_default();
                facts
                    .split(|&b| b == b';')
                    .filter(|f| !f.is_empty())
                    .map(|f| Word::new(f).ok().map(Fact::from_word))
                    .collect::<Option<Vec<_>>>()
                    .map(Self::Mlst)
            }
            _ => Some(Self::Other {
                command,
                options: match options {
                    Some(o) => Some(Text::new(o).ok()?),
                    None => None,
                },
            }),
        }
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Utf8(on) => out.extend_from_slice(if *on { b"UTF8 ON" } else { b"UTF8 OFF" }),
            Self::Mlst(facts) => {
                out.extend_from_slice(b"MLST");
                if !facts.is_empty() {
                    out.push(b' ');
                    for fact in facts {
                        out.extend_from_slice(fact.name().as_bytes());
                        out.push(b';');
                    }
                }
            }
            Self::Other { command, options } => {
                out.extend_from_slice(command.as_str().as_bytes());
                if let Some(options) = options {
                    out.push(b' ');
                    out.extend_from_slice(options.as_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8() {
        assert_eq!(OptsArgs::parse(b"UTF8 ON"), Some(OptsArgs::Utf8(true)));
        assert_eq!(OptsArgs::parse(b"utf8 off"), Some(OptsArgs::Utf8(false)));
        assert_eq!(OptsArgs::parse(b"UTF8"), Some(OptsArgs::Utf8(true)));
        assert_eq!(OptsArgs::parse(b"UTF8 MAYBE"), None);
    }

    #[test]
    fn mlst_facts() {
        assert_eq!(
            OptsArgs::parse(b"MLST type;size;UNIX.MODE;x-custom;"),
            Some(OptsArgs::Mlst(vec![
                Fact::Type,
                Fact::Size,
                Fact::UnixMode,
                Fact::Other(Word::try_from("x-custom").unwrap()),
            ]))
        );
        assert_eq!(OptsArgs::parse(b"MLST"), Some(OptsArgs::Mlst(vec![])));
        assert_eq!(OptsArgs::parse(b"MLST a b;"), None);
    }

    #[test]
    fn other_commands_keep_their_options() {
        let parsed = OptsArgs::parse(b"MODE Z LEVEL 9").unwrap();
        let mut out = Vec::new();
        parsed.encode(&mut out);
        assert_eq!(out, b"MODE Z LEVEL 9");
    }
}
