//! The OS keyring as a [`SecretBackend`] (cargo feature `keyring`): the Secret Service over
//! D-Bus on Linux and BSD, the Keychain on macOS, the Credential Manager on Windows.
//!
//! Items are stored under the service `coze-cli`; the item name is chosen by the caller.

use keyring::{Entry, Error};

use super::secrets::{BackendError, SecretBackend};

const SERVICE: &str = "coze-cli";

/// The platform's keyring, reached on first use (nothing happens at construction).
#[derive(Debug, Clone, Copy)]
pub struct OsKeyring;

impl SecretBackend for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, BackendError> {
        match entry(name)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }

    fn set(&self, name: &str, secret: &str) -> Result<(), BackendError> {
        entry(name)?.set_password(secret).map_err(|e| describe(&e))
    }

    fn delete(&self, name: &str) -> Result<bool, BackendError> {
        match entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(describe(&e)),
        }
    }
}

fn entry(name: &str) -> Result<Entry, BackendError> {
    Entry::new(SERVICE, name).map_err(|e| describe(&e))
}

/// A one-line description that never carries the stored data (some variants hold it).
fn describe(e: &Error) -> BackendError {
    let text = match e {
        Error::BadEncoding(_) | Error::BadDataFormat(..) => "the stored item is unreadable".into(),
        Error::Ambiguous(items) => format!("{} keyring items match", items.len()),
        // The reason the platform store could not start is more useful than "no store".
        Error::NoDefaultStore => match Entry::store_status() {
            Err(inner) if !matches!(inner, Error::NoDefaultStore) => {
                return describe(inner);
            }
            _ => "no keyring service is available".into(),
        },
        other => other.to_string(),
    };
    BackendError::new(text.replace('\n', " "))
}
