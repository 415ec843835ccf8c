//! Fuzz input bytes as a session script: mostly well-formed commands on a
//! small set of names, so that sequences reach deep states (a rename, a
//! restarted upload, a listing over EPSV), with raw lines in between.
//!
//! Each step reads one byte, taken modulo the number of choices: a verb of
//! [`WITH_NAME`], whose argument a second byte picks from [`NAMES`]; a line
//! of [`FIXED`]; or (one choice in [`RAW_CHOICES`] of them) a raw line, as
//! many bytes as a second byte says (below 64), up to an LF.

/// Verbs that take a path or name from [`NAMES`].
const WITH_NAME: &[&str] = &[
    "CWD", "MKD", "RMD", "DELE", "RNFR", "RNTO", "STOR", "APPE", "RETR", "LIST", "NLST", "MLSD",
    "MLST", "SIZE", "MDTM", "STAT", "XMKD", "XRMD", "XCWD", "HASH", "XCRC",
];

/// Whole command lines.
const FIXED: &[&str] = &[
    "USER a",
    "PASS s",
    "USER nobody",
    "PASS wrong",
    "CDUP",
    "PWD",
    "STOU",
    "REST 0",
    "REST 3",
    "REST 100000",
    "TYPE A",
    "TYPE I",
    "TYPE E",
    "MODE S",
    "MODE B",
    "MODE Z",
    "STRU F",
    "STRU R",
    "PASV",
    "EPSV",
    "EPSV 1",
    "EPSV ALL",
    "PORT 192,0,2,10,195,80",
    "PORT 10,0,0,1,0,21",
    "EPRT |1|192.0.2.10|50001|",
    "EPRT |2|::1|21|",
    "AUTH TLS",
    "AUTH SSL",
    "PBSZ 0",
    "PROT P",
    "PROT C",
    "CCC",
    "ABOR",
    "NOOP",
    "STAT",
    "FEAT",
    "SYST",
    "HELP",
    "REIN",
    "OPTS MLST type;size;",
    "OPTS UTF8 ON",
    "SITE CHMOD 600 a",
    "SITE QUOTA",
    "RANG 1 3",
    "HOST example",
    "LIST -la",
    "NLST *",
];

/// Names the scripted commands act on; some exist at the start
/// ([`super::session`] makes `a`, `b`, `d/` and `d/e`).
const NAMES: &[&str] = &[
    "a", "b", "c", "d", "d/e", "d/f", "/a", "../d", "d/..", "e/f", "*", "a b", " a", "d/", "./c",
    "..", "/", "[ab]", "\u{e9}",
];

/// How many of the choices make a raw line.
const RAW_CHOICES: usize = 6;

/// The command lines `data` stands for (without line ends).
pub fn script_from_bytes(data: &[u8]) -> Vec<Vec<u8>> {
    let verbs = WITH_NAME.len() + FIXED.len();
    let mut lines = Vec::new();
    let mut at = 0;
    let mut next = || {
        let byte = data.get(at).copied();
        at += 1;
        byte
    };
    while let Some(pick) = next() {
        let pick = usize::from(pick) % (verbs + RAW_CHOICES);
        if pick < WITH_NAME.len() {
            let name = NAMES[usize::from(next().unwrap_or(0)) % NAMES.len()];
            lines.push(format!("{} {name}", WITH_NAME[pick]).into_bytes());
        } else if pick < verbs {
            lines.push(FIXED[pick - WITH_NAME.len()].as_bytes().to_vec());
        } else {
            let len = usize::from(next().unwrap_or(0)) % 64;
            let line: Vec<u8> = std::iter::from_fn(&mut next)
                .take(len)
                .take_while(|&b| b != b'\n')
                .collect();
            lines.push(line);
        }
    }
    lines
}
