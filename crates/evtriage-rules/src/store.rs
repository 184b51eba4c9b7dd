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
//! A body and a slot give back the exact event ([`View::to_event`]), so the
//! rules see the same events as before and findings are byte-identical.
//! What rules read from an event's content (matchers, service identity,
//! message text, data fields) does not depend on the per-record fields, so
//! it is read from the body without rebuilding the event; whole events are
//! rebuilt only for anchors and for the evidence a finding shows.
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

use crate::engine::{Identity, Names};

/// Slots per block: blocks are allocated whole and never moved, so growing
/// the store neither copies slots nor holds twice their memory.
const BLOCK_BITS: u32 = 13;
const BLOCK: usize = 1 << BLOCK_BITS;

/// Flag bits of [`Slot::flags`].
const HAS_RECORD_ID: u16 = 1;
const HAS_THREAD_ID: u16 = 1 << 1;
const HAS_PROCESS_ID: u16 = 1 << 2;
const BOOT: u16 = 1 << 3;
/// The locator's variant, in the bits from here up.
const LOCATOR_SHIFT: u16 = 8;

/// What tells a kept event apart from another of the same body: time, record
/// id, thread and process id, place in its source, and whether it is a boot
/// marker. 64-bit values are split into `u32` halves so that the slot is
/// aligned to 4 bytes (52 bytes, not 56 or 80).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    time: Option<DateTime<Utc>>,
    record_id: [u32; 2],
    locator: [u32; 4],
    thread_id: u32,
    process_id: u32,
    body: u32,
    flags: u16,
}

fn split(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

fn join(v: [u32; 2]) -> u64 {
    u64::from(v[0]) | (u64::from(v[1]) << 32)
}

/// A locator as a variant number and two values.
fn encode_locator(l: Locator) -> (u16, u64, u64) {
    match l {
        Locator::Evtx { chunk, record_id } => (0, chunk, record_id),
        Locator::EvtxOffset { chunk, offset } => (1, chunk, offset),
        Locator::Line { line } => (2, line, 0),
        Locator::Offset { offset } => (3, offset, 0),
        Locator::EtlBuffer { buffer, offset } => (4, buffer, u64::from(offset)),
        Locator::File => (5, 0, 0),
    }
}

fn decode_locator(kind: u16, a: u64, b: u64) -> Locator {
    match kind {
        0 => Locator::Evtx { chunk: a, record_id: b },
        1 => Locator::EvtxOffset { chunk: a, offset: b },
        2 => Locator::Line { line: a },
        3 => Locator::Offset { offset: a },
        // `b` was a `u32` when encoded.
        4 => Locator::EtlBuffer { buffer: a, offset: b as u32 },
        _ => Locator::File,
    }
}

impl Slot {
    /// Takes the per-record fields out of `e` (leaving its body) into a slot.
    fn take(e: &mut Event, body: u32, boot: bool) -> Slot {
        let (kind, a, b) = encode_locator(std::mem::replace(&mut e.origin.locator, Locator::File));
        let [a0, a1] = split(a);
        let [b0, b1] = split(b);
        let mut flags = kind << LOCATOR_SHIFT;
        let mut flag = |on: bool, bit: u16| {
            if on {
                flags |= bit;
            }
        };
        let record_id = e.record_id.take();
        let thread_id = e.thread_id.take();
        let process_id = e.process_id.take();
        flag(record_id.is_some(), HAS_RECORD_ID);
        flag(thread_id.is_some(), HAS_THREAD_ID);
        flag(process_id.is_some(), HAS_PROCESS_ID);
        flag(boot, BOOT);
        Slot {
            time: e.time.take(),
            record_id: split(record_id.unwrap_or(0)),
            locator: [a0, a1, b0, b1],
            thread_id: thread_id.unwrap_or(0),
            process_id: process_id.unwrap_or(0),
            body,
            flags,
        }
    }

    fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }

    pub(crate) fn time(&self) -> Option<DateTime<Utc>> {
        self.time
    }

    pub(crate) fn record_id(&self) -> Option<u64> {
        self.has(HAS_RECORD_ID).then(|| join(self.record_id))
    }

    pub(crate) fn locator(&self) -> Locator {
        let [a0, a1, b0, b1] = self.locator;
        decode_locator(self.flags >> LOCATOR_SHIFT, join([a0, a1]), join([b0, b1]))
    }

    pub(crate) fn is_boot(&self) -> bool {
        self.has(BOOT)
    }

    /// Puts the per-record fields back into a copy of the body.
    fn restore(&self, e: &mut Event) {
        e.time = self.time;
        e.record_id = self.record_id();
        e.thread_id = self.has(HAS_THREAD_ID).then_some(self.thread_id);
        e.process_id = self.has(HAS_PROCESS_ID).then_some(self.process_id);
        e.origin.locator = self.locator();
    }
}

/// One distinct body, with what identities need from it.
#[derive(Debug)]
struct Body {
    event: Event,
    /// The names an [`Identity`] compares, worked out once per body.
    names: Arc<Names>,
    /// Its hash in [`Kept::body_index`].
    hash: u64,
}

