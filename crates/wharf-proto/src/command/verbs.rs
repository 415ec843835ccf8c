//! Verb names, and the verbs known but not implemented.

use super::Command;

impl Command {
    /// The verb, upper case, as it is sent.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::User(_) => "USER",
            Self::Pass(_) => "PASS",
            Self::Acct(_) => "ACCT",
            Self::Cwd(_) => "CWD",
            Self::Cdup => "CDUP",
            Self::Smnt(_) => "SMNT",
            Self::Rein => "REIN",
            Self::Quit => "QUIT",
            Self::Port(_) => "PORT",
            Self::Pasv => "PASV",
            Self::Type(_) => "TYPE",
            Self::Stru(_) => "STRU",
            Self::Mode(_) => "MODE",
            Self::Retr(_) => "RETR",
            Self::Stor(_) => "STOR",
            Self::Stou(_) => "STOU",
            Self::Appe(_) => "APPE",
            Self::Allo { .. } => "ALLO",
            Self::Rest(_) => "REST",
            Self::Rnfr(_) => "RNFR",
            Self::Rnto(_) => "RNTO",
            Self::Abor => "ABOR",
            Self::Dele(_) => "DELE",
            Self::Rmd(_) => "RMD",
            Self::Mkd(_) => "MKD",
            Self::Pwd => "PWD",
            Self::List(_) => "LIST",
            Self::Nlst(_) => "NLST",
            Self::Site(_) => "SITE",
            Self::Syst => "SYST",
            Self::Stat(_) => "STAT",
            Self::Help(_) => "HELP",
            Self::Noop => "NOOP",
            Self::Auth(_) => "AUTH",
            Self::Pbsz(_) => "PBSZ",
            Self::Prot(_) => "PROT",
            Self::Ccc => "CCC",
            Self::Feat => "FEAT",
            Self::Opts(_) => "OPTS",
            Self::Eprt(_) => "EPRT",
            Self::Epsv(_) => "EPSV",
            Self::Size(_) => "SIZE",
            Self::Mdtm(_) => "MDTM",
            Self::Mlst(_) => "MLST",
            Self::Mlsd(_) => "MLSD",
            Self::Host(_) => "HOST",
            Self::Lang(_) => "LANG",
            Self::Mfmt { .. } => "MFMT",
            Self::Hash(_) => "HASH",
            Self::Rang(_) => "RANG",
            Self::Checksum(args) => args.algorithm.x_verb(),
            Self::Xpwd => "XPWD",
            Self::Xmkd(_) => "XMKD",
            Self::Xrmd(_) => "XRMD",
            Self::Xcup => "XCUP",
            Self::Xcwd(_) => "XCWD",
        }
    }
}

/// Verbs defined by an RFC (or a widely used draft) that this codec does not
/// decode: a server answers them `502 Command not implemented` rather than
/// `500 unknown`.
pub(super) const NOT_IMPLEMENTED: &[&str] = &[
    // RFC 2228 security mechanisms other than TLS.
    "ADAT", "MIC", "CONF", "ENC", // RFC 1639 long addresses.
    "LPRT", "LPSV", // RFC 765 mail commands and RFC 737/743 experiments.
    "MLFL", "MAIL", "MSND", "MSOM", "MSAM", "MRSQ", "MRCP", "XSEN", "XSEM", "XRSQ", "XRCP",
    // draft-somers-ftp-mfxx, other than MFMT.
    "MFCT", "MFF", // draft-twine-ftpmd5, XSHA (XSHA1 under an older name).
    "MD5", "MMD5", "XSHA", // draft-peterson-streamlined-ftp-command-extensions.
    "AVBL", "CSID", "DSIZ", "THMB", // draft-rosenau-ftp-single-port.
    "SPSV",
];
