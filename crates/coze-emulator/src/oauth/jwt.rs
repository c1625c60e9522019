//! Checks a JWT presented to the token endpoint the way Coze does: RS256 signature with the
//! app's registered key (`kid`), `iss` = a JWT app, `aud` = the API host, `exp` in the future,
//! and a `jti` never seen before.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use serde_json::Value;
use sha2::Sha256;

use super::{AppKind, OAuthStore};

/// The claims that matter after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJwt {
    pub app_id: String,
    pub jti: String,
    pub exp: i64,
    pub session_name: Option<String>,
}

/// Why a JWT was refused (the `error_message` of an `invalid_client` answer).
pub type Refusal = String;

fn part(segment: &str, what: &str) -> Result<Value, Refusal> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|_| format!("invalid JWT: the {what} is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| format!("invalid JWT: the {what} is not JSON"))
}

/// Verifies `jwt` for an API host `audience` at `now`; does not record the `jti`.
///
/// # Errors
/// A one-line reason for an `invalid_client` answer.
pub fn verify(
    store: &OAuthStore,
    jwt: &str,
    audience: &str,
    now: i64,
) -> Result<VerifiedJwt, Refusal> {
    let segments: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = segments[..] else {
        return Err("invalid JWT: expected three dot-separated parts".into());
    };
    let header = part(header, "header")?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err("invalid JWT: alg must be RS256".into());
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or("invalid JWT: the header has no kid (the public key id)")?;
    let body = part(claims, "payload")?;
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let iss = text("iss").ok_or("invalid JWT: no iss (the app id)")?;
    let app = store
        .apps
        .get(iss)
        .filter(|a| a.kind == AppKind::Jwt)
        .ok_or_else(|| format!("invalid JWT: iss {iss} is not a JWT app"))?;
    let key = app
        .public_keys
        .get(kid)
        .ok_or_else(|| format!("invalid JWT: app {iss} has no public key with id {kid}"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .ok()
        .and_then(|s| Signature::try_from(s.as_slice()).ok())
        .ok_or("invalid JWT: the signature is not base64url")?;
    let signed = &jwt[..header_and_claims_len(jwt)];
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| {
            "invalid JWT: the signature does not match the app's public key".to_string()
        })?;
    match text("aud") {
        Some(aud) if aud == audience => {}
        Some(aud) => {
            return Err(format!(
                "invalid JWT: aud {aud} is not this API host ({audience})"
            ));
        }
        None => return Err("invalid JWT: no aud".into()),
    }
    let exp = body
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or("invalid JWT: no exp")?;
    if exp <= now {
        return Err("invalid JWT: it has expired (exp is in the past)".into());
    }
    if body
        .get("iat")
        .and_then(Value::as_i64)
        .is_some_and(|iat| iat > now.saturating_add(60))
    {
        return Err("invalid JWT: iat is in the future".into());
    }
    let jti = text("jti").ok_or("invalid JWT: no jti")?;
    if store.seen_jti.contains_key(jti) {
        return Err(
            "invalid JWT: this jti was already used; sign a new JWT for every token request".into(),
        );
    }
    Ok(VerifiedJwt {
        app_id: iss.to_string(),
        jti: jti.to_string(),
        exp,
        session_name: text("session_name").map(str::to_string),
    })
}

fn header_and_claims_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(jwt.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::{AppRecord, jwt_key};
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    use serde_json::json;
    use std::collections::HashMap;

    fn store() -> OAuthStore {
        let mut store = OAuthStore::default();
        let mut public_keys = HashMap::new();
        public_keys.insert("kid1".to_string(), jwt_key().key.to_public_key());
        store.apps.insert(
            "42".into(),
            AppRecord {
                client_id: "42".into(),
                name: "jwt".into(),
                kind: AppKind::Jwt,
                secret: None,
                redirect_uris: Vec::new(),
                public_keys,
            },
        );
        store
    }

    fn sign(header: Value, claims: Value) -> String {
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let key = SigningKey::<Sha256>::new(jwt_key().key.clone());
        let sig = key.sign(jwt.as_bytes()).to_bytes();
        format!("{jwt}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn header() -> Value {
        json!({"alg": "RS256", "typ": "JWT", "kid": "kid1"})
    }

    fn claims() -> Value {
        json!({"iss": "42", "aud": "127.0.0.1:1", "iat": 1000, "exp": 2000, "jti": "j1"})
    }

    #[test]
    fn accepts_a_good_jwt_and_names_each_refusal() {
        let mut store = store();
        let ok = verify(&store, &sign(header(), claims()), "127.0.0.1:1", 1500).expect("valid");
        assert_eq!(
            (ok.app_id.as_str(), ok.jti.as_str(), ok.exp),
            ("42", "j1", 2000)
        );

        let refused = |store: &OAuthStore, jwt: &str| {
            verify(store, jwt, "127.0.0.1:1", 1500).expect_err("refused")
        };
        let mut none = header();
        none["alg"] = json!("none");
        assert!(refused(&store, &sign(none, claims())).contains("RS256"));
        let mut kid = header();
        kid["kid"] = json!("other");
        assert!(refused(&store, &sign(kid, claims())).contains("no public key"));
        let mut aud = claims();
        aud["aud"] = json!("api.coze.cn");
        assert!(refused(&store, &sign(header(), aud)).contains("aud"));
        let mut iss = claims();
        iss["iss"] = json!("7");
        assert!(refused(&store, &sign(header(), iss)).contains("not a JWT app"));
        assert!(
            verify(&store, &sign(header(), claims()), "127.0.0.1:1", 2000)
                .is_err_and(|e| e.contains("expired"))
        );

        // A payload swapped after signing.
        let good = sign(header(), claims());
        let parts: Vec<&str> = good.split('.').collect();
        let mut other = claims();
        other["jti"] = json!("j2");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(other.to_string()),
            parts[2]
        );
        assert!(refused(&store, &forged).contains("signature"));
        assert!(refused(&store, "a.b").contains("three"));

        store.seen_jti.insert("j1".into(), 2000);
        assert!(refused(&store, &good).contains("jti"));
    }
}
