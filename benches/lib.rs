//! Shared inputs for Wharf's benchmarks.

/// A realistic mix of command lines, as a busy client session sends them:
/// navigation, listings, transfers with their data-channel set-up, and a few
/// long paths.
pub fn command_mix() -> Vec<u8> {
    let lines: &[&[u8]] = &[
        b"USER alice\r\n",
        b"PASS correct horse battery staple\r\n",
        b"SYST\r\n",
        b"FEAT\r\n",
        b"OPTS UTF8 ON\r\n",
        b"PWD\r\n",
        b"TYPE I\r\n",
        b"CWD /projects/wharf/releases/2026\r\n",
        b"EPSV\r\n",
        b"MLSD\r\n",
        b"PASV\r\n",
        b"LIST -la\r\n",
        b"SIZE wharf-0.1.0-x86_64-unknown-linux-gnu.tar.gz\r\n",
        b"MDTM wharf-0.1.0-x86_64-unknown-linux-gnu.tar.gz\r\n",
        b"REST 1048576\r\n",
        b"EPSV\r\n",
        b"RETR wharf-0.1.0-x86_64-unknown-linux-gnu.tar.gz\r\n",
        b"PORT 127,0,0,1,195,80\r\n",
        b"STOR upload/some file with spaces.bin\r\n",
        b"EPRT |2|::1|50000|\r\n",
        b"APPE logs/2026-11-21.log\r\n",
        b"MFMT 20261121093000 upload/some file with spaces.bin\r\n",
        b"RNFR upload/some file with spaces.bin\r\n",
        b"RNTO archive/some file with spaces.bin\r\n",
        b"DELE tmp/scratch.dat\r\n",
        b"MKD archive/2026/11\r\n",
        b"NOOP\r\n",
        b"STAT\r\n",
        b"QUIT\r\n",
    ];
    lines.concat()
}

/// How many command lines [`command_mix`] holds.
pub fn command_mix_lines() -> u64 {
    command_mix().iter().filter(|&&b| b == b'\n').count() as u64
}
