//! Boot sessions: which events mark a boot, and how the markers of one
//! computer group into boots.
//!
//! - **A marker** is EventLog 6005 or 6009 (the event log service started;
//!   the system's version at start), by provider name, or
//!   Microsoft-Windows-Kernel-General 12 (the operating system started), by
//!   provider name or GUID ([`is_boot_marker`], and [`is_boot_marker_key`]
//!   before an event is decoded). Callers pass over stale records recovered
//!   from slack space themselves: their markers are of no boot of the log.
//! - **One boot** logs several markers within seconds: the markers of one
//!   computer that follow the first marker of a boot by at most
//!   [`CLUSTER_SECS`] belong to that boot; the next marker after that starts
//!   another ([`Boots`]).
//! - **One computer** is one short name: `DC1` and `dc1.contoso.com` are the
//!   same machine ([`computer_key`]). Markers or times without a computer
//!   name pair up with a named computer only when nothing else is possible
//!   (see [`Boots::of`]).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use evtriage_core::boot::Boots;
//!
//! let t = |s: i64| Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap();
//! // (computer, time, what to tell the marker by): here its place in the input.
//! let markers = [
//!     (Some("DC1.contoso.com"), t(0), 1),
//!     (Some("DC1"), t(40), 2),     // the same boot (within 300 s of its first marker)
//!     (Some("dc1"), t(3_600), 3),  // the next boot
//!     (Some("SRV2"), t(10), 4),
//! ];
//! let boots = Boots::from_markers(markers);
//! assert_eq!(boots.of(Some("DC1")).len(), 2);
//! // The boot session a time lies in: the last boot that started at or before it.
//! let boot = boots.at(Some("dc1.contoso.com"), t(1_000)).unwrap();
//! assert_eq!((boot.start, boot.marker), (t(0), 1));
//! assert!(boots.at(Some("SRV2"), t(5)).is_none());
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::{Event, EventKey, Guid};

/// The provider GUID of Microsoft-Windows-Kernel-General,
/// `{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}`.
pub const KERNEL_GENERAL_GUID: Guid =
    Guid([0xb7, 0xa8, 0x8c, 0xa6, 0x4f, 0x00, 0xb6, 0xd7, 0xa6, 0x98, 0x07, 0xe2, 0xde, 0x0f, 0x1f, 0x5d]);

/// A provider's events that mark a boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// The provider's name (compared ignoring ASCII case).
    pub provider: &'static str,
    /// The provider's GUID, when an event that names only its GUID counts too.
    pub guid: Option<Guid>,
    /// The event ids that mark a boot.
    pub event_ids: &'static [u32],
}

impl Marker {
    /// Whether an event of this provider name or GUID and id is one of this marker's.
    fn matches(&self, provider: Option<&str>, guid: Option<&Guid>, event_id: u32) -> bool {
        self.event_ids.contains(&event_id)
            && (provider.is_some_and(|p| p.eq_ignore_ascii_case(self.provider))
                || self.guid.as_ref().is_some_and(|g| guid == Some(g)))
    }
}

/// Every kind of boot marker: EventLog 6005/6009 (by name), Kernel-General
/// 12 (by name or GUID).
pub const MARKERS: &[Marker] = &[
    Marker { provider: "EventLog", guid: None, event_ids: &[6005, 6009] },
    Marker { provider: "Microsoft-Windows-Kernel-General", guid: Some(KERNEL_GENERAL_GUID), event_ids: &[12] },
];

/// Markers of one computer at most this many seconds after the first marker
/// of a boot belong to that boot.
pub const CLUSTER_SECS: i64 = 300;

/// A time may lie this many milliseconds before the marker of its boot and
/// still belong to that boot (clock granularity: a service logs its failure
/// in the same second as the boot's first marker, stamped a little earlier).
pub const SLACK_MS: i64 = 2000;

/// Whether `e` marks a boot (see the [module docs](self)).
pub fn is_boot_marker(e: &Event) -> bool {
    MARKERS.iter().any(|m| m.matches(e.provider.name.as_deref(), e.provider.guid.as_ref(), e.event_id))
}

/// [`is_boot_marker`] from an event's key, before it is decoded: the same
/// answer for the event the key is of.
pub fn is_boot_marker_key(key: &EventKey<'_>) -> bool {
    MARKERS.iter().any(|m| m.matches(key.provider, key.guid, key.event_id))
}

