//! Per-key limits, enforced in the store so they hold across instances: requests per minute
//! (a fixed one-minute window, [`check_rate`], applied by [`crate::keys::require_key`]) and
//! streams open at once ([`acquire_stream`], which a streaming handler holds while it
//! streams).

use crate::error::GatewayError;
use crate::keys::ClientKey;
use crate::state::GatewayState;
use crate::store::SlotGuard;
use std::time::Duration;

/// How long a stream slot lives without renewal: a crashed instance's streams free their
/// slots after this.
pub const STREAM_SLOT_TTL: Duration = Duration::from_secs(30);

/// Counts this request against the key's per-minute limit; 429 with `Retry-After` (the
/// seconds until the window ends) over it.
///
/// # Errors
///
/// 429 over the limit; 503 when the store is unreachable.
pub async fn check_rate(state: &GatewayState, key: &ClientKey) -> Result<(), GatewayError> {
    let Some(rpm) = key.rpm else { return Ok(()) };
    let window = state
        .store()
        .raw()
        .incr(&format!("rpm:{}", key.id), Duration::from_secs(60))
        .await?;
    if window.count > u64::from(rpm) {
        let secs = window.resets_in.as_secs_f64().ceil() as u64;
        return Err(GatewayError::rate_limited(
            format!("this API key is limited to {rpm} requests per minute; retry in {secs} s"),
            secs,
        ));
    }
    Ok(())
}

/// Takes one of the key's stream slots; hold the guard while the stream runs (dropping it
/// frees the slot). `None` when the key has no concurrency limit.
///
/// # Errors
///
/// 429 when all slots are taken; 503 when the store is unreachable.
pub async fn acquire_stream(
    state: &GatewayState,
    key: &ClientKey,
) -> Result<Option<SlotGuard>, GatewayError> {
    let Some(cap) = key.concurrency else {
        return Ok(None);
    };
    match state
        .store()
        .acquire(&format!("streams:{}", key.id), cap, STREAM_SLOT_TTL)
        .await?
    {
        Some(guard) => Ok(Some(guard)),
        None => Err(GatewayError::rate_limited(
            format!("this API key may have {cap} streams open at once; wait for one to finish"),
            1,
        )
        .code("concurrency_limit_exceeded")),
    }
}
