//! Unix timestamps for expiry bookkeeping: now, `YYYY-MM-DD` parsing and UTC display.
//!
//! Coze sends `expires_in` as an absolute Unix time, so seconds since the epoch are all we
//! store; a date library would be more than this needs.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Parses `YYYY-MM-DD` as the end of that day in UTC (a PAT "valid until" date).
///
/// Returns `None` for anything else, including impossible dates such as 2026-02-30.
pub fn parse_date_end_of_day(s: &str) -> Option<i64> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Reject dates that roll over into the next month.
    (civil_from_days(days) == (y, m, d)).then_some(days * 86_400 + 86_399)
}

/// `2026-11-20 23:45 UTC`.
pub fn format_utc(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let secs = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// `in 14m`, `in 2d 3h`, `expired 5m ago`: how far `ts` is from `now`.
pub fn format_relative(ts: i64, now: i64) -> String {
    let delta = ts - now;
    let span = human_span(delta.unsigned_abs());
    if delta >= 0 {
        format!("in {span}")
    } else {
        format!("expired {span} ago")
    }
}

fn human_span(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// `2026-11-20 23:45 UTC (in 14m)`.
pub fn describe(ts: i64, now: i64) -> String {
    format!("{} ({})", format_utc(ts), format_relative(ts, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        for days in [-1, 59, 60, 365, 10_956, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn parses_dates_and_rejects_impossible_ones() {
        assert_eq!(parse_date_end_of_day("1970-01-01"), Some(86_399));
        assert_eq!(
            parse_date_end_of_day("2024-02-29").map(format_utc),
            Some("2024-02-29 23:59 UTC".into())
        );
        assert_eq!(parse_date_end_of_day("2026-02-29"), None);
        assert_eq!(parse_date_end_of_day("2026-13-01"), None);
        assert_eq!(parse_date_end_of_day("tomorrow"), None);
        assert_eq!(parse_date_end_of_day("2026-1"), None);
    }

    #[test]
    fn relative_spans() {
        assert_eq!(format_relative(100, 40), "in 1m");
        assert_eq!(format_relative(10, 40), "expired 30s ago");
        assert_eq!(format_relative(3 * 86_400 + 7200, 0), "in 3d 2h");
        assert_eq!(format_relative(5400, 0), "in 1h 30m");
    }
}
