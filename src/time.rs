//! Reading times, zones and durations from the command line: the one parser
//! behind `--since`, `--until`, `--around`, `--window` (`timeline`) and
//! `--since`, `--until` (`dump`), and `--tz`.
//!
//! A TIME is RFC 3339 (`2024-03-05T14:02:00Z`, `2024-03-05T15:02:00+01:00`),
//! or a wall-clock `YYYY-MM-DD[ T]HH:MM[:SS[.f]]` or a date `YYYY-MM-DD`,
//! read in the display zone (`--tz`; UTC for `dump`, which has none) unless
//! it ends in `Z`. A date alone means the start of that day, or its end
//! where the option asks for it (`dump --until`). Showing times is
//! `evtriage_print::time`'s job.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use evtriage_print::Zone;

/// What a date without a time of day stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BareDate {
    /// Its first instant, 00:00.
    Start,
    /// Its last instant, 23:59:59.999999999.
    End,
}

/// Parses a zone: `UTC`, `Z`, `GMT`, `local`, or an offset `+HH:MM`,
/// `-HH:MM`, `+HHMM`, `+HH` (also after `UTC`: `UTC+1`).
pub fn parse_zone(text: &str) -> Option<Zone> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("gmt") {
        return Some(Zone::Utc);
    }
    if t.eq_ignore_ascii_case("local") {
        return Some(Zone::Local);
    }
    let t = t.strip_prefix("UTC").or_else(|| t.strip_prefix("utc")).unwrap_or(t);
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, t.get(1..)?),
        b'-' => (-1, t.get(1..)?),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits.get(..2)?.parse::<i32>().ok()?, digits.get(2..)?.parse::<i32>().ok()?),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed)
}

/// Parses a TIME (see the module doc): RFC 3339, or a wall-clock time or a
/// date in `zone` (in UTC when it ends in `Z`); a date alone stands for
/// `date`'s instant of the day.
pub fn parse_time(text: &str, zone: Zone, date: BareDate) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Some(stripped) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        return parse_naive(stripped, date).map(|n| n.and_utc());
    }
    zone.to_utc(parse_naive(t, date)?)
}

fn parse_naive(t: &str, date: BareDate) -> Option<NaiveDateTime> {
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(n);
        }
    }
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?;
    match date {
        BareDate::Start => d.and_hms_opt(0, 0, 0),
        BareDate::End => d.and_hms_nano_opt(23, 59, 59, 999_999_999),
    }
}

/// Parses a DURATION: a number with `s`, `m`, `h` or `d` (`30s`, `5m`,
/// `1.5h`, `1d`); at most about a century.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let unit = t.chars().last()?;
    let secs_per = match unit.to_ascii_lowercase() {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        'd' => 86400.0,
        _ => return None,
    };
    let n: f64 = t.get(..t.len() - 1)?.trim().parse().ok()?;
    if !n.is_finite() || n < 0.0 || n * secs_per > 3.2e9 {
        return None;
    }
    Duration::try_milliseconds((n * secs_per * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn zones_parse() {
        assert_eq!(parse_zone("utc"), Some(Zone::Utc));
        assert_eq!(parse_zone("local"), Some(Zone::Local));
        assert_eq!(parse_zone("+02:00"), FixedOffset::east_opt(7200).map(Zone::Fixed));
        assert_eq!(parse_zone("-0530"), FixedOffset::east_opt(-19800).map(Zone::Fixed));
        assert_eq!(parse_zone("+3"), FixedOffset::east_opt(10800).map(Zone::Fixed));
        assert_eq!(parse_zone("UTC+1"), FixedOffset::east_opt(3600).map(Zone::Fixed));
        assert_eq!(parse_zone("Europe/Paris"), None);
        assert_eq!(parse_zone("+25:00"), None);
        assert_eq!(parse_zone(""), None);
    }

    #[test]
    fn times_parse_in_a_zone() {
        let start = BareDate::Start;
        let z2 = parse_zone("+02:00").unwrap_or(Zone::Utc);
        let want = Utc.with_ymd_and_hms(2024, 3, 5, 12, 2, 0).single();
        assert_eq!(parse_time("2024-03-05T12:02:00Z", z2, start), want);
        assert_eq!(parse_time("2024-03-05T14:02:00+02:00", Zone::Utc, start), want);
        assert_eq!(parse_time("2024-03-05 14:02", z2, start), want);
        assert_eq!(parse_time("2024-03-05T14:02:00", z2, start), want);
        assert_eq!(parse_time("2024-03-05 12:02:00Z", z2, start), want);
        assert_eq!(parse_time("2024-03-05", Zone::Utc, start), Utc.with_ymd_and_hms(2024, 3, 5, 0, 0, 0).single());
        assert_eq!(parse_time("2024-03-05", z2, start), Utc.with_ymd_and_hms(2024, 3, 4, 22, 0, 0).single());
        assert_eq!(parse_time("yesterday", Zone::Utc, start), None);
        assert_eq!(parse_time("2024-02-30", Zone::Utc, start), None);
    }

    #[test]
    fn a_date_can_stand_for_its_end() {
        // What `dump --until` always did with a date: the day's last instant, UTC.
        let end = parse_time("2017-07-13", Zone::Utc, BareDate::End);
        let want =
            Utc.with_ymd_and_hms(2017, 7, 13, 23, 59, 59).single().map(|t| t + Duration::nanoseconds(999_999_999));
        assert_eq!(end, want);
        // A time of day is taken as it is.
        let t = parse_time("2017-07-13 10:00", Zone::Utc, BareDate::End);
        assert_eq!(t, Utc.with_ymd_and_hms(2017, 7, 13, 10, 0, 0).single());
        // RFC 3339 with a fraction, as `dump --since` took it.
        let t = parse_time("2017-07-12T17:16:28.5Z", Zone::Utc, BareDate::Start);
        assert_eq!(t, Utc.with_ymd_and_hms(2017, 7, 12, 17, 16, 28).single().map(|t| t + Duration::milliseconds(500)));
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("5m"), Some(Duration::minutes(5)));
        assert_eq!(parse_duration("90s"), Some(Duration::seconds(90)));
        assert_eq!(parse_duration("1.5h"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("2d"), Some(Duration::days(2)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("-5m"), None);
        assert_eq!(parse_duration("1e300h"), None);
    }
}
