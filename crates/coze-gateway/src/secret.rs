//! Secrets (Glif API token, bridge service token): never in `Debug`, `Display`, logs or errors.
//!
//! The type is the SDK's [`Secret`] (one redacting type across the workspace); this module adds
//! what a server needs: reading it from a config file and comparing it in constant time.

pub use coze_sdk::Secret;

/// Reads an optional secret from a config file, trimmed; blank counts as absent.
///
/// # Errors
///
/// When the value is not a string.
pub fn deserialize_optional<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Secret>, D::Error> {
    let value: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(value.map(Secret::trimmed).filter(|s| !s.is_empty()))
}

/// Compares two secrets without an early exit, so response timing does not reveal how many
/// leading bytes matched. Both sides are hashed first: the comparison then runs over a fixed
/// 32 bytes whatever the lengths are.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let da = Sha256::digest(a);
    let db = Sha256::digest(b);
    let diff = da
        .iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("glif_abc123");
        assert!(!format!("{s:?}{s}").contains("abc123"));
        assert_eq!(s.expose(), "glif_abc123");
    }

    #[test]
    fn constant_time_eq_compares_values() {
        assert!(constant_time_eq(b"Bearer abc", b"Bearer abc"));
        assert!(!constant_time_eq(b"Bearer abc", b"Bearer abd"));
        assert!(!constant_time_eq(b"Bearer abc", b"Bearer ab"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
