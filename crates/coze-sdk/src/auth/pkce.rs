//! PKCE (RFC 7636): the verifier and its challenge.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// How the code challenge is derived from the verifier.
///
/// Coze's server default is `plain`; we default to `S256`, which never puts the verifier
/// itself in the browser's address bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PkceMethod {
    /// `base64url(sha256(verifier))` without padding.
    #[default]
    S256,
    /// The challenge is the verifier itself.
    Plain,
}

impl PkceMethod {
    /// The wire value of `code_challenge_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            PkceMethod::S256 => "S256",
            PkceMethod::Plain => "plain",
        }
    }
}

/// A PKCE code verifier: the proof that the app exchanging the code is the one that asked.
///
/// # Security
///
/// Not `Clone`, and `Debug` prints `[redacted]`: it lives between building the authorize URL
/// and exchanging the code, and is consumed by the exchange
/// ([`OAuthApp::exchange_code`](super::OAuthApp::exchange_code)).
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// A fresh verifier: 32 bytes from the OS random generator, base64url (43 characters).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        PkceVerifier(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A verifier chosen by the caller (e.g. kept across a web app's redirect).
    pub fn from_string(verifier: impl Into<String>) -> Self {
        PkceVerifier(verifier.into())
    }

    /// The challenge to put in the authorize URL.
    pub fn challenge(&self, method: PkceMethod) -> PkceChallenge {
        let value = match method {
            PkceMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes())),
            PkceMethod::Plain => self.0.clone(),
        };
        PkceChallenge { value, method }
    }

    /// The verifier value, for the token request or to keep it across a redirect.
    ///
    /// # Security
    ///
    /// Do not log the returned string.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// The `code_challenge` and `code_challenge_method` of an authorize URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceChallenge {
    value: String,
    method: PkceMethod,
}

impl PkceChallenge {
    /// The `code_challenge` value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The `code_challenge_method`.
    pub fn method(&self) -> PkceMethod {
        self.method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_the_python_sdk_vector() {
        let v = PkceVerifier::from_string("code_verifier");
        assert_eq!(
            v.challenge(PkceMethod::S256).value(),
            "73oehA2tBul5grZPhXUGQwNAjxh69zNES8bu2bVD0EM"
        );
    }

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        let v = PkceVerifier::from_string("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            v.challenge(PkceMethod::S256).value(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn plain_is_the_verifier() {
        let v = PkceVerifier::from_string("abc");
        let c = v.challenge(PkceMethod::Plain);
        assert_eq!((c.value(), c.method().as_str()), ("abc", "plain"));
    }

    #[test]
    fn generated_verifiers_are_long_unique_and_url_safe() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
