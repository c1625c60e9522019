//! The cross-process lock around rewriting `credentials.json`.
//!
//! An OS advisory lock (`flock`/`LockFileEx` via std's `File::lock`) on a separate
//! `credentials.lock` file: the lock dies with its process, so a killed `coze` never leaves
//! a stale lock behind. Holding it across "re-read, refresh, write" makes processes that hit
//! the expiry at the same moment refresh once: the others wait, re-read and find the new token.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use super::ConfigError;

/// How long to wait for another `coze` process before giving up.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// An exclusive hold on the credentials lock; released on drop.
#[derive(Debug)]
pub struct CredentialsLock {
    _file: File,
}

impl CredentialsLock {
    /// Takes the lock on `path`, waiting up to `wait` for another process to release it.
    ///
    /// Blocks the calling thread (polling); call it from `spawn_blocking` in async code.
    ///
    /// # Errors
    ///
    /// Fails when the lock file cannot be opened or the wait runs out.
    pub fn acquire(path: &Path, wait: Duration) -> Result<Self, ConfigError> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| {
            ConfigError::new(format!("cannot open lock file {}: {e}", path.display()))
                .with_hint("check that the configuration directory is writable")
        })?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(ConfigError::new(format!(
                        "another coze process has held {} for over {}s",
                        path.display(),
                        wait.as_secs()
                    ))
                    .with_hint("wait for it to finish, or end it and retry"));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(ConfigError::new(format!("cannot lock {}: {e}", path.display()))
                        .with_hint("the file system may not support locks; set COZE_CONFIG_DIR to a local directory"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_waits_then_times_out() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let path = dir.path().join("credentials.lock");
        let first = CredentialsLock::acquire(&path, DEFAULT_WAIT)?;
        let err = CredentialsLock::acquire(&path, Duration::from_millis(100))
            .expect_err("the lock is held");
        assert!(err.to_string().contains("another coze process"), "{err}");
        drop(first);
        CredentialsLock::acquire(&path, Duration::from_millis(100))?;
        Ok(())
    }
}
