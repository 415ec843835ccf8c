//! The test pattern (`wharf_vfs::testing::pattern`) as a stream: the same
//! bytes, made a buffer at a time, so that hundreds of 16 MiB uploads and
//! their checks run without holding gigabytes in the test process.

/// The bytes of `pattern(len, seed)`, in order, for any `len`.
pub(crate) struct PatternStream {
    state: u64,
}

impl PatternStream {
    /// The start of `pattern(_, seed)`.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
        }
    }

    /// Fills `buf` with the next bytes of the pattern.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for byte in buf {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *byte = (self.state >> 24) as u8;
        }
    }
}

/// Checks bytes received piece by piece against `pattern(len, seed)`.
pub(crate) struct PatternCheck {
    expected: PatternStream,
    scratch: Vec<u8>,
    /// Bytes seen so far.
    pub(crate) seen: u64,
    /// The offset of the first byte that differed, if any did.
    pub(crate) first_difference: Option<u64>,
}

impl PatternCheck {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            expected: PatternStream::new(seed),
            scratch: Vec::new(),
            seen: 0,
            first_difference: None,
        }
    }

    /// Compares the next `piece`.
    pub(crate) fn update(&mut self, piece: &[u8]) {
        self.scratch.resize(piece.len(), 0);
        self.expected.fill(&mut self.scratch);
        if self.first_difference.is_none()
            && let Some(at) = piece.iter().zip(&self.scratch).position(|(a, b)| a != b)
        {
            self.first_difference = Some(self.seen + at as u64);
        }
        self.seen += piece.len() as u64;
    }

    /// `Ok` when exactly `len` bytes of the pattern came.
    pub(crate) fn result(&self, len: u64) -> Result<(), String> {
        match self.first_difference {
            Some(at) => Err(format!("content differs from byte {at}")),
            None if self.seen != len => Err(format!("{} bytes, not {len}", self.seen)),
            None => Ok(()),
        }
    }
}

#[test]
fn the_stream_makes_the_same_bytes_as_pattern() {
    let whole = super::pattern(100_003, 7);
    let mut stream = PatternStream::new(7);
    let mut made = vec![0u8; whole.len()];
    let (a, b) = made.split_at_mut(4097);
    stream.fill(a);
    stream.fill(b);
    assert!(made == whole, "the stream differs from pattern()");

    let mut check = PatternCheck::new(7);
    check.update(&whole[..10]);
    check.update(&whole[10..]);
    assert_eq!(check.result(whole.len() as u64), Ok(()));
    let mut wrong = whole.clone();
    wrong[5000] ^= 1;
    let mut check = PatternCheck::new(7);
    check.update(&wrong);
    assert_eq!(
        check.result(wrong.len() as u64),
        Err("content differs from byte 5000".to_owned())
    );
}