/// A kept event: its slot and its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    /// The per-record fields.
    pub slot: &'a Slot,
    /// Everything else: the event without time, record id, thread and
    /// process id, and with [`Locator::File`] for its place. Read what does
    /// not depend on those fields from here.
    pub body: &'a Event,
}

impl View<'_> {
    /// The whole event, as it was kept.
    pub(crate) fn to_event(self) -> Event {
        let mut e = self.body.clone();
        self.slot.restore(&mut e);
        e
    }

    /// Whether this is the event at `locator` in `source`.
    pub(crate) fn is_at(&self, source: &str, locator: Locator) -> bool {
        // The locator first: the paths are usually equal.
        self.slot.locator() == locator && *self.body.origin.source == *source
    }
}

/// The engine's kept events; see the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct Kept {
    bodies: Vec<Body>,
    /// Body numbers by the hash of their content.
    body_index: HashTable<u32>,
    /// Slots in the order they were kept, [`BLOCK`] to a block.
    blocks: Vec<Vec<Slot>>,
    len: usize,
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

impl Kept {
    /// Keeps `e` (a boot marker when `boot`) unless an event of its identity
    /// was kept before; returns whether it was kept.
    pub(crate) fn push(&mut self, mut e: Event, boot: bool) -> bool {
        let Ok(number) = u32::try_from(self.len) else {
            // Four billion kept events do not fit in memory anyway.
            return false;
        };
        let identity = Identity::of(&e);
        let id_hash = identity.as_ref().map(|id| self.hasher.hash_one(id));
        if let (Some(id), Some(h)) = (&identity, id_hash) {
            let (blocks, bodies) = (&self.blocks, &self.bodies);
            let same = |&i: &u32| {
                slot_at(blocks, i).is_some_and(|s| {
                    bodies.get(s.body as usize).is_some_and(|b| identity_of(s, b).as_ref() == Some(id))
                })
            };
            if self.identities.find(h, same).is_some() {
                return false;
            }
        }
        let mut slot = Slot::take(&mut e, 0, boot);
        let Some(body) = self.intern(e) else { return false };
        slot.body = body;
        if self.blocks.last().is_none_or(|b| b.len() >= BLOCK) {
            self.blocks.push(Vec::with_capacity(BLOCK));
        }
        let Some(block) = self.blocks.last_mut() else { return false };
        block.push(slot);
        self.len += 1;
        if let Some(h) = id_hash {
            let (blocks, bodies, hasher) = (&self.blocks, &self.bodies, &self.hasher);
            let rehash = |&i: &u32| {
                slot_at(blocks, i)
                    .and_then(|s| bodies.get(s.body as usize).and_then(|b| identity_of(s, b)))
                    .map_or(0, |id| hasher.hash_one(&id))
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
        let n = u32::try_from(self.bodies.len()).ok()?;
        let names = Identity::names_of(&body);
        self.bodies.push(Body { event: body, names, hash: h });
        let bodies = &self.bodies;
        self.body_index.insert_unique(h, n, |&n| bodies.get(n as usize).map_or(0, |b| b.hash));
        Some(n)
    }

    /// How many events are kept.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The kept event number `i`.
    pub(crate) fn get(&self, i: u32) -> Option<View<'_>> {
        let slot = slot_at(&self.blocks, i)?;
        let body = &self.bodies.get(slot.body as usize)?.event;
        Some(View { slot, body })
    }

    /// Every kept event with its number, in the order kept.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, View<'_>)> + '_ {
        self.blocks.iter().flatten().zip(0u32..).filter_map(|(slot, i)| {
            let body = &self.bodies.get(slot.body as usize)?.event;
            Some((i, View { slot, body }))
        })
    }

    /// What the store holds and about how many bytes it uses for it (bodies not counted).
    pub(crate) fn sizes(&self) -> Sizes {
        Sizes {
            events: self.len,
            bodies: self.bodies.len(),
            slot_bytes: self.blocks.iter().map(Vec::capacity).sum::<usize>() * std::mem::size_of::<Slot>(),
            // A `u32` and a control byte per bucket.
            index_bytes: (self.identities.capacity() + self.body_index.capacity()) * (std::mem::size_of::<u32>() + 1),
        }
    }
}

fn slot_at(blocks: &[Vec<Slot>], i: u32) -> Option<&Slot> {
    let i = i as usize;
    blocks.get(i >> BLOCK_BITS)?.get(i & (BLOCK - 1))
}

/// The identity of the event made of `slot` and `body`.
fn identity_of(slot: &Slot, body: &Body) -> Option<Identity> {
    Some(Identity::new(body.names.clone(), body.event.event_id, slot.record_id()?, slot.time?))
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
        let mut kept = Kept::default();
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
        assert!(std::mem::size_of::<Slot>() <= 52);
    }

    #[test]
    fn repeats_by_identity_are_dropped_and_bodies_shared_only_when_equal() {
        let mut kept = Kept::default();
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
}
