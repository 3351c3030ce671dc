//! Dates as Better Auth writes them: `Date.prototype.toISOString()`, always UTC, always milliseconds.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// `2026-11-27T14:29:52.004Z`: what Better Auth puts in JSON and in SQLite text columns.
pub fn to_iso_ms(t: OffsetDateTime) -> String {
    let mut buf = [0; ISO_MS_LEN];
    if let Some(text) = write_iso_ms(t, &mut buf) {
        return text.to_owned();
    }
    // A year outside 0..=9999, which no real account has: the same fields, the year as it is.
    formatted(t.to_offset(UtcOffset::UTC))
}

fn formatted(t: OffsetDateTime) -> String {
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

/// The length of [`to_iso_ms`]'s text for years 0 to 9999.
pub const ISO_MS_LEN: usize = 24;

/// [`to_iso_ms`] into a buffer, without the formatting machinery or an allocation: for writers that
/// bind millions of dates. `None` for a year outside 0..=9999, whose text is longer.
pub fn write_iso_ms(t: OffsetDateTime, buf: &mut [u8; ISO_MS_LEN]) -> Option<&str> {
    let t = t.to_offset(UtcOffset::UTC);
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let digit = |value: u32, place: u32| b'0' + ((value / place) % 10) as u8;
    let (month, day) = (u32::from(u8::from(t.month())), u32::from(t.day()));
    let (hour, minute, second) = (
        u32::from(t.hour()),
        u32::from(t.minute()),
        u32::from(t.second()),
    );
    let milli = u32::from(t.millisecond());
    *buf = [
        digit(year, 1000),
        digit(year, 100),
        digit(year, 10),
        digit(year, 1),
        b'-',
        digit(month, 10),
        digit(month, 1),
        b'-',
        digit(day, 10),
        digit(day, 1),
        b'T',
        digit(hour, 10),
        digit(hour, 1),
        b':',
        digit(minute, 10),
        digit(minute, 1),
        b':',
        digit(second, 10),
        digit(second, 1),
        b'.',
        digit(milli, 100),
        digit(milli, 10),
        digit(milli, 1),
        b'Z',
    ];
    std::str::from_utf8(buf).ok()
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
    fn the_buffered_writer_gives_the_same_text_as_the_formatter() {
        let mut buf = [0; ISO_MS_LEN];
        let mut t = datetime!(0000-01-01 00:00:00 UTC);
        // Steps of a prime number of milliseconds walk every field through its digits.
        while t.year() < 9999 {
            assert_eq!(write_iso_ms(t, &mut buf), Some(formatted(t).as_str()));
            t += time::Duration::milliseconds(7_919_993_171);
        }
        let offset = datetime!(2026-01-02 03:04:05.006 +02:00);
        assert_eq!(
            write_iso_ms(offset, &mut buf),
            Some("2026-01-02T01:04:05.006Z")
        );
        assert_eq!(
            write_iso_ms(datetime!(-0001-01-01 00:00 UTC), &mut buf),
            None
        );
    }

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
