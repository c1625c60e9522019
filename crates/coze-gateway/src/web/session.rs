//! Who a visitor is: a signed session cookie, or the operator's own login (an HS256 JWT from
//! their backend, for the Web SDK token endpoint).
//!
//! The cookie holds `v_<32 hex>.<issued at>` signed with the session key (HMAC-SHA256, the
//! `cookie` crate's signed jar). A cookie that does not verify, is malformed or older than the
//! session lifetime is ignored: the visitor gets a new id, never someone else's. The cookie is
//! re-issued (same id) once a day, so an active visitor keeps their conversations.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, CookieJar, Key, SameSite};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

/// The session cookie's name.
pub const COOKIE: &str = "coze_web_session";

/// Re-issue the cookie when it is older than this.
const RENEW_AFTER: u64 = 86_400;

/// The session key, from the configured secret or random bytes kept in the store.
pub fn key_from_secret(secret: &[u8]) -> Key {
    // SHA-512 gives the 64 bytes a Key needs, whatever the secret's length.
    let digest = Sha512::digest(secret);
    Key::from(digest.as_slice())
}

/// A visitor's id as found in (or made for) a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    /// `v_...` (cookie) or `u_...` (operator login). Used as Coze's `user_id` and as the
    /// `session_name` of Web SDK tokens.
    pub id: String,
    /// A `Set-Cookie` value to send back (a new visitor, or a renewal).
    pub set_cookie: Option<String>,
}

/// How cookies are written for this request.
#[derive(Debug, Clone, Copy)]
pub struct CookieMode {
    /// The page is served over https: `Secure`.
    pub secure: bool,
    /// The page may be framed by other sites: `SameSite=None; Secure; Partitioned` (https
    /// only), so the cookie works inside the iframe.
    pub embeddable: bool,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn new_id() -> String {
    format!("v_{:032x}", rand::random::<u128>())
}

/// The visitor of a verified cookie value, with its issue time; `None` when malformed.
fn parse_value(value: &str) -> Option<(String, u64)> {
    let (id, issued) = value.split_once('.')?;
    let hex = id.strip_prefix("v_")?;
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((id.to_owned(), issued.parse().ok()?))
}

/// The signed session cookie of `cookie_header` (the request's `Cookie` headers joined),
/// if valid and younger than `ttl`.
pub fn existing(key: &Key, cookie_headers: &[&str], ttl: Duration) -> Option<(String, u64)> {
    let mut jar = CookieJar::new();
    for header in cookie_headers {
        for cookie in Cookie::split_parse_encoded(header.to_string()).flatten() {
            if cookie.name() == COOKIE {
                jar.add_original(cookie);
            }
        }
    }
    let cookie = jar.signed(key).get(COOKIE)?;
    let (id, issued) = parse_value(cookie.value())?;
    let now = now();
    (issued <= now.saturating_add(60) && now.saturating_sub(issued) < ttl.as_secs())
        .then_some((id, issued))
}

/// The request's visitor: the cookie's, or a new one (with the cookie to set).
pub fn visitor(key: &Key, cookie_headers: &[&str], ttl: Duration, mode: CookieMode) -> Visitor {
    match existing(key, cookie_headers, ttl) {
        Some((id, issued)) if now().saturating_sub(issued) < RENEW_AFTER => Visitor {
            id,
            set_cookie: None,
        },
        Some((id, _)) => Visitor {
            set_cookie: Some(set_cookie(key, &id, ttl, mode)),
            id,
        },
        None => {
            let id = new_id();
            Visitor {
                set_cookie: Some(set_cookie(key, &id, ttl, mode)),
                id,
            }
        }
    }
}

/// A signed `Set-Cookie` value for visitor `id`.
pub fn set_cookie(key: &Key, id: &str, ttl: Duration, mode: CookieMode) -> String {
    let mut cookie = Cookie::new(COOKIE, format!("{id}.{}", now()));
    cookie.set_http_only(true);
    cookie.set_path("/");
    cookie.set_max_age(cookie::time::Duration::seconds(
        i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
    ));
    if mode.secure && mode.embeddable {
        cookie.set_secure(true);
        cookie.set_same_site(SameSite::None);
        cookie.set_partitioned(true);
    } else {
        cookie.set_secure(mode.secure);
        cookie.set_same_site(SameSite::Lax);
    }
    let mut jar = CookieJar::new();
    jar.signed_mut(key).add(cookie);
    jar.get(COOKIE)
        .map(|c| c.encoded().to_string())
        .unwrap_or_default()
}

/// Checks the operator's login JWT (HS256, `sub` and `exp` required) and returns the visitor
/// id `u_<sub>`.
///
/// # Errors
///
/// A one-line reason (shown to the caller: it holds nothing secret).
pub fn login_visitor(jwt: &str, secret: &[u8]) -> Result<String, String> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the login token is not a JWT (three dot-separated parts)".into());
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .map_err(|_| format!("the login token's {what} is not base64url"))
    };
    let header: Value = serde_json::from_slice(&decode(header, "header")?)
        .map_err(|_| "the login token's header is not JSON".to_owned())?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err("the login token must be signed with HS256".into());
    }
    let signature = decode(signature, "signature")?;
    let signed_len = jwt.rfind('.').unwrap_or(0);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| "the login secret cannot be used".to_owned())?;
    mac.update(&jwt.as_bytes()[..signed_len]);
    mac.verify_slice(&signature)
        .map_err(|_| "the login token's signature does not match the login secret".to_owned())?;
    let claims: Value = serde_json::from_slice(&decode(payload, "payload")?)
        .map_err(|_| "the login token's payload is not JSON".to_owned())?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("the login token has no exp")?;
    if exp <= now() {
        return Err("the login token has expired: get a new one from your backend".into());
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or("the login token has no sub (your user id)")?;
    if sub.is_empty() || sub.len() > 128 || !sub.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the login token's sub must be 1-128 printable ASCII characters".into());
    }
    Ok(format!("u_{sub}"))
}

