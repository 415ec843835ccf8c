//! The words of wharfd's settings: on/off, the ways of sending local
//! files, the Azure folder-marker style.

use clap::ValueEnum;
use serde::Deserialize;
use wharf_blob::FolderMarker;
use wharf_session::LocalDownloads;

/// An `on|off` flag whose absence means "the config file, else the
/// default".
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Switch {
    On,
    Off,
}

impl Switch {
    pub(crate) fn is_on(self) -> bool {
        self == Self::On
    }
}

/// `--azure-folder-marker` / `[azure] folder_marker`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MarkerStyle {
    /// A `.placeholder` blob inside the folder.
    Placeholder,
    /// A zero-length blob named `folder/`.
    Slash,
}

impl MarkerStyle {
    pub(crate) fn marker(self) -> FolderMarker {
        match self {
            Self::Placeholder => FolderMarker::default(),
            Self::Slash => FolderMarker::TrailingSlash,
        }
    }
}

/// `sendfile`: `true`/`"on"` (the default: sendfile(2)), `false`/`"off"`
/// (the copy), or `"auto"` (the copy while a core is free, sendfile(2) when
/// downloads share them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Sendfile {
    Switch(bool),
    Word(SendfileWord),
}

/// `--sendfile` and the word form of `sendfile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SendfileWord {
    Auto,
    On,
    Off,
}

impl From<Sendfile> for LocalDownloads {
    fn from(setting: Sendfile) -> Self {
        match setting {
            Sendfile::Switch(true) | Sendfile::Word(SendfileWord::On) => Self::SendFile,
            Sendfile::Switch(false) | Sendfile::Word(SendfileWord::Off) => Self::Copy,
            Sendfile::Word(SendfileWord::Auto) => Self::Auto,
        }
    }
}
