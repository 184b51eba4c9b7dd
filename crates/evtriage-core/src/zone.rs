//! The time zone of an export that does not say its own ([`SourceTz`]).
//!
//! Event Viewer's CSV and text exports, `wevtutil qe /f:text` and PowerShell's
//! `Get-WinEvent` output write each event's time in the exporting machine's
//! local time, without an offset. The user says which zone that was
//! (`--source-tz`, [`crate::ReadOptions::source_tz`]); without it the times
//! are taken as UTC, and each such input carries a note saying so.
//!
//! Zones are UTC, a fixed offset (`+02:00`, `-0530`) or an IANA name
//! (`Europe/Berlin`), whose daylight-saving rules come from the time zone
//! database compiled into the binary (the `jiff` crate's bundled copy), so
//! that a case reads the same on every machine, with or without
//! `/usr/share/zoneinfo`. A local time that occurs twice (clocks set back) or
//! never (clocks set forward) is taken as the earlier of its two possible
//! instants, and counted ([`Resolved`]).

use chrono::{DateTime, NaiveDateTime, Utc};

/// A time zone given for an export's local times.
#[derive(Clone, Debug)]
pub struct SourceTz {
    /// How the user wrote it (`UTC`, `+02:00`, `Europe/Berlin`).
    name: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// A fixed offset from UTC, in seconds (0 for UTC).
    Fixed(i32),
    /// An IANA zone with its rules.
    Zone(jiff::tz::TimeZone),
}

impl PartialEq for SourceTz {
    /// Zones are equal when written the same (offsets normalised).
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Default for SourceTz {
    fn default() -> Self {
        SourceTz::utc()
    }
}

/// How a local time became an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// The local time names exactly one instant.
    Exact,
    /// The local time occurs twice (clocks set back); the earlier instant was taken.
    Repeated,
    /// The local time never occurs (clocks set forward); the earlier of the
    /// two readings (with the offset after the change) was taken.
    Skipped,
}

impl SourceTz {
    /// UTC.
    pub fn utc() -> Self {
        SourceTz { name: "UTC".to_string(), kind: Kind::Fixed(0) }
    }

    /// Reads a zone: `UTC` (or `Z`), a fixed offset (`+02:00`, `-0530`,
    /// `+2`, `UTC+01:00`), or an IANA name (`Europe/Berlin`).
    ///
    /// ```
    /// use evtriage_core::SourceTz;
    /// assert_eq!(SourceTz::parse("-0530").map(|z| z.name().to_string()), Ok("-05:30".to_string()));
    /// assert!(SourceTz::parse("Europe/Berlin").is_ok());
    /// assert!(SourceTz::parse("Mars/Olympus").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<SourceTz, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("gmt") {
            return Ok(SourceTz::utc());
        }
        let offset_text = t
            .strip_prefix("UTC")
            .or_else(|| t.strip_prefix("utc"))
            .or_else(|| t.strip_prefix("GMT"))
            .filter(|r| r.starts_with(['+', '-']))
            .unwrap_or(t);
        if offset_text.starts_with(['+', '-']) {
            let secs = parse_offset(offset_text)
                .ok_or_else(|| format!("{text:?} is not an offset; write it as +02:00, -0530 or +2"))?;
            return Ok(SourceTz::fixed(secs));
        }
        match jiff::tz::db().get(t) {
            Ok(tz) => Ok(SourceTz { name: t.to_string(), kind: Kind::Zone(tz) }),
            Err(_) => Err(format!(
                "{text:?} is not a time zone; use UTC, an offset such as +02:00, or an IANA name such as Europe/Berlin"
            )),
        }
    }

    /// A fixed offset of `secs` seconds east of UTC.
    fn fixed(secs: i32) -> SourceTz {
        if secs == 0 {
            return SourceTz::utc();
        }
        let sign = if secs < 0 { '-' } else { '+' };
        let a = secs.unsigned_abs();
        SourceTz { name: format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60), kind: Kind::Fixed(secs) }
    }

    /// The zone as written (offsets normalised to `+HH:MM`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset in seconds east of UTC, when this is UTC or a fixed offset
    /// (not an IANA zone).
    pub(crate) fn fixed_offset(&self) -> Option<i32> {
        match self.kind {
            Kind::Fixed(secs) => Some(secs),
            Kind::Zone(_) => None,
        }
    }

    /// Whether this is UTC.
    pub fn is_utc(&self) -> bool {
        matches!(self.kind, Kind::Fixed(0))
    }

    /// The instant a local time of this zone names, and how it was found.
    /// `None` only for a time outside the range either library can represent.
    pub fn to_utc(&self, local: NaiveDateTime) -> Option<(DateTime<Utc>, Resolved)> {
        match &self.kind {
            Kind::Fixed(secs) => {
                let utc = local.checked_sub_signed(chrono::TimeDelta::seconds(i64::from(*secs)))?;
                Some((utc.and_utc(), Resolved::Exact))
            }
            Kind::Zone(tz) => {
                use chrono::{Datelike, Timelike};
                let civil = jiff::civil::DateTime::new(
                    i16::try_from(local.year()).ok()?,
                    i8::try_from(local.month()).ok()?,
                    i8::try_from(local.day()).ok()?,
                    i8::try_from(local.hour()).ok()?,
                    i8::try_from(local.minute()).ok()?,
                    i8::try_from(local.second()).ok()?,
                    0,
                )
                .ok()?;
                let at = |offset: jiff::tz::Offset| -> Option<DateTime<Utc>> {
                    let secs = i64::from(offset.seconds());
                    let utc = local.checked_sub_signed(chrono::TimeDelta::seconds(secs))?;
                    Some(utc.and_utc())
                };
                match tz.to_ambiguous_timestamp(civil).offset() {
                    jiff::tz::AmbiguousOffset::Unambiguous { offset } => Some((at(offset)?, Resolved::Exact)),
                    jiff::tz::AmbiguousOffset::Fold { before, after } => {
                        Some((at(before)?.min(at(after)?), Resolved::Repeated))
                    }
                    jiff::tz::AmbiguousOffset::Gap { before, after } => {
                        Some((at(before)?.min(at(after)?), Resolved::Skipped))
                    }
                }
            }
        }
    }
}

