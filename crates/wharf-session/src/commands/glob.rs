//! Wildcards in the last component of a LIST or NLST path, matched against
//! names byte by byte.
//!
//! The grammar is the shell's pattern matching (POSIX.1-2017, XCU 2.13.1)
//! without the escape character, as vsftpd and ProFTPD accept it in a
//! listing argument:
//!
//! ```text
//! pattern  = *( "*" / "?" / bracket / byte )
//! "*"      any sequence of bytes, the empty one too
//! "?"      any one byte
//! bracket  = "[" [ "!" / "^" ] [ "]" ] *( byte / byte "-" byte ) "]"
//!          one byte in the set (or, after "!" or "^", one byte not in it);
//!          "a-z" is the bytes 'a' to 'z' inclusive, a range whose end is
//!          below its start holds nothing; a "]" first in the set, and a
//!          "-" first or last, stand for themselves
//! byte     any other byte stands for itself; a "[" with no closing "]"
//!          too
//! ```
//!
//! Names are bytes in this project, so `?` is one byte, not one character:
//! a two-byte UTF-8 letter needs `??` (or `*`). There is no escape
//! character, since `\` is an ordinary byte in names; a name holding a
//! literal `*` is reached by its exact path, which is tried before any
//! pattern (see `listing_target.rs`). Whether a leading `.` must be matched
//! explicitly is the caller's rule, not the matcher's.

/// Whether a path component holds a wildcard and is read as a pattern.
pub(crate) fn is_pattern(component: &[u8]) -> bool {
    component.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Whether `name` matches `pattern`, as a whole.
///
/// A single pass with backtracking to the last `*` only: a later `*` can
/// always absorb what an earlier one would, so time is bounded by
/// `pattern.len() * name.len()` steps, never exponential.
pub(crate) fn matches(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    // Where to resume after a mismatch: the pattern after the last `*`,
    // and the name position that `*` has swallowed up to.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        match (pattern.get(p), name.get(n)) {
            (Some(b'*'), _) => {
                p += 1;
                resume = Some((p, n));
                continue;
            }
            (Some(_), Some(&byte)) => {
                if let Some(next) = one_byte(pattern, p, byte) {
                    p = next;
                    n += 1;
                    continue;
                }
            }
            (None, None) => return true,
            _ => {}
        }
        match resume {
            Some((after_star, swallowed)) if swallowed < name.len() => {
                resume = Some((after_star, swallowed + 1));
                (p, n) = (after_star, swallowed + 1);
            }
            _ => return false,
        }
    }
}

/// Whether the element at `pattern[p]` (not `*`) matches `byte`; if so,
/// where the next element starts.
fn one_byte(pattern: &[u8], p: usize, byte: u8) -> Option<usize> {
    match pattern.get(p)? {
        b'?' => Some(p + 1),
        b'[' => match bracket(pattern, p, byte) {
            Some((hit, next)) => hit.then_some(next),
            // No closing `]`: an ordinary `[`.
            None => (byte == b'[').then_some(p + 1),
        },
        &literal => (literal == byte).then_some(p + 1),
    }
}

