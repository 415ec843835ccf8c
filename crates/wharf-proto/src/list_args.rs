//! The arguments of LIST and NLST (RFC 959 section 4.1.3).
//!
//! ```text
//! LIST [<SP> <pathname>] <CRLF>
//! NLST [<SP> <pathname>] <CRLF>
//! ```
//!
//! Clients written against Unix servers put `ls` options before the path
//! (`LIST -la`, `LIST -a /pub`, `NLST -R`), so leading words that start with
//! `-` and hold only letters and `1` are read as options, as vsftpd and
//! ProFTPD do (`-1`, one name per line, is ncftp's `ls -1`; every NLST
//! already is). The options the server can honour are kept; other letters
//! are dropped. A file whose name starts with `-` can still be listed by
//! its path (`./-name`).

use crate::text::Pathname;

/// The `ls`-style options of a LIST or NLST command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ListOptions {
    /// `-a`: include names starting with `.`.
    pub all: bool,
    /// `-l`: long format (for NLST).
    pub long: bool,
    /// `-R`: recursive.
    pub recursive: bool,
    /// `-d`: list a directory itself, not its contents.
    pub directory: bool,
}

/// The argument of LIST or NLST: options and an optional path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ListArgs {
    /// The options given.
    pub options: ListOptions,
    /// The path to list; the working directory when `None`.
    pub path: Option<Pathname>,
}

impl ListArgs {
    pub(crate) fn parse(arg: Option<&[u8]>) -> Self {
        let mut options = ListOptions::default();
        let mut rest = arg.unwrap_or_default();
        loop {
            let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
            let word = &rest[..end];
            let Some(letters) = word.strip_prefix(b"-") else {
                break;
            };
            if letters.is_empty()
                || !letters
                    .iter()
                    .all(|&b| b.is_ascii_alphabetic() || b == b'1')
            {
                break;
            }
            for letter in letters {
                match letter {
                    b'a' | b'A' => options.all = true,
                    b'l' => options.long = true,
                    b'R' => options.recursive = true,
                    b'd' => options.directory = true,
                    _ => {}
                }
            }
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        Self {
            options,
            path: Pathname::new(rest).ok(),
        }
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let o = self.options;
        let letters: Vec<u8> = [
            (o.long, b'l'),
            (o.all, b'a'),
            (o.recursive, b'R'),
            (o.directory, b'd'),
        ]
        .into_iter()
        .filter_map(|(on, letter)| on.then_some(letter))
        .collect();
        if !letters.is_empty() {
            out.extend_from_slice(b" -");
            out.extend_from_slice(&letters);
        }
        if let Some(path) = &self.path {
            out.push(b' ');
            out.extend_from_slice(path.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_then_path() {
        let args = ListArgs::parse(Some(b"-la /pub"));
        assert!(args.options.all && args.options.long);
        assert_eq!(args.path.unwrap().as_bytes(), b"/pub");
        let args = ListArgs::parse(Some(b"-a -R"));
        assert!(args.options.all && args.options.recursive);
        assert!(args.path.is_none());
    }

    #[test]
    fn one_per_line_is_an_option() {
        assert_eq!(ListArgs::parse(Some(b"-1")), ListArgs::default());
        let args = ListArgs::parse(Some(b"-1a /pub"));
        assert!(args.options.all);
        assert_eq!(args.path.unwrap().as_bytes(), b"/pub");
        let args = ListArgs::parse(Some(b"-l1 -1"));
        assert!(args.options.long);
        assert!(args.path.is_none());
    }

    #[test]
    fn plain_paths_are_not_options() {
        for path in [&b"my dir"[..], b"-", b"-1x2", b"./-la", b"--"] {
            let args = ListArgs::parse(Some(path));
            assert_eq!(args.options, ListOptions::default(), "{path:?}");
            assert_eq!(args.path.unwrap().as_bytes(), path);
        }
        assert_eq!(ListArgs::parse(None), ListArgs::default());
        assert_eq!(ListArgs::parse(Some(b"")), ListArgs::default());
    }
}
