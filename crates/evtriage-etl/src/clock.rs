//! Converting record timestamps to UTC.
//!
//! Every record carries a raw 64-bit timestamp in the unit of the session's
//! clock, named by `TRACE_LOGFILE_HEADER.ReservedFlags`:
//! - 1, QPC: `QueryPerformanceCounter` ticks at `PerfFreq` Hz;
//! - 2, system time: already a `FILETIME` (100 ns since 1601-01-01 UTC);
//! - 3, CPU cycles: ticks at `CpuSpeedInMHz` MHz.
//!
//! For QPC and CPU cycles the raw value is relative: the header record's own
//! timestamp is the clock reading at `StartTime`, so a record's UTC time is
//! `StartTime + (raw - header_raw) / frequency`.

use chrono::{DateTime, Utc};

use crate::header::LogfileHeader;

/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// The kind of clock a trace was recorded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockKind {
    /// `QueryPerformanceCounter` (clock type 1, the default).
    Qpc,
    /// System time, `FILETIME` units (clock type 2).
    SystemTime,
    /// CPU cycle counter (clock type 3).
    CpuCycle,
    /// A clock type this reader does not know; times are not converted.
    Unknown(u32),
}

/// Converts raw timestamps of one trace to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The clock kind.
    pub kind: ClockKind,
    /// Ticks per second (QPC and CPU cycles).
    pub frequency: u64,
    /// The raw reading at `start_filetime`.
    pub start_raw: i64,
    /// The trace start, `FILETIME`.
    pub start_filetime: i64,
}

impl Clock {
    /// The clock of a trace, from its logfile header.
    pub fn from_header(h: &LogfileHeader) -> Clock {
        let kind = match h.clock_type {
            // Clock type 0 is what older writers leave; they used QPC.
            0 | 1 => ClockKind::Qpc,
            2 => ClockKind::SystemTime,
            3 => ClockKind::CpuCycle,
            other => ClockKind::Unknown(other),
        };
        let frequency = match kind {
            ClockKind::Qpc => u64::try_from(h.perf_freq).unwrap_or(0),
            ClockKind::CpuCycle => u64::from(h.cpu_speed_mhz) * 1_000_000,
            ClockKind::SystemTime => 10_000_000,
            ClockKind::Unknown(_) => 0,
        };
        Clock { kind, frequency, start_raw: h.start_raw, start_filetime: h.start_time }
    }

    /// The `FILETIME` of a raw timestamp, or `None` when it cannot be converted.
    pub fn to_filetime(&self, raw: i64) -> Option<i64> {
        match self.kind {
            ClockKind::SystemTime => Some(raw),
            ClockKind::Qpc | ClockKind::CpuCycle => {
                if self.frequency == 0 {
                    return None;
                }
                let delta = i128::from(raw) - i128::from(self.start_raw);
                let ticks = delta * 10_000_000 / i128::from(self.frequency);
                i64::try_from(i128::from(self.start_filetime) + ticks).ok()
            }
            ClockKind::Unknown(_) => None,
        }
    }

    /// The UTC time of a raw timestamp.
    pub fn to_utc(&self, raw: i64) -> Option<DateTime<Utc>> {
        self.to_filetime(raw).and_then(filetime_to_utc)
    }
}

/// A `FILETIME` (100 ns since 1601-01-01 UTC) as a UTC time; `None` for 0,
/// negative or out-of-range values.
pub fn filetime_to_utc(ft: i64) -> Option<DateTime<Utc>> {
    if ft <= 0 {
        return None;
    }
    let since_unix = ft.checked_sub(FILETIME_UNIX_EPOCH)?;
    let secs = since_unix.div_euclid(10_000_000);
    let nanos = u32::try_from(since_unix.rem_euclid(10_000_000) * 100).ok()?;
    DateTime::from_timestamp(secs, nanos)
}

/// A UTC time as a `FILETIME`.
pub fn utc_to_filetime(t: DateTime<Utc>) -> i64 {
    t.timestamp() * 10_000_000 + i64::from(t.timestamp_subsec_nanos() / 100) + FILETIME_UNIX_EPOCH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_conversion_round_trips() {
        let t = filetime_to_utc(0x01d5e5908e630582).map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2020-02-17T12:48:30.420313800+00:00"));
        let back = filetime_to_utc(0x01d5e5908e630582).map(utc_to_filetime);
        assert_eq!(back, Some(0x01d5e5908e630582));
        assert_eq!(filetime_to_utc(0), None);
        assert_eq!(filetime_to_utc(-5), None);
        assert!(filetime_to_utc(i64::MAX).is_some_and(|t| t.timestamp() > 0));
    }

    #[test]
    fn qpc_and_cycles_scale_from_the_start() {
        let h = LogfileHeader {
            perf_freq: 3_000_000,
            cpu_speed_mhz: 2000,
            start_time: 1_000_000_000,
            start_raw: 5_000,
            clock_type: 1,
            ..LogfileHeader::default()
        };
        let c = Clock::from_header(&h);
        assert_eq!(c.to_filetime(5_000 + 3_000_000), Some(1_000_000_000 + 10_000_000));
        let c = Clock::from_header(&LogfileHeader { clock_type: 3, ..h.clone() });
        assert_eq!(c.to_filetime(5_000 + 2_000_000_000), Some(1_000_000_000 + 10_000_000));
        let c = Clock::from_header(&LogfileHeader { clock_type: 2, ..h.clone() });
        assert_eq!(c.to_filetime(77), Some(77));
        let c = Clock::from_header(&LogfileHeader { clock_type: 9, ..h });
        assert_eq!(c.to_filetime(77), None);
    }
}
