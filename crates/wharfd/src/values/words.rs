//! The words of wharfd's settings: on/off, the ways of sending local
//! files, the Azure folder-marker style.

use clap::ValueEnum;
use serde::Deserialize;
use wharf_blob::FolderMarker;
use wharf_session::{LocalDownloads, SpliceUploads};

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

/// `sendfile` and `splice_uploads`: `true`/`"on"`, `false`/`"off"`, or
/// `"auto"` (each setting says what it chooses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum AutoSwitch {
    Switch(bool),
    Word(AutoWord),
}

/// `--sendfile`, `--splice-uploads` and the word form of their settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AutoWord {
    Auto,
    On,
    Off,
}

impl AutoSwitch {
    /// The word either spelling means.
    fn word(self) -> AutoWord {
        match self {
            Self::Switch(true) => AutoWord::On,
            Self::Switch(false) => AutoWord::Off,
            Self::Word(word) => word,
        }
    }
}

impl From<AutoSwitch> for LocalDownloads {
    fn from(setting: AutoSwitch) -> Self {
        match setting.word() {
            AutoWord::On => Self::SendFile,
            AutoWord::Off => Self::Copy,
            AutoWord::Auto => Self::Auto,
        }
    }
}

impl From<AutoSwitch> for SpliceUploads {
    fn from(setting: AutoSwitch) -> Self {
        match setting.word() {
            AutoWord::On => Self::On,
            AutoWord::Off => Self::Off,
            AutoWord::Auto => Self::Auto,
        }
    }
}
