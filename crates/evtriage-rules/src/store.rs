//! The engine's kept events, stored compactly.
//!
//! The engine keeps every event some rule's anchor or record check can use
//! (a *candidate*) until [`crate::Engine::finish`]. Kept whole, each cost
//! about 1.4 KB (provider, computer, channel, every data name and value as
//! strings), and a log made of candidates (say, a Netlogon 7036 every few
//! minutes for a year) grew without bound: 80 MB for 50 000 of them.
//!
//! But candidates repeat: "the Netlogon service entered the running state"
//! from one computer differs from the next such event only in its time,
//! record id, place in the file and thread. So the store splits each kept
//! event in two:
//!
//! - its **body**: the event with those per-record fields cleared, kept once
//!   per distinct content (found again by a hash of the content, then
//!   compared whole, so two bodies are shared only when equal);
//! - a fixed-size [`Slot`] per event: the per-record fields and the number
//!   of its body.
//!
//! A body and a slot give back the exact event (the tests rebuild every
//! one), so the rules see the same events as before and findings are
//! byte-identical. What rules read from an event's content (matchers,
//! service identity, message text, data fields) does not depend on the
//! per-record fields (`tests/candidate_store.rs` checks this over the
//! fixtures and the corpus), so it is read from the body, and time and
//! place from the slot: no event is rebuilt, not even for an anchor or the
//! evidence a finding shows.
//!
//! The store also de-duplicates by [`Identity`] (the same log given twice)
//! through a table of slot numbers, not of identities: an identity is
//! rebuilt from the slot and its body when compared.
//!
//! Memory is then a few dozen bytes per kept event (see
//! [`crate::engine::Retained`]), plus one body per distinct content: a log
//! of unique candidates no longer grows by the size of its strings. It still
//! grows with the number of candidates (a slot each): which candidate is
//! nearest to an anchor is known only once every anchor has been read, and
//! the reader gives no second pass.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use evtriage_core::{Event, Locator};
use hashbrown::HashTable;

use crate::identity::{Identity, IdentityKey};

/// Bytes per block of encoded slots: blocks are allocated whole and never
/// moved, so growing the store neither copies slots nor holds twice their
/// memory. A slot never straddles two blocks.
const BLOCK_BITS: u32 = 16;
const BLOCK_BYTES: usize = 1 << BLOCK_BITS;
/// The most bytes one encoded slot takes (seven varints of at most 10 bytes).
const MAX_SLOT_BYTES: usize = 70;
/// Slot positions per block of [`Slots::starts`].
const STARTS_PER_BLOCK: usize = 1 << 14;

/// Flag bits of an encoded slot.
const HAS_TIME: u64 = 1;
const HAS_RECORD_ID: u64 = 1 << 1;
const HAS_THREAD_ID: u64 = 1 << 2;
const HAS_PROCESS_ID: u64 = 1 << 3;
const BOOT: u64 = 1 << 4;
/// The locator's second value is the record id (an evtx record's place).
const LOCATOR_IS_RECORD: u64 = 1 << 5;
/// The time is kept aside (a leap second: seconds and nanoseconds would not give it back).
const ODD_TIME: u64 = 1 << 6;
/// The locator's variant, in the bits from here up (0, an evtx record, keeps
/// the flags to one byte).
const LOCATOR_SHIFT: u32 = 7;

/// What tells a kept event apart from another of the same body: time, record
/// id, thread and process id, place in its source, and whether it is a boot
/// marker. Stored as a handful of variable-length integers (about 20 bytes
/// for an evtx record), decoded when read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Slot {
    time: Option<DateTime<Utc>>,
    record_id: Option<u64>,
    locator: Locator,
    thread_id: Option<u32>,
    process_id: Option<u32>,
    body: u32,
    boot: bool,
}

