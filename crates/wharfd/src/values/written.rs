//! A setting that the file writes as text and a flag hands over parsed.
//!
//! The file's text is parsed when the settings are resolved, where the
//! error can name the key (`umask: ...`), while clap has already parsed
//! and checked the flag's value. Keeping both forms in one type lets the
//! flags overlay the file field by field (`config::Overlay`).

use serde::Deserialize;

/// The file's text, or a flag's parsed value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String", bound = "")]
pub(crate) enum Written<T> {
    /// As the file wrote it, not parsed yet.
    Text(String),
    /// Parsed by clap from a flag.
    Parsed(T),
}

impl<T> From<String> for Written<T> {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl<T: Clone> Written<T> {
    /// The value: the flag's as it is, the file's through `parse`.
    pub(crate) fn value(&self, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, String> {
        match self {
            Self::Text(text) => parse(text),
            Self::Parsed(value) => Ok(value.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::parse_umask;

    #[derive(Deserialize)]
    struct File {
        umask: Written<u32>,
    }

    #[test]
    fn the_file_gives_text_and_a_flag_a_parsed_value() {
        let file: File = toml::from_str("umask = \"077\"").unwrap();
        assert_eq!(file.umask, Written::Text("077".into()));
        assert_eq!(file.umask.value(parse_umask), Ok(0o077));
        assert_eq!(Written::Parsed(0o027).value(parse_umask), Ok(0o027));
        assert!(Written::<u32>::Text("9".into()).value(parse_umask).is_err());
        // A number is not the text of a umask, as before.
        assert!(toml::from_str::<File>("umask = 18").is_err());
    }
}