/// The key boots are kept under per computer: the first label of its name,
/// trimmed, lowercase (`DC1` and `dc1.contoso.com` are one machine); `""`
/// for no name.
pub fn computer_key(computer: Option<&str>) -> String {
    let c = computer.unwrap_or("").trim();
    c.split('.').next().unwrap_or(c).to_lowercase()
}

/// One boot: when its first marker was logged, and that marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boot<M> {
    /// The time of the boot's first marker.
    pub start: DateTime<Utc>,
    /// What the caller gave with that marker (its place in the input, its row).
    pub marker: M,
}

/// The boots of each computer, from their markers (see the [module docs](self)).
///
/// `M` is what the caller tells a marker by (a row number, a place in the
/// input); markers of one computer logged at the same time are ordered by
/// it, so that which one starts the boot does not depend on the order they
/// were given in.
#[derive(Debug, Clone)]
pub struct Boots<M = ()> {
    /// Per [`computer_key`], the boots in time order.
    by_computer: BTreeMap<String, Vec<Boot<M>>>,
}

impl<M> Default for Boots<M> {
    fn default() -> Self {
        Boots { by_computer: BTreeMap::new() }
    }
}

impl<M: Ord> Boots<M> {
    /// The boots the markers (computer name, time, and what tells the marker
    /// apart) show, given in any order.
    pub fn from_markers<'c>(markers: impl IntoIterator<Item = (Option<&'c str>, DateTime<Utc>, M)>) -> Self {
        let mut raw: BTreeMap<String, Vec<(DateTime<Utc>, M)>> = BTreeMap::new();
        for (computer, time, marker) in markers {
            raw.entry(computer_key(computer)).or_default().push((time, marker));
        }
        let cluster = Duration::seconds(CLUSTER_SECS);
        let by_computer = raw
            .into_iter()
            .map(|(key, mut list)| {
                list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
                let mut boots: Vec<Boot<M>> = Vec::new();
                for (time, marker) in list {
                    match boots.last() {
                        Some(b) if time - b.start <= cluster => {}
                        _ => boots.push(Boot { start: time, marker }),
                    }
                }
                (key, boots)
            })
            .collect();
        Boots { by_computer }
    }
}

impl<M> Boots<M> {
    /// The boots of `computer`, in time order. When no marker names that
    /// computer, the boots of markers without a name stand for it if they
    /// are the only ones; for no name, the boots of the one computer there
    /// is. Otherwise none.
    pub fn of(&self, computer: Option<&str>) -> &[Boot<M>] {
        let key = computer_key(computer);
        let list = self.by_computer.get(&key).or_else(|| match (key.is_empty(), self.by_computer.len()) {
            (true, 1) => self.by_computer.values().next(),
            (false, 1) => self.by_computer.get(""),
            _ => None,
        });
        list.map_or(&[], Vec::as_slice)
    }

    /// The boot session of `computer` that `t` lies in: the last of its
    /// boots that started at or before `t` (or at most [`SLACK_MS`] after it).
    pub fn at(&self, computer: Option<&str>, t: DateTime<Utc>) -> Option<&Boot<M>> {
        let latest = t + Duration::milliseconds(SLACK_MS);
        self.of(computer).iter().rev().find(|b| b.start <= latest)
    }