/// A locator as a variant number and two values.
fn encode_locator(l: Locator) -> (u64, u64, u64) {
    match l {
        Locator::Evtx { chunk, record_id } => (0, chunk, record_id),
        Locator::EvtxOffset { chunk, offset } => (1, chunk, offset),
        Locator::Line { line } => (2, line, 0),
        Locator::Offset { offset } => (3, offset, 0),
        Locator::EtlBuffer { buffer, offset } => (4, buffer, u64::from(offset)),
        Locator::File => (5, 0, 0),
    }
}

fn decode_locator(kind: u64, a: u64, b: u64) -> Option<Locator> {
    Some(match kind {
        0 => Locator::Evtx { chunk: a, record_id: b },
        1 => Locator::EvtxOffset { chunk: a, offset: b },
        2 => Locator::Line { line: a },
        3 => Locator::Offset { offset: a },
        4 => Locator::EtlBuffer { buffer: a, offset: u32::try_from(b).ok()? },
        5 => Locator::File,
        _ => return None,
    })
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `*at`, moving past it.
#[inline]
fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let first = *bytes.get(*at)?;
    *at += 1;
    if first < 0x80 {
        return Some(u64::from(first));
    }
    let mut v = u64::from(first & 0x7f);
    let mut shift = 7;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift >= 64 {
            return None;
        }
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl Slot {
    /// Takes the per-record fields out of `e` (leaving its body) into a slot.
    fn take(e: &mut Event, boot: bool) -> Slot {
        Slot {
            time: e.time.take(),
            record_id: e.record_id.take(),
            locator: std::mem::replace(&mut e.origin.locator, Locator::File),
            thread_id: e.thread_id.take(),
            process_id: e.process_id.take(),
            body: 0,
            boot,
        }
    }

    pub(crate) fn time(&self) -> Option<DateTime<Utc>> {
        self.time
    }

    pub(crate) fn record_id(&self) -> Option<u64> {
        self.record_id
    }

    pub(crate) fn locator(&self) -> Locator {
        self.locator
    }

    #[cfg(test)]
    pub(crate) fn is_boot(&self) -> bool {
        self.boot
    }

    /// Puts the per-record fields back into a copy of the body.
    #[cfg(test)]
    fn restore(&self, e: &mut Event) {
        e.time = self.time;
        e.record_id = self.record_id;
        e.thread_id = self.thread_id;
        e.process_id = self.process_id;
        e.origin.locator = self.locator;
    }

    /// Appends the slot to `out`; returns whether its time must be kept
    /// aside (a leap second, which seconds and nanoseconds would not give
    /// back as such).
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        let (kind, a, b) = encode_locator(self.locator);
        let time = self.time.map(|t| (t, t.timestamp(), t.timestamp_subsec_nanos()));
        // Seconds and nanoseconds below one second give any time back (the
        // unit test checks); a leap second's nanoseconds go past one second.
        let odd = time.is_some_and(|(_, _, nanos)| nanos >= 1_000_000_000);
        let b_is_record = matches!(self.locator, Locator::Evtx { .. }) && self.record_id == Some(b);
        let mut flags = kind << LOCATOR_SHIFT;
        for (on, bit) in [
            (time.is_some() && !odd, HAS_TIME),
            (self.record_id.is_some(), HAS_RECORD_ID),
            (self.thread_id.is_some(), HAS_THREAD_ID),
            (self.process_id.is_some(), HAS_PROCESS_ID),
            (self.boot, BOOT),
            (b_is_record, LOCATOR_IS_RECORD),
            (odd, ODD_TIME),
        ] {
            if on {
                flags |= bit;
            }
        }
        put_varint(out, flags);
        put_varint(out, u64::from(self.body));
        if let Some((_, secs, nanos)) = time.filter(|_| !odd) {
            put_varint(out, zigzag(secs));
            // Most times are whole multiples of 100 ns (evtx, ETW): a bit tells.
            let n = if nanos % 100 == 0 { u64::from(nanos / 100) << 1 } else { (u64::from(nanos) << 1) | 1 };
            put_varint(out, n);
        }
        for v in [self.record_id, self.thread_id.map(u64::from), self.process_id.map(u64::from)].into_iter().flatten() {
            put_varint(out, v);
        }
        if kind != 5 {
            put_varint(out, a);
        }
        if matches!(kind, 0 | 1 | 4) && !b_is_record {
            put_varint(out, b);
        }
        odd
    }

    /// The flags and body number of the slot encoded at `at`: what most
    /// look-ups need, without working out the time's calendar date.
    fn decode_head(bytes: &[u8], mut at: usize) -> Option<(u64, u32)> {
        let flags = get_varint(bytes, &mut at)?;
        let body = u32::try_from(get_varint(bytes, &mut at)?).ok()?;
        Some((flags, body))
    }

    /// The slot encoded at `*at`; `odd_time` gives a time kept aside.
    fn decode(bytes: &[u8], mut at: usize, odd_time: impl FnOnce() -> Option<DateTime<Utc>>) -> Option<Slot> {
        let at = &mut at;
        let flags = get_varint(bytes, at)?;
        let has = |bit: u64| flags & bit != 0;
        let body = u32::try_from(get_varint(bytes, at)?).ok()?;
        let time = if has(HAS_TIME) {
            let secs = unzigzag(get_varint(bytes, at)?);
            let n = get_varint(bytes, at)?;
            let nanos = if n & 1 == 0 { (n >> 1) * 100 } else { n >> 1 };
            Some(DateTime::from_timestamp(secs, u32::try_from(nanos).ok()?)?)
        } else if has(ODD_TIME) {
            Some(odd_time()?)
        } else {
            None
        };
        let mut next = |bit: u64| if has(bit) { get_varint(bytes, at).map(Some) } else { Some(None) };
        let record_id = next(HAS_RECORD_ID)?;
        let thread_id = next(HAS_THREAD_ID)?.map(u32::try_from).transpose().ok()?;
        let process_id = next(HAS_PROCESS_ID)?.map(u32::try_from).transpose().ok()?;
        let kind = flags >> LOCATOR_SHIFT;
        let a = if kind != 5 { get_varint(bytes, at)? } else { 0 };
        let b = match kind {
            0 if has(LOCATOR_IS_RECORD) => record_id?,
            0 | 1 | 4 => get_varint(bytes, at)?,
            _ => 0,
        };
        let locator = decode_locator(kind, a, b)?;
        Some(Slot { time, record_id, locator, thread_id, process_id, body, boot: has(BOOT) })
    }
}

