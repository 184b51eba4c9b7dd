//! How times are shown: the UTC time of reports ([`show_time`], [`rfc3339`])
//! and the display zone of timelines ([`Zone`], `timeline --tz`).
//!
//! Times stay UTC inside evtriage; a zone changes only how they are shown.
//! Reading a time or a zone from the command line is the front end's job.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Offset, TimeZone, Utc};

/// A UTC time as reports and tables show it: `2024-03-02 06:01:35.120Z`.
pub fn show_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string()
}

/// A UTC time as RFC 3339 with the source's full precision:
/// `2024-03-02T06:01:35.1204567Z`.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The zone times are shown in (`--tz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// UTC, shown with a `Z`.
    Utc,
    /// The machine's local zone.
    Local,
    /// A fixed offset.
    Fixed(FixedOffset),
}

impl Zone {
    /// The offset in effect at `t`.
    fn offset_at(&self, t: &DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Utc => Utc.fix(),
            Zone::Local => Local.offset_from_utc_datetime(&t.naive_utc()).fix(),
            Zone::Fixed(o) => *o,
        }
    }

    /// `t` as a table shows it: `2024-03-05 14:02:07.123Z` or `… 15:02:07.123+01:00`.
    pub fn table_time(&self, t: &DateTime<Utc>) -> String {
        match self {
            Zone::Utc => show_time(t),
            _ => t.with_timezone(&self.offset_at(t)).format("%Y-%m-%d %H:%M:%S%.3f%:z").to_string(),
        }
    }

    /// `t` as RFC 3339 with the source's full precision, in this zone.
    pub fn rfc3339(&self, t: &DateTime<Utc>) -> String {
        match self {
            Zone::Utc => rfc3339(t),
            _ => t.with_timezone(&self.offset_at(t)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        }
    }

    /// A wall-clock time in this zone, as UTC: for the local zone the
    /// earlier of two readings in the hour a clock goes back; `None` for a
    /// time that does not exist (skipped when a clock goes forward).
    pub fn to_utc(self, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Utc => Some(naive.and_utc()),
            Zone::Local => Local.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)),
            Zone::Fixed(o) => o.from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_times() {
        let t = Utc.with_ymd_and_hms(2024, 3, 5, 23, 30, 0).single().unwrap_or_default();
        assert_eq!(Zone::Utc.table_time(&t), "2024-03-05 23:30:00.000Z");
        let z = FixedOffset::east_opt(7200).map(Zone::Fixed).unwrap_or(Zone::Utc);
        assert_eq!(z.table_time(&t), "2024-03-06 01:30:00.000+02:00");
        assert_eq!(z.rfc3339(&t), "2024-03-06T01:30:00+02:00");
        assert_eq!(Zone::Utc.rfc3339(&t), "2024-03-05T23:30:00Z");
        assert_eq!(show_time(&t), "2024-03-05 23:30:00.000Z");
    }
}
