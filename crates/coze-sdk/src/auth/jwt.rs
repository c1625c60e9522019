//! JWT service apps: sign an RS256 JWT with the app's private key and trade it for a token.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::endpoints::Endpoints;
use super::error::auth_error;
use super::request::OAuthRequest;
use super::tokens::unix_now;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The JWT-bearer grant type.
pub const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Default lifetime of a JWT-issued access token (Coze's default, 15 minutes).
pub const DEFAULT_DURATION_SECONDS: u64 = 900;
/// The longest access-token lifetime Coze grants to a JWT app.
pub const MAX_DURATION_SECONDS: u64 = 86_399;
/// Lifetime of the signed JWT itself; it is used once, right away.
const JWT_TTL_SECONDS: u64 = 600;

/// An RSA private key for RS256 signing.
///
/// # Security
///
/// `Debug` prints `[redacted]`; the key is never shown or returned.
pub struct JwtKey(SigningKey<Sha256>);

impl JwtKey {
    /// Reads a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, as the Coze console downloads
    /// it) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] naming the problem: not PEM, a public key, an encrypted key, a key
    /// that is not RSA, or a damaged one.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let label = pem
            .lines()
            .map(str::trim)
            .find_map(|l| {
                l.strip_prefix("-----BEGIN ")
                    .and_then(|l| l.strip_suffix("-----"))
            })
            .ok_or_else(|| {
                auth_error("private key: not a PEM file (no -----BEGIN ...----- line)")
            })?;
        let key = match label {
            "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| {
                auth_error(format!(
                    "private key: not an RSA private key in PKCS#8 form ({e})"
                ))
            })?,
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| {
                auth_error(format!("private key: damaged PKCS#1 RSA private key ({e})"))
            })?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(auth_error(
                    "private key: the key is encrypted; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)",
                ));
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
                return Err(auth_error(format!(
                    "private key: this is a {}, not the private key",
                    label.to_lowercase()
                )));
            }
            other => {
                return Err(auth_error(format!(
                    "private key: unsupported key type `{other}`; an RSA private key is needed"
                )));
            }
        };
        Ok(JwtKey(SigningKey::new(key)))
    }

    /// Reads a PEM private key file.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when the file cannot be read or holds no usable key.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let pem = std::fs::read_to_string(path)
            .map_err(|e| auth_error(format!("private key: cannot read {}: {e}", path.display())))?;
        JwtKey::from_pem(&pem)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let signature = self
            .0
            .try_sign(message)
            .map_err(|e| auth_error(format!("private key: signing failed ({e})")))?;
        Ok(signature.to_bytes().into_vec())
    }
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKey([redacted])")
    }
}

/// The claims of a Coze JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JwtClaims {
    /// The app id.
    pub iss: String,
    /// The API host (`api.coze.com`, `api.coze.cn`, or the custom base's host:port).
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expiry of the JWT itself (Unix seconds).
    pub exp: u64,
    /// A unique id: Coze refuses a JWT whose `jti` it has seen.
    pub jti: String,
    /// Isolates conversation history per end user of a service app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
}

/// A JWT (service) app: no user, no refresh token; every token comes from a freshly signed
/// JWT.
///
/// # Security
///
/// Holds the private key ([`JwtKey`], redacted in `Debug`).
#[derive(Debug, Clone)]
pub struct JwtApp {
    app_id: String,
    key_id: String,
    key: Arc<JwtKey>,
    endpoints: Endpoints,
    duration_seconds: u64,
    session_name: Option<String>,
    scope: Option<Value>,
    account_id: Option<String>,
    enterprise_id: Option<String>,
}

impl JwtApp {
    /// A JWT app with its id (the `iss`), the public key's id (`kid`) and the private key.
    pub fn new(app_id: impl Into<String>, key_id: impl Into<String>, key: JwtKey) -> Self {
        JwtApp {
            app_id: app_id.into(),
            key_id: key_id.into(),
            key: Arc::new(key),
            endpoints: Endpoints::default(),
            duration_seconds: DEFAULT_DURATION_SECONDS,
            session_name: None,
            scope: None,
            account_id: None,
            enterprise_id: None,
        }
    }

    /// Uses this API base; `aud` is its host.
    pub fn with_base_url(mut self, api_base: &str) -> Self {
        self.endpoints = Endpoints::new(api_base);
        self
    }

    /// Uses these endpoints.
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// Lifetime of the issued access token, clamped to 1..=86399 seconds (Coze's range).
    pub fn with_duration_seconds(mut self, seconds: u64) -> Self {
        self.duration_seconds = seconds.clamp(1, MAX_DURATION_SECONDS);
        self
    }

    /// Sets `session_name` (per-end-user isolation of conversations).
    pub fn with_session_name(mut self, session_name: impl Into<String>) -> Self {
        self.session_name = Some(session_name.into());
        self
    }