/// One distinct body, with what identities need from it.
#[derive(Debug)]
struct Body {
    event: Event,
    /// The shared part of its events' identities, worked out once per body.
    key: Arc<IdentityKey>,
    /// Its hash in [`EventStore::body_index`].
    hash: u64,
}

/// A kept event: its slot and its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredEvent<'a> {
    /// The per-record fields.
    pub slot: Slot,
    /// Everything else: the event without time, record id, thread and
    /// process id, and with [`Locator::File`] for its place. Read what does
    /// not depend on those fields from here.
    pub body: &'a Event,
}

impl StoredEvent<'_> {
    /// The whole event, as it was kept (the tests' proof that nothing is lost).
    #[cfg(test)]
    pub(crate) fn to_event(self) -> Event {
        let mut e = self.body.clone();
        self.slot.restore(&mut e);
        e
    }

    /// Where the event came from.
    pub(crate) fn origin(&self) -> evtriage_core::Origin {
        evtriage_core::Origin::new(self.body.origin.source.clone(), self.slot.locator())
    }

    /// Whether this is the event at `locator` in `source`.
    pub(crate) fn is_at(&self, source: &str, locator: Locator) -> bool {
        // The locator first: the paths are usually equal.
        self.slot.locator() == locator && *self.body.origin.source == *source
    }
}

/// A kept event's body and what its slot says without being decoded whole.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventHead<'a> {
    /// The event without its per-record fields (see [`StoredEvent::body`]).
    pub body: &'a Event,
    /// The body's number (below [`EventStore::bodies`]).
    pub body_number: u32,
    /// Whether it is a boot marker.
    pub boot: bool,
    /// Whether it has a time.
    pub timed: bool,
}

