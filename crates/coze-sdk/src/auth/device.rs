//! The device flow's polling loop: a sans-IO decision step and an async driver.

use std::future::Future;
use std::time::Duration;

use super::app::OAuthApp;
use super::error::{OAuthErrorKind, auth_error, oauth_error};
use super::tokens::{DeviceCode, OAuthToken, unix_now};
use crate::error::{Error, Result};

/// Seconds added to the interval on every `slow_down` (RFC 8628 §3.5).
const SLOW_DOWN_STEP: u64 = 5;
/// Consecutive transport failures tolerated while polling.
const MAX_TRANSPORT_FAILURES: u32 = 3;

/// What to do after one poll.
#[derive(Debug)]
#[non_exhaustive]
pub enum PollOutcome {
    /// Not approved yet: poll again after this long.
    Wait(Duration),
    /// Approved: the token.
    Done(OAuthToken),
    /// Denied, expired, or another error: stop.
    Failed(Error),
}

/// Decides, poll by poll, whether to wait, stop or carry on: honours the server's
/// `interval`, adds 5 s on `slow_down`, stops on `access_denied`, `expired_token` and when
/// the device code's lifetime is over.
#[derive(Debug, Clone)]
pub struct DevicePoller {
    interval: u64,
    deadline: u64,
    transport_failures: u32,
}

impl DevicePoller {
    /// A poller for `code`, received at `now` (Unix seconds).
    pub fn new(code: &DeviceCode, now: u64) -> Self {
        DevicePoller {
            // Never wait longer than the code lives: a server's huge interval would hang.
            interval: code.interval.clamp(1, code.expires_in.max(1)),
            deadline: now.saturating_add(code.expires_in),
            transport_failures: 0,
        }
    }

    /// The current wait between two polls.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval)
    }

    /// The decision after a poll answered `result` at `now`.
    pub fn on_response(&mut self, result: Result<OAuthToken>, now: u64) -> PollOutcome {
        let err = match result {
            Ok(token) => return PollOutcome::Done(token),
            Err(err) => err,
        };
        let keep_polling = match &err {
            Error::OAuth(e) if e.kind() == OAuthErrorKind::AuthorizationPending => true,
            Error::OAuth(e) if e.kind() == OAuthErrorKind::SlowDown => {
                self.interval = self.interval.saturating_add(SLOW_DOWN_STEP);
                true
            }
            Error::Connect { .. } | Error::Http { .. } => {
                self.transport_failures += 1;
                self.transport_failures <= MAX_TRANSPORT_FAILURES
            }
            _ => false,
        };
        if !matches!(err, Error::Connect { .. } | Error::Http { .. }) {
            self.transport_failures = 0;
        }
        if !keep_polling {
            return PollOutcome::Failed(err);
        }
        if now.saturating_add(self.interval) >= self.deadline {
            let message = "the device code expired before it was approved";
            return PollOutcome::Failed(oauth_error("expired_token", message, 0, None));
        }
        PollOutcome::Wait(self.interval())
    }
}

/// Polls the token endpoint for `code` until the user approves, denies, or the code
/// expires, or until `cancel` completes (pass `std::future::pending()` to never cancel;
/// dropping the returned future cancels too).
///
/// # Errors
///
/// [`Error::OAuth`] with [`OAuthErrorKind::AccessDenied`] or
/// [`OAuthErrorKind::ExpiredToken`], [`Error::Auth`] when cancelled, or the error that
/// stopped it.
pub async fn poll_device_token(
    app: &OAuthApp,
    http: &reqwest::Client,
    code: &DeviceCode,
    cancel: impl Future<Output = ()>,
) -> Result<OAuthToken> {
    let mut poller = DevicePoller::new(code, unix_now());
    let request = app.poll_device(code);
    let polling = async {
        let mut wait = poller.interval();
        loop {
            tokio::time::sleep(wait).await;
            let result = request.send_token(http).await;
            match poller.on_response(result, unix_now()) {
                PollOutcome::Wait(next) => wait = next,
                PollOutcome::Done(token) => return Ok(token),
                PollOutcome::Failed(err) => return Err(err),
            }
        }
    };
    tokio::select! {
        result = polling => result,
        () = cancel => Err(auth_error("device login cancelled")),
    }
}

/// The whole device flow: asks for a device code (for `workspace_id`'s team workspace when
/// given), hands it to `show` so the caller can print the user code and
/// [`DeviceCode::verification_url`], then polls until done. See [`poll_device_token`].
///
/// # Errors
///
/// As [`OAuthRequest::send_device_code`](super::OAuthRequest::send_device_code) and
/// [`poll_device_token`].
pub async fn device_login(
    app: &OAuthApp,
    http: &reqwest::Client,
    workspace_id: Option<&str>,
    show: impl FnOnce(&DeviceCode),
    cancel: impl Future<Output = ()>,
) -> Result<OAuthToken> {
    let code = app.device_code(workspace_id).send_device_code(http).await?;
    show(&code);
    poll_device_token(app, http, &code, cancel).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn code(interval: u64, expires_in: u64) -> DeviceCode {
        DeviceCode {
            device_code: Secret::new("dc"),
            user_code: "U".into(),
            verification_uri: "v".into(),
            expires_in,
            interval,
        }
    }

    fn oauth(code: &str) -> Result<OAuthToken> {
        Err(oauth_error(code, "", 400, None))
    }

    #[test]
    fn honours_interval_and_slows_down() {
        let mut p = DevicePoller::new(&code(2, 300), 1000);
        assert_eq!(p.interval(), Duration::from_secs(2));
        assert!(
            matches!(p.on_response(oauth("authorization_pending"), 1002),
            PollOutcome::Wait(d) if d == Duration::from_secs(2))
        );
        assert!(matches!(p.on_response(oauth("slow_down"), 1004),
            PollOutcome::Wait(d) if d == Duration::from_secs(7)));
        assert!(matches!(p.on_response(oauth("slow_down"), 1011),
            PollOutcome::Wait(d) if d == Duration::from_secs(12)));
        let token = OAuthToken::new(Secret::new("czu"), None, 5000);
        assert!(matches!(
            p.on_response(Ok(token), 1023),
            PollOutcome::Done(_)
        ));
    }

    #[test]
    fn stops_on_denial_expiry_and_deadline() {
        let mut p = DevicePoller::new(&code(5, 300), 0);
        for stop in ["access_denied", "expired_token", "invalid_client"] {
            assert!(
                matches!(p.on_response(oauth(stop), 10), PollOutcome::Failed(_)),
                "{stop}"
            );
        }
        match p.on_response(oauth("authorization_pending"), 297) {
            PollOutcome::Failed(Error::OAuth(e)) => {
                assert_eq!(e.kind(), OAuthErrorKind::ExpiredToken)
            }
            other => panic!("expected expiry, got {other:?}"),
        }
        assert_eq!(
            DevicePoller::new(&code(0, 300), 0).interval(),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn a_huge_server_interval_neither_hangs_nor_overflows() {
        let mut p = DevicePoller::new(&code(u64::MAX, 300), 0);
        assert_eq!(p.interval(), Duration::from_secs(300));
        let mut p2 = DevicePoller::new(&code(u64::MAX, u64::MAX), 0);
        assert!(matches!(
            p2.on_response(oauth("slow_down"), 1),
            PollOutcome::Failed(_)
        ));
        assert!(matches!(
            p.on_response(oauth("slow_down"), 1),
            PollOutcome::Failed(_)
        ));
    }
}
