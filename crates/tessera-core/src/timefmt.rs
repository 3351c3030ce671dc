//! Dates as Better Auth writes them: `Date.prototype.toISOString()`, always UTC, always milliseconds.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// `2026-11-27T14:29:52.004Z`: what Better Auth puts in JSON and in SQLite text columns.
pub fn to_iso_ms(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Reads a date as any Better Auth adapter may have stored it: RFC 3339 / ISO text (with or without
/// fraction, `Z` or offset), SQLite's `YYYY-MM-DD HH:MM:SS[.fff]` (UTC), or integer epoch milliseconds.
pub fn parse_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.to_offset(UtcOffset::UTC));
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok().and_then(from_epoch_ms);
    }
    // SQLite CURRENT_TIMESTAMP style, and ISO without an offset: both mean UTC.
    let normalized = s.replacen(' ', "T", 1);
    let with_zone = if normalized.ends_with('Z') {
        normalized
    } else {
        format!("{normalized}Z")
    };
    OffsetDateTime::parse(&with_zone, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(UtcOffset::UTC))
}

pub fn from_epoch_ms(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

pub fn to_epoch_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Now, truncated to milliseconds, so that what we hold equals what we wrote and read back.
pub fn now_ms() -> OffsetDateTime {
    truncate_ms(OffsetDateTime::now_utc())
}

pub fn truncate_ms(t: OffsetDateTime) -> OffsetDateTime {
    from_epoch_ms(to_epoch_ms(t)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn writes_javascript_iso_strings() {
        assert_eq!(
            to_iso_ms(datetime!(2026-11-27 14:29:52.004 UTC)),
            "2026-11-27T14:29:52.004Z"
        );
        assert_eq!(
            to_iso_ms(datetime!(2026-01-02 03:04:05 +02:00)),
            "2026-01-02T01:04:05.000Z"
        );
    }

    #[test]
    fn reads_every_stored_form() {
        let expected = datetime!(2026-11-27 14:29:52.004 UTC);
        for stored in [
            "2026-11-27T14:29:52.004Z",
            "2026-11-27T16:29:52.004+02:00",
            "2026-11-27 14:29:52.004",
            "2026-11-27T14:29:52.004",
            "1795789792004",
        ] {
            assert_eq!(parse_date(stored), Some(expected), "{stored}");
        }
        assert_eq!(parse_date("yesterday"), None);
    }
}