/// A kept event's number with its body's and whether it has a time: what
/// [`EventStore::head`] says, in 8 bytes, for lists of many events.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRef {
    /// The kept event's number.
    pub number: u32,
    /// The body's number, and [`TIMED`] when the event has a time.
    body: u32,
}

impl EventRef {
    /// The reference to stored event `number`, whose head is `head`.
    pub(crate) fn of(number: u32, head: &EventHead<'_>) -> EventRef {
        EventRef { number, body: head.body_number | if head.timed { TIMED } else { 0 } }
    }
}

/// Bit of [`EventRef::body`]: the event has a time (body numbers stay below it).
const TIMED: u32 = 1 << 31;

/// The encoded slots: where each starts, and the bytes.
#[derive(Debug, Default)]
struct Slots {
    /// Encoded slots, [`BLOCK_BYTES`] to a block.
    bytes: Vec<Vec<u8>>,
    /// Where slot `i` starts (block number × [`BLOCK_BYTES`] + offset),
    /// [`STARTS_PER_BLOCK`] to a block.
    starts: Vec<Vec<u32>>,
    len: usize,
    /// Times that seconds and nanoseconds would not give back, by slot.
    odd_times: std::collections::HashMap<u32, DateTime<Utc>>,
}

impl Slots {
    /// Appends `slot` as number `number` (`self.len`).
    fn push(&mut self, slot: &Slot, number: u32) -> Option<()> {
        if self.bytes.last().is_none_or(|b| b.len() + MAX_SLOT_BYTES > BLOCK_BYTES) {
            self.bytes.push(Vec::with_capacity(BLOCK_BYTES));
        }
        let block = self.bytes.len() - 1;
        let bytes = self.bytes.last_mut()?;
        let start = u32::try_from(block * BLOCK_BYTES + bytes.len()).ok()?;
        let before = bytes.len();
        if slot.encode(bytes) {
            if let Some(t) = slot.time {
                self.odd_times.insert(number, t);
            }
        }
        // Blocks hold whole slots: a longer one than allowed for is a bug
        // to see in tests, not a reason to lose the event.
        debug_assert!(bytes.len() - before <= MAX_SLOT_BYTES);
        if self.starts.last().is_none_or(|s| s.len() >= STARTS_PER_BLOCK) {
            self.starts.push(Vec::with_capacity(STARTS_PER_BLOCK));
        }
        self.starts.last_mut()?.push(start);
        self.len += 1;
        Some(())
    }

    /// The block and offset slot `i` starts at.
    fn place(&self, i: u32) -> Option<(&[u8], usize)> {
        let n = i as usize;
        let start = *self.starts.get(n / STARTS_PER_BLOCK)?.get(n % STARTS_PER_BLOCK)? as usize;
        Some((self.bytes.get(start >> BLOCK_BITS)?, start & (BLOCK_BYTES - 1)))
    }

    fn get(&self, i: u32) -> Option<Slot> {
        let (bytes, at) = self.place(i)?;
        Slot::decode(bytes, at, || self.odd_times.get(&i).copied())
    }

    fn head(&self, i: u32) -> Option<(u64, u32)> {
        let (bytes, at) = self.place(i)?;
        Slot::decode_head(bytes, at)
    }

    /// Bytes the slots take: encoded, and where each starts (blocks not yet
    /// filled not counted: at most one of each).
    fn used(&self) -> usize {
        self.bytes.iter().map(Vec::len).sum::<usize>() + self.len * std::mem::size_of::<u32>()
    }
}

/// The engine's kept events; see the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct EventStore {
    bodies: Vec<Body>,
    /// Body numbers by the hash of their content.
    body_index: HashTable<u32>,
    /// The slots, in the order kept.
    slots: Slots,
    /// Slot numbers by the hash of their event's identity.
    identities: HashTable<u32>,
    hasher: ahash::RandomState,
}

/// Sizes of the store, for [`crate::engine::Retained`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub events: usize,
    pub bodies: usize,
    pub slot_bytes: usize,
    pub index_bytes: usize,
}

