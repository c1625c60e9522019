//! When and how long to wait before sending a request again.

use std::time::Duration;

use rand::Rng;

/// Automatic retries of failed requests.
///
/// The client retries only what cannot duplicate data:
/// - a connection that could not be opened (the request never left this machine), for any request;
/// - HTTP 429 / code 4013, HTTP 5xx and timeouts, only for idempotent requests (reads, updates,
///   deletes, cancel). A chat- or message-creating POST that may have reached Coze is never sent
///   twice;
/// - a request whose token was refused, once, when the token source says a new token may work.
///
/// Waits grow exponentially from `initial_backoff` up to `max_backoff`, with jitter, and a
/// server's `Retry-After` is honoured (a longer wait than `max_retry_after` is not retried).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// Two retries, 500 ms then 1 s (with jitter), Retry-After honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry (except the single re-authentication after a refused token).
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How many times one request may be re-sent.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The first wait; later waits double.
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// The longest computed wait.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// The longest `Retry-After` the client waits for; a longer one ends retrying.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Randomise waits (on by default) so that many clients do not retry in step.
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// The configured retry count.
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before retry number `attempt` (0-based), or `None` to stop retrying.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= self.max_retry_after).then_some(wait);
        }
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_backoff);
        if !self.jitter || exp.is_zero() {
            return Some(exp);
        }
        // "Equal jitter": at least half the computed wait, so retries never bunch up at zero.
        let half = exp / 2;
        let extra = rand::thread_rng().gen_range(0..=half.as_millis() as u64);
        Some(half + Duration::from_millis(extra))
    }
}

/// Parses a `Retry-After` header given in seconds (the HTTP-date form is not used by Coze).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && (0.0..86_400.0).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_without_jitter() {
        let p = RetryPolicy::default().max_retries(5).jitter(false);
        let waits: Vec<_> = (0..5)
            .map(|a| p.delay(a, None).unwrap().as_millis())
            .collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000]);
        assert_eq!(p.delay(5, None), None);
    }

    #[test]
    fn jitter_stays_in_range_and_retry_after_wins() {
        let p = RetryPolicy::default().max_retries(3);
        for _ in 0..100 {
            let d = p.delay(1, None).unwrap();
            assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(1000));
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(3600))), None);
        assert_eq!(RetryPolicy::none().delay(0, None), None);
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