    /// Sets the `scope` object sent with the token request (see the Coze docs).
    pub fn with_scope(mut self, scope: Value) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Gets the token in another organisation (`/api/permission/oauth2/account/{id}/token`).
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Gets an enterprise's token (`/api/permission/oauth2/enterprise_id/{id}/token`, as
    /// coze-go's `EnterpriseID` option does); takes precedence over an account id.
    pub fn with_enterprise_id(mut self, enterprise_id: impl Into<String>) -> Self {
        self.enterprise_id = Some(enterprise_id.into());
        self
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The key id (`kid`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The claims of a JWT issued at `now`, with a fresh random `jti`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the base URL has no host.
    pub fn claims(&self, now: u64) -> Result<JwtClaims> {
        let mut jti = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut jti);
        Ok(JwtClaims {
            iss: self.app_id.clone(),
            aud: self.endpoints.audience()?,
            iat: now,
            exp: now + JWT_TTL_SECONDS,
            jti: jti.iter().map(|b| format!("{b:02x}")).collect(),
            session_name: self.session_name.clone(),
        })
    }

    /// Signs `claims` as an RS256 JWT with this app's key id.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when signing fails.
    pub fn sign(&self, claims: &JwtClaims) -> Result<Secret> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.key_id});
        let claims = serde_json::to_vec(claims)
            .map_err(|e| Error::Config(format!("cannot encode JWT claims ({e})")))?;
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(claims));
        let signature = self.key.sign(jwt.as_bytes())?;
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(Secret::new(jwt))
    }

    /// The token request at `now`: a freshly signed JWT as the bearer credential.
    ///
    /// # Errors
    ///
    /// As [`JwtApp::claims`] and [`JwtApp::sign`].
    pub fn token_request_at(&self, now: u64) -> Result<OAuthRequest> {
        let jwt = self.sign(&self.claims(now)?)?;
        let mut body = json!({
            "duration_seconds": self.duration_seconds,
            "grant_type": JWT_GRANT,
        });
        if let Some(scope) = &self.scope {
            body["scope"] = scope.clone();
        }
        let url = match &self.enterprise_id {
            Some(enterprise) => self.endpoints.enterprise_token(enterprise),
            None => self.endpoints.token(self.account_id.as_deref()),
        };
        Ok(OAuthRequest::post(url, Some(jwt), body))
    }

    /// The token request, signed now.
    ///
    /// # Errors
    ///
    /// As [`JwtApp::token_request_at`].
    pub fn token_request(&self) -> Result<OAuthRequest> {
        self.token_request_at(unix_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    use rsa::pkcs1v15::VerifyingKey;
    use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
    use rsa::signature::Verifier as _;
    use std::sync::OnceLock;

    /// Keygen is slow; one key for all tests.
    fn key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| {
            RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("test key generation")
        })
    }

    fn decode(part: &str) -> Value {
        let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url part");
        serde_json::from_slice(&bytes).expect("json part")
    }

    #[test]
    fn signs_a_verifiable_rs256_jwt_with_kid() {
        let pem = key().to_pkcs8_pem(LineEnding::LF).expect("pkcs8 encode");
        let app = JwtApp::new("1234", "kid-1", JwtKey::from_pem(&pem).expect("pkcs8 key"))
            .with_base_url("https://api.coze.cn")
            .with_session_name("user-7")
            .with_duration_seconds(100_000);
        let req = app.token_request_at(1_700_000_000).expect("request");
        assert_eq!(req.url(), "https://api.coze.cn/api/permission/oauth2/token");
        assert_eq!(
            req.body(),
            &json!({"duration_seconds": MAX_DURATION_SECONDS, "grant_type": JWT_GRANT})
        );
        let jwt = req.bearer().expect("jwt bearer").expose().to_string();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode(parts[0]),
            json!({"alg":"RS256","typ":"JWT","kid":"kid-1"})
        );
        let claims = decode(parts[1]);
        assert_eq!(claims["iss"], "1234");
        assert_eq!(claims["aud"], "api.coze.cn");
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_000_000 + JWT_TTL_SECONDS);
        assert_eq!(claims["session_name"], "user-7");
        assert_eq!(claims["jti"].as_str().map(str::len), Some(64));
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).expect("signature");
        let sig = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).expect("signature bytes");
        let verifier = VerifyingKey::<Sha256>::new(key().to_public_key());
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(verifier.verify(signed.as_bytes(), &sig).is_ok());
        assert!(verifier.verify(b"tampered", &sig).is_err());
    }

    #[test]
    fn jti_is_unique_and_session_name_optional() {
        let pem = key().to_pkcs1_pem(LineEnding::LF).expect("pkcs1 encode");
        let app = JwtApp::new("1", "k", JwtKey::from_pem(&pem).expect("pkcs1 key"))
            .with_base_url("http://127.0.0.1:8080")
            .with_account_id("99");
        let a = app.claims(1).expect("claims");
        let b = app.claims(1).expect("claims");
        assert_ne!(a.jti, b.jti);
        assert_eq!(a.aud, "127.0.0.1:8080");
        assert!(
            serde_json::to_value(&a)
                .expect("json")
                .get("session_name")
                .is_none()
        );
        let req = app.token_request().expect("request");
        assert!(
            req.url()
                .ends_with("/api/permission/oauth2/account/99/token")
        );
        assert!(!format!("{app:?}").contains("BEGIN"));
        let req = app
            .with_enterprise_id("e/1")
            .token_request()
            .expect("request");
        assert!(
            req.url()
                .ends_with("/api/permission/oauth2/enterprise_id/e%2F1/token"),
            "{}",
            req.url()
        );
    }

    #[test]
    fn bad_keys_say_what_is_wrong() {
        let err = |pem: &str| match JwtKey::from_pem(pem) {
            Err(Error::Auth { message, .. }) => message,
            other => panic!("expected a key error, got {other:?}"),
        };
        assert!(err("hello").contains("not a PEM"));
        let public = key()
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pub pem");
        assert!(err(&public).contains("public key"));
        assert!(
            err("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
                .contains("EC PRIVATE KEY")
        );
        assert!(
            err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .contains("PKCS#8")
        );
        assert!(
            err("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA\n-----END ENCRYPTED PRIVATE KEY-----")
                .contains("encrypted")
        );
    }
}