impl EventStore {
    /// Keeps `e` (a boot marker when `boot`) unless an event of its identity
    /// was kept before; returns whether it was kept.
    pub(crate) fn push(&mut self, mut e: Event, boot: bool) -> bool {
        let Ok(number) = u32::try_from(self.slots.len) else {
            // Four billion kept events do not fit in memory anyway.
            return false;
        };
        let identity = Identity::of(&e);
        let id_hash = identity.as_ref().map(|id| id.quick_hash(&self.hasher));
        if let (Some(id), Some(h)) = (&identity, id_hash) {
            let (slots, bodies) = (&self.slots, &self.bodies);
            let same = |&i: &u32| {
                slots.get(i).is_some_and(|s| {
                    bodies.get(s.body as usize).is_some_and(|b| identity_of(&s, b).as_ref() == Some(id))
                })
            };
            if self.identities.find(h, same).is_some() {
                return false;
            }
        }
        let mut slot = Slot::take(&mut e, boot);
        let Some(body) = self.intern(e) else { return false };
        slot.body = body;
        if self.slots.push(&slot, number).is_none() {
            return false;
        }
        if let Some(h) = id_hash {
            let (slots, bodies, hasher) = (&self.slots, &self.bodies, &self.hasher);
            let rehash = |&i: &u32| {
                slots
                    .get(i)
                    .and_then(|s| bodies.get(s.body as usize).and_then(|b| identity_of(&s, b)))
                    .map_or(0, |id| id.quick_hash(hasher))
            };
            self.identities.insert_unique(h, number, rehash);
        }
        true
    }

    /// The number of `body` (an event with its per-record fields taken out),
    /// adding it when no equal body is kept.
    fn intern(&mut self, body: Event) -> Option<u32> {
        let h = body_hash(&self.hasher, &body);
        let bodies = &self.bodies;
        if let Some(&n) = self.body_index.find(h, |&n| bodies.get(n as usize).is_some_and(|b| b.event == body)) {
            return Some(n);
        }
        let n = u32::try_from(self.bodies.len()).ok().filter(|n| n & TIMED == 0)?;
        let key = Identity::key_of(&body);
        self.bodies.push(Body { event: body, key, hash: h });
        let bodies = &self.bodies;
        self.body_index.insert_unique(h, n, |&n| bodies.get(n as usize).map_or(0, |b| b.hash));
        Some(n)
    }

    /// How many distinct bodies are kept.
    pub(crate) fn bodies(&self) -> usize {
        self.bodies.len()
    }

    /// How many events are kept.
    pub(crate) fn len(&self) -> usize {
        self.slots.len
    }

    /// The kept event number `i`.
    pub(crate) fn get(&self, i: u32) -> Option<StoredEvent<'_>> {
        let slot = self.slots.get(i)?;
        let body = &self.bodies.get(slot.body as usize)?.event;
        Some(StoredEvent { slot, body })
    }

    /// The body of kept event number `i` and what its slot says without
    /// being decoded whole (a time's calendar date costs more than the rest).
    pub(crate) fn head(&self, i: u32) -> Option<EventHead<'_>> {
        let (flags, body_number) = self.slots.head(i)?;
        let body = &self.bodies.get(body_number as usize)?.event;
        Some(EventHead { body, body_number, boot: flags & BOOT != 0, timed: flags & (HAS_TIME | ODD_TIME) != 0 })
    }

    /// [`EventStore::head`] from a reference, without decoding anything (never a
    /// boot marker: references are made for candidates).
    pub(crate) fn head_of(&self, h: EventRef) -> Option<EventHead<'_>> {
        let body_number = h.body & !TIMED;
        let body = &self.bodies.get(body_number as usize)?.event;
        Some(EventHead { body, body_number, boot: false, timed: h.body & TIMED != 0 })
    }

    /// [`EventStore::head`] at every kept event with its number, in the order kept.
    pub(crate) fn heads(&self) -> impl Iterator<Item = (u32, EventHead<'_>)> + '_ {
        (0..u32::try_from(self.len()).unwrap_or(u32::MAX)).filter_map(|i| Some((i, self.head(i)?)))
    }

    /// Every kept event with its number, in the order kept.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, StoredEvent<'_>)> + '_ {
        (0..u32::try_from(self.len()).unwrap_or(u32::MAX)).filter_map(|i| Some((i, self.get(i)?)))
    }

    /// What the store holds and about how many bytes it uses for it (bodies,
    /// and the unused part of the last blocks, not counted).
    pub(crate) fn sizes(&self) -> Sizes {
        Sizes {
            events: self.len(),
            bodies: self.bodies.len(),
            slot_bytes: self.slots.used(),
            // A `u32` and a control byte per bucket.
            index_bytes: (self.identities.capacity() + self.body_index.capacity()) * (std::mem::size_of::<u32>() + 1),
        }
    }
}

