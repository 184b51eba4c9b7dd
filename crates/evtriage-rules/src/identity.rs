//! What tells one event from another across inputs: the same log given
//! twice (`System.evtx` and its XML export) delivers each event twice, and
//! the engine keeps the first of each [`Identity`], as the rules' filter
//! passes over repeats by the same measure.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use evtriage_core::boot::computer_key;
use evtriage_core::Event;

/// What tells the same event in two exports apart from another: computer
/// (short name) and provider, ignoring case, event id, record id and time.
/// The engine keeps the first event of each identity; the rules' filter
/// passes over repeats by the same measure.
///
/// The filter holds one identity per event it delivered, so an identity is
/// small (24 bytes): the names and the event id are shared
/// ([`IdentityKey`]), not copied into every identity, and the time is a
/// count of nanoseconds.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    key: Arc<IdentityKey>,
    record_id: u64,
    /// Nanoseconds since 1970 when they give the time back exactly, else 0
    /// and the time is in [`IdentityKey::odd_time`].
    time: i64,
}

/// The part of an [`Identity`] that many events share: the computer's short
/// name and the provider label (both lowercase) and the event id. Compared
/// and hashed by content; shared between identities only to save memory.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct IdentityKey {
    computer: Box<str>,
    provider: Box<str>,
    event_id: u32,
    /// A time nanoseconds since 1970 do not give back (before 1677, after
    /// 2262, or a leap second): then this key is the event's own.
    odd_time: Option<DateTime<Utc>>,
}

/// How many raw (computer, provider, event id) triples each thread
/// remembers the [`IdentityKey`] of; a log's candidates name few of them.
const KEY_CACHE: usize = 256;

/// A raw computer name, provider name and GUID, with their key (for one event id).
type KeyEntry = (Option<String>, Option<String>, Option<evtriage_core::Guid>, Arc<IdentityKey>);

/// Per event id, the keys of the (computer, provider) pairs seen, and how many in all.
#[derive(Default)]
struct KeyCache {
    by_id: HashMap<u32, Vec<KeyEntry>, ahash::RandomState>,
    len: usize,
}

thread_local! {
    /// Per thread, the keys of the triples seen last, so that identities of
    /// one log share them (and no name is lowercased again for every event).
    static KEYS: std::cell::RefCell<Option<KeyCache>> = const { std::cell::RefCell::new(None) };
}

impl Identity {
    /// The identity of `e`; `None` when it has no record id or time (then it
    /// is never a repeat).
    pub(crate) fn of(e: &Event) -> Option<Identity> {
        let (record_id, time) = (e.record_id?, e.time?);
        Some(Identity::new(Identity::key_of(e), record_id, time))
    }

    /// The identity of an event with `key` (see [`Identity::key_of`]), `record_id` and `time`.
    pub(crate) fn new(key: Arc<IdentityKey>, record_id: u64, time: DateTime<Utc>) -> Identity {
        // Nanoseconds since 1970 tell times apart, but for a leap second
        // (its nanoseconds go past one second, into the next second's) and
        // outside the 584 years an `i64` of them covers.
        let exact = time.timestamp_subsec_nanos() < 1_000_000_000;
        match time.timestamp_nanos_opt().filter(|_| exact) {
            Some(nanos) => Identity { key, record_id, time: nanos },
            None => {
                let own = IdentityKey {
                    computer: key.computer.clone(),
                    provider: key.provider.clone(),
                    event_id: key.event_id,
                    odd_time: Some(time),
                };
                Identity { key: Arc::new(own), record_id, time: 0 }
            }
        }
    }

    /// A hash of the identity's event id, record id and time, not of its
    /// names: equal identities hash equal, and events that differ only in
    /// computer or provider are rare enough to be told apart by comparing.
    pub(crate) fn quick_hash(&self, state: &ahash::RandomState) -> u64 {
        state.hash_one((self.key.event_id, self.record_id, self.time, self.key.odd_time))
    }

    /// The shared part of `e`'s identity: the same for the last events of
    /// this thread that named the same computer, provider and event id.
    pub(crate) fn key_of(e: &Event) -> Arc<IdentityKey> {
        let provider_name = e.provider.name.as_deref();
        // The label is the GUID only when there is no name.
        let guid = if provider_name.is_some() { None } else { e.provider.guid };
        let same = |(c, p, g, _): &&KeyEntry| {
            c.as_deref() == e.computer.as_deref() && p.as_deref() == provider_name && *g == guid
        };
        let make = || {
            Arc::new(IdentityKey {
                computer: computer_key(e.computer.as_deref()).into(),
                provider: e.provider_label().to_lowercase().into(),
                event_id: e.event_id,
                odd_time: None,
            })
        };
        KEYS.with(|cache| {
            let Ok(mut cache) = cache.try_borrow_mut() else { return make() };
            let cache = cache.get_or_insert_with(KeyCache::default);
            if let Some((.., key)) = cache.by_id.get(&e.event_id).and_then(|list| list.iter().find(same)) {
                return key.clone();
            }
            if cache.len >= KEY_CACHE {
                cache.by_id.clear();
                cache.len = 0;
            }
            let key = make();
            cache.len += 1;
            let entry = (e.computer.clone(), provider_name.map(str::to_string), guid, key.clone());
            cache.by_id.entry(e.event_id).or_default().push(entry);
            key
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use evtriage_core::Origin;

    #[test]
    fn identities_are_small_and_exact() {
        use chrono::TimeZone;
        assert_eq!(std::mem::size_of::<Identity>(), 24);
        let event = |computer: &str, time: Option<DateTime<Utc>>| {
            let origin = Origin::new("System.evtx".into(), evtriage_core::Locator::File);
            let mut e = Event::new(Some("NETLOGON".into()), 5719, origin);
            e.computer = Some(computer.into());
            e.record_id = Some(5);
            e.time = time;
            e
        };
        let id = |computer: &str, time: Option<DateTime<Utc>>| Identity::of(&event(computer, time));
        let t = Utc.with_ymd_and_hms(2024, 3, 2, 6, 0, 0).single();
        assert!(id("DC1.contoso.com", t).is_some());
        assert_eq!(id("DC1.contoso.com", t), id("dc1", t));
        assert_ne!(id("DC1", t), id("DC2", t));
        assert_eq!(id("DC1", None), None);
        // Times nanoseconds since 1970 cannot hold, and a leap second (which
        // they would take for the next second), compare exactly all the same.
        let early = Utc.with_ymd_and_hms(1601, 1, 1, 0, 0, 0).single();
        let later = early.map(|e| e + Duration::nanoseconds(100));
        assert!(id("DC1", early).is_some());
        assert_eq!(id("DC1", early), id("DC1", early));
        assert_ne!(id("DC1", early), id("DC1", later));
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .map(|n| n.and_utc());
        let next = chrono::NaiveDate::from_ymd_opt(2017, 1, 1)
            .and_then(|d| d.and_hms_nano_opt(0, 0, 0, 500_000_000))
            .map(|n| n.and_utc());
        assert!(leap.is_some() && next.is_some());
        assert_ne!(id("DC1", leap), id("DC1", next));
        assert_eq!(id("DC1", leap), id("dc1.contoso.com", leap));
    }
}
