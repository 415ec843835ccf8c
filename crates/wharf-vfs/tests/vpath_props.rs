//! Properties of path resolution.

use proptest::prelude::*;
use wharf_vfs::{VPath, VPathError};

/// Segments chosen to hit the interesting cases often.
fn segment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"".to_vec()),
        Just(b".".to_vec()),
        Just(b"..".to_vec()),
        Just(b"...".to_vec()),
        Just(b"a".to_vec()),
        Just(b"b c".to_vec()),
        Just("é文".as_bytes().to_vec()),
        Just(b"\xff\xfe".to_vec()),
        proptest::collection::vec(
            any::<u8>().prop_filter("no separators or forbidden bytes", |b| {
                !matches!(b, b'/' | 0 | b'\r' | b'\n')
            }),
            1..6
        ),
    ]
}

/// A pathname a client might send: segments joined by one or more slashes,
/// maybe absolute, maybe with a trailing slash.
fn pathname() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        proptest::collection::vec((segment(), 1..3_usize), 0..8),
        any::<bool>(),
    )
        .prop_map(|(absolute, parts, trailing)| {
            let mut bytes = Vec::new();
            if absolute {
                bytes.push(b'/');
            }
            for (i, (segment, slashes)) in parts.iter().enumerate() {
                if i > 0 {
                    bytes.extend(std::iter::repeat_n(b'/', *slashes));
                }
                bytes.extend_from_slice(segment);
            }
            if trailing {
                bytes.push(b'/');
            }
            bytes
        })
}

fn dir() -> impl Strategy<Value = VPath> {
    pathname().prop_map(|bytes| VPath::parse(bytes).expect("generated pathnames are valid"))
}

proptest! {
    #[test]
    fn resolution_is_idempotent(cwd in dir(), other in dir(), name in pathname()) {
        let once = cwd.resolve(&name).unwrap();
        prop_assert_eq!(other.resolve(once.as_bytes()).unwrap(), once.clone());
        prop_assert_eq!(VPath::parse(once.as_bytes()).unwrap(), once);
    }

    #[test]
    fn result_is_normalised(cwd in dir(), name in pathname()) {
        let path = cwd.resolve(&name).unwrap();
        let bytes = path.as_bytes();
        prop_assert_eq!(bytes[0], b'/');
        prop_assert!(path.is_root() || bytes.last() != Some(&b'/'));
        for component in path.components() {
            prop_assert!(!matches!(component, b"" | b"." | b".."));
        }
        prop_assert!(!bytes.windows(2).any(|w| w == b"//"));
    }

    #[test]
    fn dot_dot_never_climbs_above_root(cwd in dir(), ups in 0..20_usize) {
        let climb = "../".repeat(ups + cwd.components().count());
        prop_assert!(cwd.resolve(climb.as_bytes()).unwrap().is_root());
        let escape = format!("{climb}etc/passwd");
        let escaped = cwd.resolve(escape.as_bytes()).unwrap();
        prop_assert_eq!(escaped.as_bytes(), b"/etc/passwd");
    }

    #[test]
    fn forbidden_bytes_are_refused(
        cwd in dir(),
        before in pathname(),
        bad in prop_oneof![Just(0_u8), Just(b'\r'), Just(b'\n')],
        after in pathname(),
    ) {
        let mut name = before;
        name.push(bad);
        name.extend_from_slice(&after);
        prop_assert_eq!(cwd.resolve(&name), Err(VPathError::ForbiddenByte(bad)));
    }

    #[test]
    fn parent_and_join_are_inverse(path in dir()) {
        if let (Some(parent), Some(name)) = (path.parent(), path.file_name()) {
            prop_assert_eq!(parent.join(name).unwrap(), path.clone());
            prop_assert!(path.starts_with(&parent));
        } else {
            prop_assert!(path.is_root());
        }
    }
}
