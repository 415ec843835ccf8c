//! Wharf's sans-IO FTP wire codec.
#![doc(html_root_url = "https://docs.rs/wharf-proto/0.1.0")]

pub mod error;
pub mod framer;
pub mod reply;
pub mod telnet;
pub mod text;