/// Zones tried first when several zones of the database fit equally (they
/// share their rules over the times seen): the usual names for them.
const USUAL_ZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Helsinki",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
];

/// The IANA zone of a Windows time zone as `systeminfo` and
/// `Get-ComputerInfo` print it (`(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
/// Stockholm, Vienna`, or Windows Server 2003's `(GMT+01:00) …`), from the
/// English display names Windows gives its zones and CLDR's table of their
/// IANA equivalents (the `windows-timezones` crate); `None` for a name it
/// does not know (a localized one, or a name Windows has since changed).
pub fn from_windows_display(display: &str) -> Option<SourceTz> {
    use strum::IntoEnumIterator;
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace("(gmt", "(utc");
    let want = norm(display);
    if want.is_empty() {
        return None;
    }
    let found = windows_timezones::WindowsTimezone::iter().find(|z| norm(z.description()) == want)?;
    SourceTz::parse(found.tzdb_id()).ok()
}

/// The time zone whose UTC offset, at each instant of `seen` (UTC seconds,
/// offset in seconds east of UTC), is the offset seen, for the most of them;
/// with how many fit. A usual name ([`USUAL_ZONES`]) is preferred among
/// zones that fit as many, then the first by name. `None` without any fit.
///
/// This is how an export's zone is found from its records' times lined up
/// with a binary log's (see `twins`): a log spanning a daylight-saving change
/// shows two offsets, which only a zone with rules explains.
pub(crate) fn fitting_zone(seen: &[(i64, i32)]) -> Option<(SourceTz, usize)> {
    let fits = |tz: &jiff::tz::TimeZone| {
        seen.iter()
            .filter(|(utc, offset)| {
                jiff::Timestamp::from_second(*utc).is_ok_and(|t| tz.to_offset(t).seconds() == *offset)
            })
            .count()
    };
    let mut best: Option<(String, jiff::tz::TimeZone, usize)> = None;
    let db = jiff::tz::db();
    let mut names: Vec<String> = USUAL_ZONES.iter().map(|s| s.to_string()).collect();
    let mut others: Vec<String> = db.available().map(|n| n.to_string()).collect();
    others.sort();
    names.extend(others);
    for name in names {
        let Ok(tz) = db.get(&name) else { continue };
        let n = fits(&tz);
        if n > best.as_ref().map_or(0, |b| b.2) {
            best = Some((name, tz, n));
        }
    }
    best.map(|(name, tz, n)| (SourceTz { name, kind: Kind::Zone(tz) }, n))
}

