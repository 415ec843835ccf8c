//! Validated byte strings carried in command and reply arguments.
//!
//! RFC 959 section 5.3.2 defines the argument alphabet:
//!
//! ```text
//! <string>   ::= <char> | <char><string>
//! <char>     ::= any of the 128 ASCII characters except <CR> and <LF>
//! <pathname> ::= <string>
//! ```
//!
//! In practice clients send any byte but CR and LF (UTF-8 per RFC 2640, or a
//! legacy code page), so these types hold bytes, not `str`. NUL is refused as
//! well: no file system or back-end can store it, and it is a classic way of
//! truncating paths in C servers.

use std::fmt;

/// A value refused by one of the validated byte-string types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The value holds a byte that may not appear there (CR, LF, NUL, ...).
    #[error("forbidden byte 0x{0:02x}")]
    ForbiddenByte(u8),
    /// The value must not be empty.
    #[error("empty value")]
    Empty,
    /// The value is longer than the type allows.
    #[error("longer than {0} bytes")]
    TooLong(usize),
}

/// Returns the first byte of `bytes` that may not appear in an argument.
fn forbidden_byte(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .copied()
        .find(|b| matches!(b, b'\r' | b'\n' | 0))
}

/// A byte string with no CR, LF or NUL; it may be empty.
///
/// Used for free-form arguments (`PASS`, `ACCT`, `HELP`, `SITE` arguments)
/// and for the text of reply lines.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Text(Vec<u8>);

impl Text {
    /// Validates `bytes`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, TextError> {
        let bytes = bytes.into();
        match forbidden_byte(&bytes) {
            Some(byte) => Err(TextError::ForbiddenByte(byte)),
            None => Ok(Self(bytes)),
        }
    }

    /// The empty text.
    pub const fn empty() -> Self {
        Self(Vec::new())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The raw bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Whether the text has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text as UTF-8, with invalid sequences replaced.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl TryFrom<&str> for Text {
    type Error = TextError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value.as_bytes())
    }
}

impl TryFrom<String> for Text {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value.into_bytes())
    }
}

impl TryFrom<&[u8]> for Text {
    type Error = TextError;
    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

/// Declares a newtype over [`Text`] that also refuses the empty string.
macro_rules! non_empty_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Text);

        impl $name {
            /// Validates `bytes`: not empty, no CR, LF or NUL.
            pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, TextError> {
                let text = Text::new(bytes)?;
                if text.is_empty() {
                    return Err(TextError::Empty);
                }
                Ok(Self(text))
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }

            /// The raw bytes, by value.
            pub fn into_bytes(self) -> Vec<u8> {
                self.0.into_bytes()
            }

            /// The same bytes as a [`Text`].
            pub fn as_text(&self) -> &Text {
                &self.0
            }

            /// The value as UTF-8, with invalid sequences replaced.
            pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
                self.0.to_string_lossy()
            }
        }

        impl TryFrom<&str> for $name {
            type Error = TextError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::new(value.as_bytes())
            }
        }

        impl TryFrom<&[u8]> for $name {
            type Error = TextError;
            fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                self.as_bytes()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

non_empty_text! {
    /// A client pathname: one or more bytes, none of them CR, LF or NUL.
    ///
    /// It is the argument exactly as sent (relative or absolute, not
    /// normalised); resolving it against a working directory is the virtual
    /// file system's job. Leading and trailing spaces are part of the name.
    Pathname
}

non_empty_text! {
    /// A `USER` name: one or more bytes, none of them CR, LF or NUL.
    Username
}

non_empty_text! {
    /// A free-form argument that is present, so not empty (`HELP` topics,
    /// `SITE` arguments): one or more bytes, none of them CR, LF or NUL.
    Argument
}

/// An ASCII word: a command verb, a `SITE` sub-command, an `AUTH` mechanism,
/// an `OPTS` target. 1 to 32 bytes of letters, digits, `-`, `_` or `.`,
/// normalised to upper case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Word(String);

impl Word {
    /// The longest word accepted.
    pub const MAX_LEN: usize = 32;

    /// Validates and upper-cases `word`.
    pub fn new(word: &[u8]) -> Result<Self, TextError> {
        if word.is_empty() {
            return Err(TextError::Empty);
        }
        if word.len() > Self::MAX_LEN {
            return Err(TextError::TooLong(Self::MAX_LEN));
        }
        match word
            .iter()
            .copied()
            .find(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
        {
            Some(byte) => Err(TextError::ForbiddenByte(byte)),
            None => Ok(Self(String::from_utf8_lossy(word).to_ascii_uppercase())),
        }
    }

    /// The word, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Word {
    type Error = TextError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value.as_bytes())
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_line_breaks_and_nul() {
        assert_eq!(Text::new(*b"a\rb"), Err(TextError::ForbiddenByte(b'\r')));
        assert_eq!(Text::new(*b"a\nb"), Err(TextError::ForbiddenByte(b'\n')));
        assert_eq!(Text::new(*b"a\0b"), Err(TextError::ForbiddenByte(0)));
        assert!(Text::new(Vec::new()).is_ok());
        assert!(Text::new(vec![0xff, 0xfe, b' ']).is_ok());
    }

    #[test]
    fn pathname_is_never_empty() {
        assert_eq!(Pathname::new(Vec::new()), Err(TextError::Empty));
        assert_eq!(Pathname::new(*b" ").unwrap().as_bytes(), b" ");
    }

    #[test]
    fn word_is_upper_cased_and_bounded() {
        assert_eq!(Word::try_from("chmod").unwrap().as_str(), "CHMOD");
        assert!(Word::new(&[b'A'; 33]).is_err());
        assert!(Word::new(b"A B").is_err());
    }
}