/// The bracket expression opening at `pattern[open]`: whether `byte` is in
/// its set, and where the element after it starts; `None` when it never
/// closes.
fn bracket(pattern: &[u8], open: usize, byte: u8) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negated = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let first = i;
    let mut hit = false;
    loop {
        let low = *pattern.get(i)?;
        if low == b']' && i > first {
            return Some((hit != negated, i + 1));
        }
        let (high, width) = match (pattern.get(i + 1), pattern.get(i + 2)) {
            (Some(b'-'), Some(&high)) if high != b']' => (high, 3),
            _ => (low, 1),
        };
        hit |= (low..=high).contains(&byte);
        i += width;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The grammar read the slow, obvious way: every split for `*`.
    fn oracle(pattern: &[u8], name: &[u8]) -> bool {
        match pattern.first() {
            None => name.is_empty(),
            Some(b'*') => (0..=name.len()).any(|k| oracle(&pattern[1..], &name[k..])),
            Some(_) => match name.split_first() {
                Some((&byte, rest)) => {
                    one_byte(pattern, 0, byte).is_some_and(|next| oracle(&pattern[next..], rest))
                }
                None => false,
            },
        }
    }

    #[test]
    fn the_grammar_corner_by_corner() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything", true),
            ("*.txt", "a.txt", true),
            ("*.txt", "a.txt.bak", false),
            ("*.txt", ".txt", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("?", "", false),
            ("?", "x", true),
            ("??", "x", false),
            ("file?.log", "file1.log", true),
            ("[abc]", "b", true),
            ("[abc]", "d", false),
            ("[a-c]x", "bx", true),
            ("[a-c]x", "dx", false),
            ("[!a-c]", "d", true),
            ("[!a-c]", "a", false),
            ("[^a-c]", "a", false),
            ("[^a-c]", "z", true),
            ("[]]", "]", true),
            ("[!]]", "]", false),
            ("[!]]", "a", true),
            ("[a-]", "-", true),
            ("[-a]", "-", true),
            ("[z-a]", "m", false),
            ("[*?]", "*", true),
            ("[*?]", "x", false),
            // Unclosed: an ordinary `[`.
            ("[ab", "[ab", true),
            ("[ab", "a", false),
            ("a[", "a[", true),
            // No escape: `\` is a byte like any other.
            ("a\\*", "a\\b", true),
            ("a\\*", "a*", false),
        ];
        for &(pattern, name, expected) in cases {
            assert_eq!(
                matches(pattern.as_bytes(), name.as_bytes()),
                expected,
                "{pattern:?} against {name:?}"
            );
        }
    }

    #[test]
    fn bytes_not_characters() {
        // "é" is two bytes in UTF-8; names need not be UTF-8 at all.
        assert!(!matches(b"caf?", "café".as_bytes()));
        assert!(matches(b"caf??", "café".as_bytes()));
        assert!(matches(b"*\xff", b"name\xff"));
        assert!(matches(b"[\x80-\xff]", b"\x90"));
        assert!(!matches(b"[\x80-\xff]", b"\x7f"));
    }

    #[test]
    fn what_counts_as_a_pattern() {
        for component in ["*.txt", "a?", "[ab]", "x[", "*"] {
            assert!(is_pattern(component.as_bytes()), "{component}");
        }
        for component in ["plain.txt", "a]b", "a-b", "{a,b}", "!x", ""] {
            assert!(!is_pattern(component.as_bytes()), "{component}");
        }
    }

    /// Bytes from a small alphabet, so that patterns and names meet often.
    fn bytes_from(alphabet: &'static [u8], max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
    }

    proptest! {
        #[test]
        fn agrees_with_the_oracle(
            pattern in bytes_from(b"ab*?[]!^-", 10),
            name in bytes_from(b"ab]-", 10),
        ) {
            prop_assert_eq!(matches(&pattern, &name), oracle(&pattern, &name));
        }

        /// A pattern made from a name, each byte kept, turned into `?`, a
        /// set, a negated set or a range that holds it, and runs cut out
        /// for a `*`, matches that name.
        #[test]
        fn a_pattern_made_from_a_name_matches_it(
            name in proptest::collection::vec(any::<u8>(), 0..24),
            choices in proptest::collection::vec(0u8..6, 24),
        ) {
            let mut pattern = Vec::new();
            for (&byte, &choice) in name.iter().zip(&choices) {
                match choice {
                    0 if !b"*?[".contains(&byte) => pattern.push(byte),
                    0 | 1 => pattern.push(b'?'),
                    2 if byte == b']' => pattern.extend(b"[]]"),
                    2 => pattern.extend([b'[', b'0', byte, b']']),
                    3 => pattern.extend([b'[', b'!', if byte == b'a' { b'b' } else { b'a' }, b']']),
                    4 => pattern.extend([b'[', 0, b'-', 255, b']']),
                    _ if pattern.last() == Some(&b'*') => {}
                    _ => pattern.push(b'*'),
                }
            }
            prop_assert!(matches(&pattern, &name), "{:?} against {:?}", pattern, name);
        }

        /// Without wildcards a pattern matches exactly the one name.
        #[test]
        fn a_plain_pattern_matches_only_itself(
            pattern in bytes_from(b"ab.-]x", 8),
            name in bytes_from(b"ab.-]x", 8),
        ) {
            prop_assert_eq!(matches(&pattern, &name), pattern == name);
        }
    }
}
