//! The value types of wharfd's settings, shared by the flags (`cli.rs`)
//! and the configuration file (`config/`): sizes and rates, port ranges
//! and umasks, the networks of access lists, the words of on/off and of `sendfile`, the folder-marker
//! style, the storage URLs and users' homes (`home.rs`), and `Written` (a file's text or a flag's
//! parsed value). Nothing here imports the other settings
//! modules, so they depend on it and not on each other.

mod home;
mod networks;
mod numbers;
mod s3_credential;
mod sizes;
mod urls;
mod words;
mod written;

pub(crate) use home::{Backend, Home, StoreLocation};
pub(crate) use networks::{access_list, parse_network};
pub(crate) use numbers::{parse_port_range, parse_umask};
pub(crate) use s3_credential::S3Credential;
pub(crate) use sizes::{Size, parse_rate, parse_size, rate};
pub(crate) use urls::{StorageUrl, UsageStoreUrl};
pub(crate) use words::{AutoSwitch, AutoWord, MarkerStyle, Switch};
pub(crate) use written::Written;
