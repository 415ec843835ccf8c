//! A wrapper that keeps passwords out of logs.

use std::fmt;

/// A value that `Debug` and `Display` never reveal.
///
/// `PASS` arguments are held in a `Secret` so that tracing a decoded
/// [`Command`](crate::Command) cannot leak a password. Reach the value with
/// [`Secret::expose`], which is easy to find in a review.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The secret value, by value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "Secret(****) ****");
        assert_eq!(*secret.expose(), "hunter2");
    }
}
