//! Shared harness of the end-to-end tests.
//!
//! [`Server`] starts the real `wharfd` binary on `127.0.0.1` (or `[::1]`,
//! [`Family`] in `family.rs`) port 0 with a fresh temporary root and stops
//! it when dropped (`server.rs`); [`run`] runs
//! an external client (curl, lftp, python3) with a hard timeout
//! (`process.rs`); [`Restartable`] is a server killed with SIGKILL and
//! started again on the same root or store (`restartable.rs`); [`Raw`] is a control connection from a chosen 127.x
//! address (`raw.rs`); `data.rs` writes, reads and compares test files (the bytes are
//! `wharf_vfs::testing::pattern`; `pattern_stream.rs` makes and checks
//! them a buffer at a time), `tree.rs`
//! builds and compares file trees, and `suite.rs` runs the Python protocol
//! suite (`tests/ftplib/suite.py`). For the load suites, [`LoadClient`]
//! is a small FTP client thousands of which run at once
//! (`load_client.rs`), and `server_memory.rs` reads the server's resident
//! memory and raises open-file limits. Every wait here has a deadline and every
//! loop a bound, so a hung server fails a test instead of hanging the suite.

// Some helpers serve only tests that a platform leaves out.
#![allow(dead_code, unused_imports)]

pub(crate) mod azurite;
mod classic_ftp;
mod curl;
mod data;
mod family;
mod fault_mode;
pub(crate) mod fault_relay;
pub(crate) mod fleet;
mod ftp_control;
pub(crate) mod impaired_link;
pub(crate) mod impaired_server;
mod lftp;
mod load_client;
pub(crate) mod load_sessions;
pub(crate) mod moto_sts;
mod pattern_stream;
mod process;
mod raw;
mod restartable;
mod server;
mod server_builder;
mod server_memory;
pub(crate) mod store_process;
mod suite;
pub(crate) mod token_service;
mod tree;

pub(crate) use classic_ftp::{ClassicFtpRun, classic_ftp_version, run_classic_ftp};
pub(crate) use curl::{
    Tls, assert_protected, assert_reply, assert_stored, assert_success, assert_used, curl, curl_as,
    curl_ok, names_as, replies, reply_to,
};
pub(crate) use data::{assert_same_bytes, read_file, write_file};
pub(crate) use family::{Family, per_family};
pub(crate) use fault_mode::full;
pub(crate) use ftp_control::Ftp;
pub(crate) use lftp::{LftpRun, quoted, run_lftp};
pub(crate) use load_client::LoadClient;
pub(crate) use pattern_stream::{PatternCheck, PatternStream};
pub(crate) use process::{Finished, require_tool, run};
pub(crate) use raw::{Raw, connect_from, read_until_closed};
pub(crate) use restartable::Restartable;
pub(crate) use server::{PASSWORD, Server, USER, hash_password};
pub(crate) use server_builder::ServerBuilder;
pub(crate) use server_memory::raise_own_open_files;
pub(crate) use suite::{
    run_suite, run_suite_test, suite_functions, suite_path, suite_test, suite_tests,
};
pub(crate) use tree::{assert_same_tree, sample_tree, write_sample_tree};
pub(crate) use wharf_vfs::testing::pattern;
