//! Times for the whole CLI: now, `YYYY-MM-DD` parsing, UTC display, HTTP dates. The calendar
//! is jiff's; Unix seconds are what we store (Coze sends `expires_in` as an absolute Unix time).

use jiff::Timestamp;
use jiff::civil::Date;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    Timestamp::now().as_second()
}

/// Parses `YYYY-MM-DD` as the end of that day in UTC (a PAT "valid until" date).
///
/// Returns `None` for anything else, including impossible dates such as 2026-02-30.
pub fn parse_date_end_of_day(s: &str) -> Option<i64> {
    let s = s.trim();
    // Exactly `YYYY-MM-DD`: jiff also reads other shapes.
    let shape = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    let date: Date = s.parse().ok().filter(|_| shape)?;
    if date.year() < 1970 {
        return None;
    }
    let end = jiff::tz::Offset::UTC
        .to_timestamp(date.at(23, 59, 59, 0))
        .ok()?;
    Some(end.as_second())
}

/// `YYYY-MM-DD HH:MM` in UTC; `None` outside jiff's range.
pub fn format_minutes(ts: i64) -> Option<String> {
    let t = Timestamp::from_second(ts).ok()?;
    Some(t.strftime("%Y-%m-%d %H:%M").to_string())
}

/// `2026-11-20 23:45 UTC`.
pub fn format_utc(ts: i64) -> String {
    match format_minutes(ts) {
        Some(text) => format!("{text} UTC"),
        None => format!("{ts} (Unix time)"),
    }
}

/// An HTTP `Date` header (`Tue, 01 Dec 2026 15:10:30 GMT`) as Unix seconds.
pub fn parse_http_date(value: &str) -> Option<i64> {
    jiff::fmt::rfc2822::parse(value.trim())
        .ok()
        .map(|z| z.timestamp().as_second())
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
    fn formats_and_parses_http_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            format_minutes(951_782_400).as_deref(),
            Some("2000-02-29 00:00")
        );
        assert_eq!(
            parse_http_date("Tue, 01 Dec 2026 15:10:30 GMT"),
            Some(1_796_137_830)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(format_utc(i64::MAX), format!("{} (Unix time)", i64::MAX));
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