/// An HS256 JWT, as an operator's backend makes it (tests and docs).
pub fn sign_login(claims: &Value, secret: &[u8]) -> String {
    let mut jwt = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return jwt;
    };
    mac.update(jwt.as_bytes());
    let signature = mac.finalize().into_bytes();
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
    jwt
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MODE: CookieMode = CookieMode {
        secure: false,
        embeddable: false,
    };
    const TTL: Duration = Duration::from_secs(3600);

    fn pair(set_cookie: &str) -> String {
        set_cookie
            .split(';')
            .next()
            .expect("name=value")
            .to_string()
    }

    #[test]
    fn a_cookie_round_trips_and_tampering_makes_a_new_visitor() {
        let key = key_from_secret(b"0123456789abcdef0123456789abcdef");
        let first = visitor(&key, &[], TTL, MODE);
        let set = first
            .set_cookie
            .clone()
            .expect("a new visitor gets a cookie");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        assert!(!set.contains("Secure"));
        let header = pair(&set);
        let again = visitor(&key, &[&header], TTL, MODE);
        assert_eq!(again.id, first.id);
        assert!(again.set_cookie.is_none());

        // Another visitor's id in a cookie with the signature of this one.
        let other = visitor(&key, &[], TTL, MODE);
        let forged = header.replace(&first.id[2..], &other.id[2..]);
        assert_ne!(forged, header);
        let result = visitor(&key, &[&forged], TTL, MODE);
        assert_ne!(result.id, first.id);
        assert_ne!(result.id, other.id);
        // A cookie signed with another key.
        let other_key = key_from_secret(b"another secret of at least 32 bytes!");
        assert_ne!(visitor(&other_key, &[&header], TTL, MODE).id, first.id);
        // Expired: older than the session lifetime.
        assert!(existing(&key, &[&header], Duration::from_secs(0)).is_none());
        // Garbage.
        assert!(existing(&key, &["coze_web_session=%%%; x=y"], TTL).is_none());
    }

    #[test]
    fn embeddable_https_cookies_are_partitioned() {
        let key = key_from_secret(b"0123456789abcdef0123456789abcdef");
        let mode = CookieMode {
            secure: true,
            embeddable: true,
        };
        let set = set_cookie(&key, "v_00000000000000000000000000000001", TTL, mode);
        assert!(set.contains("SameSite=None") && set.contains("Secure"));
        assert!(set.contains("Partitioned"), "{set}");
    }

    #[test]
    fn login_tokens_are_checked() {
        let secret = b"operator shared secret";
        let exp = now() + 60;
        let good = sign_login(&json!({"sub": "alice", "exp": exp}), secret);
        assert_eq!(login_visitor(&good, secret).as_deref(), Ok("u_alice"));
        assert!(
            login_visitor(&good, b"wrong")
                .unwrap_err()
                .contains("signature")
        );
        let old = sign_login(&json!({"sub": "alice", "exp": 1}), secret);
        assert!(login_visitor(&old, secret).unwrap_err().contains("expired"));
        let nosub = sign_login(&json!({"exp": exp}), secret);
        assert!(login_visitor(&nosub, secret).unwrap_err().contains("sub"));
        let mut none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        none.push('.');
        none.push_str(&URL_SAFE_NO_PAD.encode(json!({"sub":"a","exp":exp}).to_string()));
        none.push('.');
        assert!(login_visitor(&none, secret).unwrap_err().contains("HS256"));
        assert!(login_visitor("abc", secret).is_err());
    }
}
