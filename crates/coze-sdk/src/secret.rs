//! A string that never shows itself in `Debug`, `Display`, logs or errors.

use std::fmt;

/// A secret string: an access token, a client secret, a private key.
///
/// # Security
///
/// `Debug` and `Display` print `[redacted]`, so a `Secret` can sit in structs that derive
/// `Debug` and in error values without leaking. The only way to read the value is
/// [`Secret::expose`]; call it at the point where the value goes on the wire and nowhere else.
/// The value is not zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret value as given (no trimming; see [`Secret::trimmed`]).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into_boxed_str())
    }

    /// Wraps a secret with surrounding whitespace removed: tokens are often pasted with a
    /// trailing newline, which the API would reject as an invalid token.
    pub fn trimmed(value: impl Into<String>) -> Self {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.len() == value.len() {
            Self::new(value)
        } else {
            Self::new(trimmed)
        }
    }

    /// The secret value itself.
    ///
    /// # Security
    ///
    /// Do not log or format the returned string.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("pat_abcdef");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.to_string(), "[redacted]");
        assert!(!format!("{s:?}{s}").contains("abcdef"));
        assert_eq!(s.expose(), "pat_abcdef");
    }

    #[test]
    fn trimmed_strips_pasted_whitespace() {
        assert_eq!(Secret::trimmed("  pat_x\n").expose(), "pat_x");
        assert_eq!(Secret::trimmed("pat_y").expose(), "pat_y");
        assert!(Secret::trimmed(" \n").is_empty());
    }
}