    /// Every boot with its computer's key, by key, then in time order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Boot<M>)> {
        self.by_computer.iter().flat_map(|(key, boots)| boots.iter().map(move |b| (key.as_str(), b)))
    }

    /// Whether no marker was given.
    pub fn is_empty(&self) -> bool {
        self.by_computer.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Locator, Origin};
    use chrono::TimeZone;

    fn event(provider: Option<&str>, guid: Option<Guid>, id: u32) -> Event {
        let mut e = Event::new(provider.map(str::to_string), id, Origin::new("System.evtx".into(), Locator::File));
        e.provider.guid = guid;
        e
    }

    fn t(secs: i64, millis: i64) -> DateTime<Utc> {
        let t = Utc.timestamp_opt(1_700_000_000 + secs, 0).single();
        match t {
            Some(t) => t + Duration::milliseconds(millis),
            None => panic!("a valid time"),
        }
    }

    #[test]
    fn markers_are_eventlog_and_kernel_general_by_name_or_guid() {
        let guid = Guid::parse("{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}");
        assert_eq!(guid, Some(KERNEL_GENERAL_GUID));
        assert_eq!(KERNEL_GENERAL_GUID.to_string(), "{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}");
        let other = Guid::parse("{555908d1-a6d7-4695-8e1e-26931d2012f4}");
        let cases = [
            (Some("EventLog"), None, 6005, true),
            (Some("eventlog"), None, 6009, true),
            (Some("EventLog"), None, 6006, false),
            (Some("Microsoft-Windows-Kernel-General"), None, 12, true),
            (Some("MICROSOFT-WINDOWS-KERNEL-GENERAL"), None, 12, true),
            (Some("Microsoft-Windows-Kernel-General"), None, 13, false),
            (None, guid, 12, true),
            // A GUID counts whatever the name.
            (Some("Kernel-General"), guid, 12, true),
            (None, guid, 6005, false),
            (None, other, 12, false),
            (None, None, 12, false),
            (Some("Service Control Manager"), None, 6005, false),
        ];
        for (provider, guid, id, want) in cases {
            let e = event(provider, guid, id);
            assert_eq!(is_boot_marker(&e), want, "{provider:?} {guid:?} {id}");
            let key = EventKey { provider, guid: guid.as_ref(), event_id: id };
            assert_eq!(is_boot_marker_key(&key), want, "key {provider:?} {guid:?} {id}");
        }
        // Only the provider's own name counts, not an event source name.
        let mut e = event(Some("Something"), None, 6005);
        e.provider.event_source_name = Some("EventLog".into());
        assert!(!is_boot_marker(&e));
    }

    #[test]
    fn markers_within_300_s_of_a_boots_first_marker_are_that_boot() {
        // Given out of order; 299 s and 300 s after the first are the same
        // boot, 301 s is the next even though it follows a marker by 1 s.
        let boots = Boots::from_markers([
            (Some("DC1"), t(300, 0), 3),
            (Some("DC1"), t(0, 0), 1),
            (Some("DC1"), t(301, 0), 4),
            (Some("DC1"), t(299, 0), 2),
            (Some("DC1"), t(900, 0), 5),
        ]);
        let starts: Vec<(DateTime<Utc>, i32)> = boots.of(Some("DC1")).iter().map(|b| (b.start, b.marker)).collect();
        assert_eq!(starts, [(t(0, 0), 1), (t(301, 0), 4), (t(900, 0), 5)]);
        // Markers of the same time: the least marker starts the boot.
        let boots = Boots::from_markers([(Some("DC1"), t(0, 0), 9), (Some("DC1"), t(0, 0), 7)]);
        assert_eq!(boots.of(Some("DC1")).iter().map(|b| b.marker).collect::<Vec<_>>(), [7]);
        assert!(Boots::<()>::from_markers([]).is_empty());
    }

    #[test]
    fn the_boot_at_a_time_allows_two_seconds_of_slack() {
        let boots = Boots::from_markers([(Some("DC1"), t(100, 0), ()), (Some("DC1"), t(1000, 0), ())]);
        let start = |s, ms| boots.at(Some("DC1"), t(s, ms)).map(|b| b.start);
        assert_eq!(start(50, 0), None);
        assert_eq!(start(98, 0), Some(t(100, 0)));
        assert_eq!(start(97, 999), None);
        assert_eq!(start(500, 0), Some(t(100, 0)));
        assert_eq!(start(999, 0), Some(t(1000, 0)));
        assert_eq!(start(5000, 0), Some(t(1000, 0)));
    }

    #[test]
    fn computers_match_by_short_name_and_unnamed_markers_only_alone() {
        assert_eq!(computer_key(Some(" DC1.contoso.com ")), "dc1");
        assert_eq!(computer_key(None), "");
        let named = Boots::from_markers([(Some("DC1.contoso.com"), t(0, 0), ()), (Some("dc1"), t(1000, 0), ())]);
        assert_eq!(named.of(Some("DC1")).len(), 2);
        assert_eq!(named.iter().map(|(c, _)| c).collect::<Vec<_>>(), ["dc1", "dc1"]);
        assert!(named.of(Some("DC2")).is_empty());
        // No name: the one computer there is.
        assert_eq!(named.of(None).len(), 2);
        let two = Boots::from_markers([(Some("DC1"), t(0, 0), ()), (Some("DC2"), t(0, 0), ())]);
        assert!(two.of(None).is_empty());
        // Unnamed markers stand for a named computer only when they are all there is.
        let unnamed = Boots::from_markers([(None, t(0, 0), ())]);
        assert_eq!(unnamed.of(Some("DC1")).len(), 1);
        let mixed = Boots::from_markers([(None, t(0, 0), ()), (Some("DC2"), t(0, 0), ())]);
        assert!(mixed.of(Some("DC1")).is_empty());
        assert_eq!(mixed.of(None).len(), 1);
    }
}
