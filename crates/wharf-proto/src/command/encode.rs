//! Encoding commands, for FTP clients and proxies.

use super::Command;
use crate::extended::{EpsvArg, format_eprt};
use crate::host_port::format_host_port;
use crate::parse_util::push_decimal;
use crate::telnet;

impl Command {
    /// Appends the command line, `<CRLF>` included, to `out`. 0xFF bytes in
    /// arguments are doubled as Telnet requires.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut line = Vec::with_capacity(64);
        line.extend_from_slice(self.verb().as_bytes());
        self.encode_argument(&mut line);
        telnet::escape_into(&line, out);
        out.extend_from_slice(b"\r\n");
    }

    /// The encoded command line as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    fn encode_argument(&self, out: &mut Vec<u8>) {
        let mut arg = |bytes: &[u8]| {
            out.push(b' ');
            out.extend_from_slice(bytes);
        };
        match self {
            Self::User(name) => arg(name.as_bytes()),
            Self::Pass(password) => arg(password.expose().as_bytes()),
            Self::Acct(text) => arg(text.as_bytes()),
            Self::Cwd(p)
            | Self::Smnt(p)
            | Self::Retr(p)
            | Self::Stor(p)
            | Self::Appe(p)
            | Self::Rnfr(p)
            | Self::Rnto(p)
            | Self::Dele(p)
            | Self::Rmd(p)
            | Self::Mkd(p)
            | Self::Size(p)
            | Self::Mdtm(p)
            | Self::Xmkd(p)
            | Self::Xrmd(p)
            | Self::Xcwd(p)
            | Self::Hash(p) => arg(p.as_bytes()),
            Self::Checksum(args) => arg(args.raw().as_bytes()),
            Self::Rang(range) => range.encode(out),
            Self::Stou(p) | Self::Stat(p) | Self::Mlst(p) | Self::Mlsd(p) => {
                if let Some(p) = p {
                    arg(p.as_bytes());
                }
            }
            Self::Help(topic) => {
                if let Some(topic) = topic {
                    arg(topic.as_bytes());
                }
            }
            Self::Port(addr) => arg(format_host_port(*addr).as_bytes()),
            Self::Eprt(addr) => arg(format_eprt(*addr).as_bytes()),
            Self::Epsv(EpsvArg::Any) => {}
            Self::Epsv(EpsvArg::All) => arg(b"ALL"),
            Self::Epsv(EpsvArg::Protocol(p)) => arg(&[b'0' + p.number()]),
            Self::Type(t) => {
                out.push(b' ');
                t.encode(out);
            }
            Self::Stru(s) => arg(&[s.letter()]),
            Self::Mode(m) => arg(&[m.letter()]),
            Self::Prot(p) => arg(&[p.letter()]),
            Self::Allo { size, record_size } => {
                out.push(b' ');
                push_decimal(out, *size);
                if let Some(r) = record_size {
                    out.extend_from_slice(b" R ");
                    push_decimal(out, *r);
                }
            }
            Self::Rest(offset) => {
                out.push(b' ');
                push_decimal(out, *offset);
            }
            Self::Pbsz(size) => {
                out.push(b' ');
                push_decimal(out, u64::from(*size));
            }
            Self::List(args) | Self::Nlst(args) => args.encode(out),
            Self::Site(site) => {
                out.push(b' ');
                site.encode(out);
            }
            Self::Auth(mechanism) => arg(mechanism.as_str().as_bytes()),
            Self::Opts(opts) => {
                out.push(b' ');
                opts.encode(out);
            }
            Self::Host(host) => arg(host.to_string().as_bytes()),
            Self::Lang(tag) => {
                if let Some(tag) = tag {
                    arg(tag.as_str().as_bytes());
                }
            }
            Self::Mfmt { modified, path } => {
                out.push(b' ');
                modified.encode(out);
                out.push(b' ');
                out.extend_from_slice(path.as_bytes());
            }
            Self::Cdup
            | Self::Rein
            | Self::Quit
            | Self::Pasv
            | Self::Abor
            | Self::Pwd
            | Self::Syst
            | Self::Noop
            | Self::Ccc
            | Self::Feat
            | Self::Xpwd
            | Self::Xcup => {}
        }
    }
}
