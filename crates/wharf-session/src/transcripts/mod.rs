//! The engine's behaviour, command family by command family, as
//! known-answer transcripts run in process (see `testkit`).

mod data_channels;
mod login;
mod transfers;