/// `+02:00`, `-0530`, `+2`, `+02` → seconds east of UTC (at most ±18 h).
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.split_at_checked(1)? {
        ("+", r) => (1, r),
        ("-", r) => (-1, r),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at_checked(2)?,
        None if rest.len() <= 2 => (rest, "0"),
        None => return None,
    };
    if h.is_empty() || !h.bytes().all(|b| b.is_ascii_digit()) || !m.bytes().all(|b| b.is_ascii_digit()) || m.len() > 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 18 || m > 59 || (h == 18 && m > 0) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_display_names_map_to_iana_zones() {
        let berlin = from_windows_display("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna");
        assert_eq!(berlin.map(|z| z.name().to_string()).as_deref(), Some("Europe/Berlin"));
        let eastern = from_windows_display("(UTC-05:00) Eastern Time (US & Canada)");
        assert_eq!(eastern.map(|z| z.name().to_string()).as_deref(), Some("America/New_York"));
        // Windows Server 2003 wrote GMT.
        let tokyo = from_windows_display("(GMT+09:00) Osaka, Sapporo, Tokyo");
        assert_eq!(tokyo.map(|z| z.name().to_string()).as_deref(), Some("Asia/Tokyo"));
        // Localized names are not guessed.
        assert!(from_windows_display("(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien").is_none());
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
    }

    #[test]
    fn offsets_and_names() {
        for (text, name) in [("+02:00", "+02:00"), ("-0530", "-05:30"), ("+2", "+02:00"), ("UTC+01:00", "+01:00")] {
            assert_eq!(SourceTz::parse(text).map(|z| z.name().to_string()), Ok(name.to_string()), "{text}");
        }
        assert!(SourceTz::parse("utc").is_ok_and(|z| z.is_utc()));
        assert!(SourceTz::parse("+00:00").is_ok_and(|z| z.is_utc()));
        for bad in ["+25:00", "+1:2:3", "+ab", "Nowhere/Else", ""] {
            assert!(SourceTz::parse(bad).is_err(), "{bad}");
        }
        let z = SourceTz::parse("-08:00").unwrap_or_default();
        let (t, r) = z.to_utc(local("2025-12-09 17:37:32")).unwrap_or_default_pair();
        assert_eq!((t.to_rfc3339().as_str(), r), ("2025-12-10T01:37:32+00:00", Resolved::Exact));
    }

    #[test]
    fn a_zone_is_found_from_offsets_seen() {
        // Pacific time: -07:00 in July, -08:00 in December.
        let july = 1_752_580_800; // 2025-07-15T12:00:00Z
        let december = 1_765_800_000; // 2025-12-15T12:00:00Z
        let seen = [(july, -7 * 3600), (december, -8 * 3600), (december + 60, -8 * 3600)];
        let (zone, fit) = fitting_zone(&seen).expect("a zone fits");
        assert_eq!((zone.name(), fit), ("America/Los_Angeles", 3));
        // Nothing fits an offset no zone has.
        assert!(fitting_zone(&[(july, 7 * 3600 + 1)]).is_none());
    }

    #[test]
    fn iana_zones_with_daylight_saving() {
        let berlin = SourceTz::parse("Europe/Berlin").unwrap_or_default();
        let at = |s| berlin.to_utc(local(s)).map(|(t, r)| (t.to_rfc3339(), r));
        assert_eq!(at("2025-01-15 12:00:00"), Some(("2025-01-15T11:00:00+00:00".into(), Resolved::Exact)));
        assert_eq!(at("2025-07-15 12:00:00"), Some(("2025-07-15T10:00:00+00:00".into(), Resolved::Exact)));
        // 2025-10-26 02:30 happens twice in Berlin (CEST, then CET): the first is 00:30 UTC.
        assert_eq!(at("2025-10-26 02:30:00"), Some(("2025-10-26T00:30:00+00:00".into(), Resolved::Repeated)));
        // 2025-03-30 02:30 never happens: read with CEST (+02) it is 00:30 UTC, the earlier reading.
        assert_eq!(at("2025-03-30 02:30:00"), Some(("2025-03-30T00:30:00+00:00".into(), Resolved::Skipped)));
    }

    trait PairDefault {
        fn unwrap_or_default_pair(self) -> (DateTime<Utc>, Resolved);
    }
    impl PairDefault for Option<(DateTime<Utc>, Resolved)> {
        fn unwrap_or_default_pair(self) -> (DateTime<Utc>, Resolved) {
            self.unwrap_or((DateTime::<Utc>::default(), Resolved::Exact))
        }
    }
}