/// The identity of the event made of `slot` and `body`.
fn identity_of(slot: &Slot, body: &Body) -> Option<Identity> {
    Some(Identity::new(body.key.clone(), slot.record_id()?, slot.time?))
}

/// A hash of everything a body's equality compares that is quick to hash
/// (equal bodies hash equal; the rest is compared on a hit).
fn body_hash(state: &ahash::RandomState, e: &Event) -> u64 {
    let mut h = state.build_hasher();
    e.provider.name.hash(&mut h);
    e.provider.guid.hash(&mut h);
    e.provider.event_source_name.hash(&mut h);
    e.event_id.hash(&mut h);
    e.qualifiers.hash(&mut h);
    e.version.hash(&mut h);
    e.level.hash(&mut h);
    e.task.hash(&mut h);
    e.opcode.hash(&mut h);
    e.keywords.hash(&mut h);
    e.activity_id.hash(&mut h);
    e.related_activity_id.hash(&mut h);
    e.channel.hash(&mut h);
    e.computer.hash(&mut h);
    e.user_sid.hash(&mut h);
    e.data.len().hash(&mut h);
    for d in &e.data {
        d.name.hash(&mut h);
        d.value.hash(&mut h);
    }
    e.binary.hash(&mut h);
    e.message.hash(&mut h);
    e.origin.source.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use evtriage_core::{DataItem, Origin};

    fn event(n: u64, locator: Locator) -> Event {
        let mut e =
            Event::new(Some("Service Control Manager".into()), 7036, Origin::new("System.evtx".into(), locator));
        e.computer = Some("DC1.contoso.com".into());
        e.data = vec![DataItem::named("param1", "Netlogon"), DataItem::named("param2", "running")];
        e.time = Utc.timestamp_opt(1_600_000_000 + n as i64 * 7, 123_456_700).single();
        e.record_id = Some(n);
        e.thread_id = Some(400 + n as u32);
        e.process_id = Some(612);
        e
    }

    #[test]
    fn slots_give_back_the_exact_event() {
        let locators = [
            Locator::Evtx { chunk: 3, record_id: u64::MAX },
            Locator::EvtxOffset { chunk: u64::MAX, offset: 0x1234_5678_9abc },
            Locator::Line { line: 17 },
            Locator::Offset { offset: 1 << 40 },
            Locator::EtlBuffer { buffer: 9, offset: u32::MAX },
            Locator::File,
        ];
        let mut kept = EventStore::default();
        let mut originals = Vec::new();
        for (n, l) in locators.iter().enumerate() {
            let mut e = event(n as u64 + 1, *l);
            if n == 2 {
                // Fields may be missing.
                e.record_id = None;
                e.thread_id = None;
                e.time = None;
            }
            assert!(kept.push(e.clone(), n == 4));
            originals.push(e);
        }
        assert_eq!(kept.len(), 6);
        assert_eq!(kept.sizes().bodies, 1);
        for ((i, v), original) in kept.iter().zip(&originals) {
            assert_eq!(v.to_event(), *original, "event {i}");
            assert_eq!(v.slot.is_boot(), i == 4);
        }
        // An evtx record's slot: flags, body, time (seconds, 100 ns), record
        // id, thread, process, chunk; the record id in the locator not again.
        let mut bytes = Vec::new();
        let mut e = event(1000, Locator::Evtx { chunk: 3, record_id: 1000 });
        Slot::take(&mut e, false).encode(&mut bytes);
        assert_eq!(bytes.len(), 1 + 1 + 5 + 4 + 2 + 2 + 2 + 1);
        // Odd values survive too: times before 1970, nanoseconds not a multiple of 100.
        for t in [
            Utc.timestamp_opt(-11_644_473_600, 1).single(),
            Utc.timestamp_opt(0, 999_999_999).single(),
            Utc.timestamp_opt(i64::from(i32::MAX) * 1000, 0).single(),
            // A leap second: kept aside.
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
                .map(|n| n.and_utc()),
        ] {
            let mut e = event(7, Locator::Evtx { chunk: 0, record_id: 7 });
            e.time = t;
            e.thread_id = Some(u32::MAX);
            assert!(t.is_some());
            let mut kept = EventStore::default();
            assert!(kept.push(e.clone(), false));
            assert_eq!(kept.get(0).map(|v| v.to_event()), Some(e));
        }
    }

    #[test]
    fn repeats_by_identity_are_dropped_and_bodies_shared_only_when_equal() {
        let mut kept = EventStore::default();
        assert!(kept.push(event(1, Locator::Evtx { chunk: 0, record_id: 1 }), false));
        // The same record from an XML export: another place, same identity.
        let mut again = event(1, Locator::Line { line: 40 });
        again.origin.source = "System.xml".into();
        again.computer = Some("dc1".into());
        assert!(!kept.push(again, false));
        assert!(kept.push(event(2, Locator::Evtx { chunk: 0, record_id: 2 }), false));
        let mut other = event(3, Locator::Evtx { chunk: 0, record_id: 3 });
        other.data[1].value = "stopped".into();
        assert!(kept.push(other, false));
        // No identity (no record id): never a repeat.
        let mut bare = event(4, Locator::Evtx { chunk: 0, record_id: 4 });
        bare.record_id = None;
        assert!(kept.push(bare.clone(), false));
        assert!(kept.push(bare, false));
        let sizes = kept.sizes();
        assert_eq!((sizes.events, sizes.bodies), (5, 2));
        let states: Vec<String> =
            kept.iter().map(|(_, v)| v.to_event().field("param2").unwrap_or("").to_string()).collect();
        assert_eq!(states, ["running", "running", "stopped", "running", "running"]);
    }

    /// What the engine reads from a kept event's body (matchers, including
    /// those that read the rendered message, and the message the evidence
    /// shows) must not depend on the fields a slot holds: checked on every
    /// event of the fixtures and, when configured, of the corpus.
    #[test]
    fn rules_read_nothing_a_slot_holds() {
        let mut paths = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")];
        paths.extend(evtriage_testutil::corpus_root());
        let rules = match crate::RuleSet::builtin() {
            Ok(r) => r,
            Err(e) => panic!("built-in rules do not load: {e}"),
        };
        let matchers: Vec<&crate::rule::Matcher> = rules.rules().iter().flat_map(|r| r.matchers()).collect();
        let mut events = 0usize;
        for path in paths {
            let mut collect = evtriage_core::Collect::default();
            let reader = evtriage_core::Reader::new(evtriage_core::ReadOptions::new().threads(2));
            reader.read_paths(&[&path], &mut collect);
            for e in collect.events() {
                events += 1;
                let mut body = e.clone();
                let slot = Slot::take(&mut body, false);
                assert!(slot.time == e.time && slot.locator == e.origin.locator);
                let at = || format!("{} {}", e.origin.source, e.origin.locator);
                assert_eq!(evtriage_core::message::render(&body), evtriage_core::message::render(e), "{}", at());
                for m in matchers.iter().filter(|m| m.event_ids.is_empty() || m.event_ids.contains(&e.event_id)) {
                    assert_eq!(m.matches_event_static(&body), m.matches_event_static(e), "{}", at());
                }
            }
        }
        assert!(events > 1000, "{events} events read");
    }
}
