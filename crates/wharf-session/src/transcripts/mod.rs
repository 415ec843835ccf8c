//! The engine's behaviour, command family by command family, as
//! known-answer transcripts run in process (see `testkit`): no socket, no
//! real client, milliseconds per test. wharfd's suites keep the real
//! clients (curl, lftp, ftplib) for interoperability.
//!
//! | file | what it pins down |
//! |---|---|
//! | `login` | USER, PASS, REIN, QUIT, failed logins, the anonymous login |
//! | `server_info` | FEAT, SYST, HELP, NOOP, OPTS, LANG, STAT, SITE, HOST, ACCT, ALLO, SMNT, unknown verbs |
//! | `paths` | PWD, CWD, CDUP, MKD, RMD, DELE, SIZE, MDTM, MFMT, quoting, `..` |
//! | `rename` | RNFR and RNTO |
//! | `transfer_params` | TYPE, MODE, STRU, REST; TYPE A line ends |
//! | `transfers` | RETR, STOR, APPE, STOU |
//! | `listings` | LIST, NLST, MLSD, MLST, STAT with a path |
//! | `wildcards` | `*`, `?` and `[...]` in LIST and NLST paths, their limit |
//! | `tree_listings` | `LIST -R` and its limits, `LIST -d` |
//! | `data_channels` | PORT, EPRT, PASV, EPSV (ALL), the default data port, PROT P data |
//! | `block_mode` | MODE B blocks byte by byte, one connection for many transfers |
//! | `sequencing` | commands while a transfer runs, ABOR, pipelining, bad lines, 503 |
//! | `tls_policy` | AUTH, PBSZ, PROT, CCC, the TLS policy, implicit FTPS |
//! | `quotas` | a login's quota hook: refusals, cuts, discarded uploads |
//! | `rates` | bandwidth limits shared by sessions: the server's, a login's |
//! | `reload` | new settings for new sessions, running ones keep theirs |
//! | `timeouts` | the login and idle timeouts, an expired passive offer |
//! | `observers` | what an `Observer` hears; `Connections::stats` |
//! | `access` | the server's access list at connect, a user's at login |
//! | `virtual_hosts` | HOST choosing a virtual host by its configured name |
//! | `permissions` | per-path permissions: every verb against every permission, LIST -R, MLSD `perm`, the presets |

mod access;
mod block_mode;
mod checksums;
mod data_channels;
mod listings;
mod login;
mod observers;
mod paths;
mod permissions;
mod quotas;
mod rates;
mod reload;
mod rename;
mod sequencing;
mod server_info;
mod timeouts;
mod tls_policy;
mod tls_siblings;
mod transfer_params;
mod transfers;
mod tree_listings;
mod virtual_hosts;
mod wildcards;
