//! Hashing a stored file's bytes for the checksum commands (HASH, XCRC,
//! XMD5, XSHA1, XSHA256, XSHA512). The bytes are read as RETR in TYPE I
//! reads them, and go through the same [`Meter`] as a download: they count
//! toward quotas and wait for the rate limits, so hashing cannot be used to
//! read a store faster or further than downloading could.

use sha1::Digest;
use tokio::io::AsyncBufReadExt;
use wharf_proto::checksum::HashAlgorithm;
use wharf_vfs::{FileReader, VPath, VfsError};

use super::meter::{Limits, Meter, storage_wait};
use super::outcome::TransferError;

/// One running hash.
enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    Sha1(sha1::Sha1),
    Md5(md5::Md5),
    Crc32(crc32fast::Hasher),
}

impl Hasher {
    /// `None` for an algorithm the codec knows and this server does not.
    fn new(algorithm: HashAlgorithm) -> Option<Self> {
        Some(match algorithm {
            HashAlgorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha512 => Self::Sha512(sha2::Sha512::new()),
            HashAlgorithm::Sha1 => Self::Sha1(sha1::Sha1::new()),
            HashAlgorithm::Md5 => Self::Md5(md5::Md5::new()),
            HashAlgorithm::Crc32 => Self::Crc32(crc32fast::Hasher::new()),
            _ => return None,
        })
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
            Self::Sha1(h) => h.update(bytes),
            Self::Md5(h) => h.update(bytes),
            Self::Crc32(h) => h.update(bytes),
        }
    }

    /// The hash in lower-case hexadecimal, as the HASH draft asks; CRC32
    /// as eight digits.
    fn finish(self) -> String {
        match self {
            Self::Sha256(h) => hex(&h.finalize()),
            Self::Sha512(h) => hex(&h.finalize()),
            Self::Sha1(h) => hex(&h.finalize()),
            Self::Md5(h) => hex(&h.finalize()),
            Self::Crc32(h) => format!("{:08x}", h.finalize()),
        }
    }
}

/// Lower-case hexadecimal, as the HASH draft asks.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Whether this server can hash with `algorithm`.
pub(crate) fn supported(algorithm: HashAlgorithm) -> bool {
    Hasher::new(algorithm).is_some()
}

/// Hashes the next `len` bytes of `reader` (or fewer, if the file ends
/// first: the hash then covers what there was). Returns the hash and the
/// bytes hashed.
pub(crate) async fn digest(
    mut reader: FileReader,
    len: u64,
    algorithm: HashAlgorithm,
    meter: &mut Meter<'_>,
    limits: Limits,
    path: &VPath,
) -> Result<(String, u64), TransferError> {
    let Some(mut hasher) = Hasher::new(algorithm) else {
        return Err(TransferError::Storage(VfsError::unsupported(path)));
    };
    let mut left = len;
    while left > 0 {
        let chunk = storage_wait(limits, reader.fill_buf())
            .await?
            .map_err(|e| TransferError::Storage(VfsError::from_io(e, path)))?;
        if chunk.is_empty() {
            break;
        }
        let take = usize::try_from(left).map_or(chunk.len(), |left| left.min(chunk.len()));
        let (allowed, stop) = meter.admit(take).await;
        hasher.update(&chunk[..allowed]);
        reader.consume(allowed);
        left -= allowed as u64;
        if let Some(stop) = stop {
            return Err(stop);
        }
    }
    Ok((hasher.finish(), len - left))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(algorithm: HashAlgorithm, data: &[u8]) -> String {
        let mut h = Hasher::new(algorithm).unwrap();
        // In two pieces: updates must add up.
        let (a, b) = data.split_at(data.len() / 2);
        h.update(a);
        h.update(b);
        h.finish()
    }

    #[test]
    fn known_answers() {
        // The standard test vector "abc" (FIPS 180, RFC 1321) and CRC-32's
        // check value for "123456789".
        let abc = b"abc";
        assert_eq!(
            hash(HashAlgorithm::Sha256, abc),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hash(HashAlgorithm::Sha1, abc),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hash(HashAlgorithm::Md5, abc),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert!(hash(HashAlgorithm::Sha512, abc).starts_with("ddaf35a193617aba"));
        assert_eq!(hash(HashAlgorithm::Crc32, b"123456789"), "cbf43926");
    }
}
