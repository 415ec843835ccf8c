//! Shared harness of the end-to-end tests.
//!
//! [`Server`] starts the real `wharfd` binary on `127.0.0.1` (or `[::1]`,
//! [`Family`] in `family.rs`) port 0 with a fresh temporary root and stops
//! it when dropped (`server.rs`); [`run`] runs
//! an external client (curl, lftp, python3) with a hard timeout
//! (`process.rs`); [`Raw`] is a control connection from a chosen 127.x
//! address (`raw.rs`); `data.rs` writes, reads and compares test files (the bytes are
//! `wharf_vfs::testing::pattern`), `tree.rs`
//! builds and compares file trees, and `suite.rs` runs the Python protocol
//! suite (`tests/ftplib/suite.py`). Every wait here has a deadline and every
//! loop a bound, so a hung server fails a test instead of hanging the suite.

// Some helpers serve only tests that a platform leaves out.
#![allow(dead_code, unused_imports)]

pub(crate) mod azurite;
mod classic_ftp;
mod curl;
mod data;
mod family;
pub(crate) mod fault_relay;
pub(crate) mod fleet;
mod ftp_control;
mod lftp;
pub(crate) mod moto_sts;
mod process;
mod raw;
mod server;
mod server_builder;
pub(crate) mod store_process;
mod suite;
pub(crate) mod token_service;
mod tree;

pub(crate) use classic_ftp::{ClassicFtpRun, classic_ftp_version, run_classic_ftp};
pub(crate) use curl::{
    Tls, assert_protected, assert_stored, assert_success, assert_used, curl, reply_to,
};
pub(crate) use data::{assert_same_bytes, read_file, write_file};
pub(crate) use family::{Family, per_family};
pub(crate) use ftp_control::Ftp;
pub(crate) use lftp::{LftpRun, quoted, run_lftp};
pub(crate) use process::{Finished, require_tool, run};
pub(crate) use raw::{Raw, connect_from, read_until_closed};
pub(crate) use server::{PASSWORD, Server, USER, hash_password};
pub(crate) use server_builder::ServerBuilder;
pub(crate) use suite::{
    run_suite, run_suite_test, suite_functions, suite_path, suite_test, suite_tests,
};
pub(crate) use tree::{assert_same_tree, sample_tree, write_sample_tree};
pub(crate) use wharf_vfs::testing::pattern;
