//! Records of repeated content, decoded once.
//!
//! Most of a System log is a handful of events said again and again: "the
//! WinHTTP Web Proxy Auto-Discovery Service service entered the stopped
//! state", hundreds of times, differing only in time and record id. An event
//! filter that reviews such events ([`crate::Selection::ReviewPartial`])
//! needs their provider, computer, data and `Binary`, which means decoding
//! strings from UTF-16 for every one, only to conclude what it concluded
//! for the last copy.
//!
//! A [`ContentCache`] remembers partly decoded events by their *content
//! key*: the shape of their template (numbered once per template, whatever
//! chunk defined it) and the bytes of the values a partial decode reads
//! (see `binxml::Decoded::key`). A record whose key is known is not
//! decoded again: the remembered event gets the record's own time, record id
//! and origin, and goes to the reviewer with its [`ContentId`]
//! ([`crate::Reviewer::review_content`]), which lets the reviewer reuse its
//! own conclusions too. Only when the reviewer keeps the event is it copied
//! out (and completed, if asked).
//!
//! A cache serves one chunk at a time (shape numbers are remembered in the
//! chunk's compiled templates), across the chunks and files one worker
//! decodes; caches are lent out by a [`ContentPool`], one per running job.
//! Each holds at most [`MAX_ENTRIES`] events and is emptied between chunks
//! when full, so memory stays flat.
//!
//! # JSON lines of repeated content
//!
//! [`crate::Reader::read_paths_lines`] (`evtriage dump --format jsonl`)
//! writes every event as a JSON line. The same reasoning applies, over the
//! whole record: a [`LineCache`] keeps, by *line key* (the template's shape
//! and every value but those of time, record id, process and thread), the
//! bytes of the line around those per-record parts. A record whose line key
//! is known is written from them: the line's bytes, then its own time,
//! record id, process and thread ids and origin. No event is built, nothing
//! is converted from UTF-16 or escaped again. Each entry is one allocation
//! (key, line pieces and channel together), and the cache is bounded by
//! bytes as well as entries.

use std::collections::HashMap;
use std::sync::Mutex;

use super::binxml::{Shapes, Templates};
use crate::contract::ContentId;
use crate::model::Event;

/// Events a cache remembers before it is emptied.
pub(crate) const MAX_ENTRIES: usize = 4096;
/// Template shapes a cache numbers before it is emptied.
const MAX_SHAPES: usize = 1024;

/// A remembered partial event.
pub(crate) struct Cached {
    /// Its content's id.
    pub(crate) id: ContentId,
    /// The event as partly decoded (time, record id and origin those of the
    /// last record it stood for).
    pub(crate) event: Box<Event>,
}

/// Partly decoded events by content key; see the [module docs](self).
#[derive(Default)]
pub(crate) struct ContentCache {
    /// Template shape numbers, part of every key.
    pub(crate) shapes: Shapes,
    /// The current record's key (written by `Decoded::key`).
    pub(crate) key: Vec<u8>,
    /// Compiled templates kept across chunks (they carry shape numbers).
    pub(crate) templates: Templates,
    entries: HashMap<Box<[u8]>, Cached, ahash::RandomState>,
    /// JSON lines by line key.
    pub(crate) lines: LineCache,
}

impl std::fmt::Debug for ContentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentCache")
            .field("shapes", &self.shapes.len())
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl ContentCache {
    /// Called before each chunk: forgets the events of a full cache (and,
    /// when too many template shapes are numbered, the numbers and the
    /// templates that carry them).
    pub(crate) fn trim(&mut self) {
        if self.shapes.len() >= MAX_SHAPES {
            // Keys name shapes by number, and kept templates carry theirs:
            // the three go together.
            self.entries.clear();
            self.shapes = Shapes::default();
            self.templates.clear();
            self.lines.clear();
        } else {
            if self.entries.len() >= MAX_ENTRIES {
                self.entries.clear();
            }
            self.lines.trim();
        }
    }

    /// The event remembered under the current key.
    pub(crate) fn hit(&mut self) -> Option<&mut Cached> {
        self.entries.get_mut(self.key.as_slice())
    }

    /// Remembers `event` under the current key as content `id`.
    pub(crate) fn insert(&mut self, id: ContentId, event: Box<Event>) {
        self.entries.insert(self.key.as_slice().into(), Cached { id, event });
    }

    /// How many events are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Lines a [`LineCache`] keeps before it is emptied.
const MAX_LINES: usize = 16 * 1024;
/// Bytes of keys and lines a [`LineCache`] keeps before it is emptied.
const MAX_LINE_BYTES: usize = 8 << 20;

/// Look-ups a full [`LineCache`] counts before it judges whether it still pays.
const RETHINK_AFTER: u64 = 8192;

/// One remembered line: key, line pieces and channel in one allocation.
struct LineEntry {
    /// The key, then the line's four content pieces, then the channel's text.
    bytes: Box<[u8]>,
    /// Ends of the key and of each piece, offsets into `bytes`.
    ends: [u32; 5],
    /// The event's level.
    level: Option<u8>,
    /// Whether the event has a channel (its text ends `bytes`).
    has_channel: bool,
}

impl LineEntry {
    fn key(&self) -> &[u8] {
        self.bytes.get(..self.ends[0] as usize).unwrap_or_default()
    }

    fn piece(&self, i: usize) -> &[u8] {
        let (a, b) = (self.ends[i] as usize, self.ends[i + 1] as usize);
        self.bytes.get(a..b).unwrap_or_default()
    }
}

impl std::borrow::Borrow<[u8]> for LineEntry {
    fn borrow(&self) -> &[u8] {
        self.key()
    }
}

impl PartialEq for LineEntry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for LineEntry {}

impl std::hash::Hash for LineEntry {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As the key slice hashes: lookups go by `&[u8]`.
        self.key().hash(state)
    }
}

/// A remembered line, as found by [`LineCache::get`].
pub(crate) struct LineHit<'c> {
    entry: &'c LineEntry,
}

impl<'c> LineHit<'c> {
    /// The event's level.
    pub(crate) fn level(&self) -> Option<u8> {
        self.entry.level
    }

    /// The event's channel.
    pub(crate) fn channel(&self) -> Option<&'c str> {
        if !self.entry.has_channel {
            return None;
        }
        let start = self.entry.ends[4] as usize;
        std::str::from_utf8(self.entry.bytes.get(start..).unwrap_or_default()).ok()
    }

    /// Writes the line: the remembered pieces around `stamp`, `execution`
    /// and `origin`, which write the per-record parts.
    pub(crate) fn write(
        &self,
        out: &mut Vec<u8>,
        stamp: impl FnOnce(&mut Vec<u8>),
        execution: impl FnOnce(&mut Vec<u8>),
        origin: impl FnOnce(&mut Vec<u8>),
    ) {
        out.extend_from_slice(self.entry.piece(0));
        stamp(out);
        out.extend_from_slice(self.entry.piece(1));
        execution(out);
        out.extend_from_slice(self.entry.piece(2));
        origin(out);
        out.extend_from_slice(self.entry.piece(3));
    }
}

/// JSON lines of events by line key; see the [module docs](self).
#[derive(Default)]
pub(crate) struct LineCache {
    entries: std::collections::HashSet<LineEntry, ahash::RandomState>,
    bytes: usize,
    /// Bytes per line of the last chunk written (a capacity guess).
    pub(crate) line_size: usize,
    /// Lines written from the cache (for tests and measurements).
    pub(crate) hits: u64,
    /// Look-ups and hits since the cache filled up.
    since_full: (u64, u64),
}

impl LineCache {
    /// The line remembered under `key`.
    pub(crate) fn get(&mut self, key: &[u8]) -> Option<LineHit<'_>> {
        let hit = self.entries.get(key);
        if self.full() {
            self.since_full.0 += 1;
            self.since_full.1 += u64::from(hit.is_some());
        }
        hit.map(|entry| LineHit { entry })
    }

    /// Remembers the line `line` (written with its per-record parts where
    /// `cut` says) under `key`, with the event's level and channel.
    pub(crate) fn insert(
        &mut self,
        key: &[u8],
        line: &[u8],
        cut: &crate::jsonl::LineCut,
        level: Option<u8>,
        channel: Option<&str>,
    ) {
        if self.full() {
            return;
        }
        let pieces = [
            (0, cut.stamp.0),
            (cut.stamp.1, cut.execution.0),
            (cut.execution.1, cut.origin.0),
            (cut.origin.1, line.len()),
        ];
        let size =
            key.len() + pieces.iter().map(|(a, b)| b.saturating_sub(*a)).sum::<usize>() + channel.map_or(0, str::len);
        let Ok(total) = u32::try_from(size) else { return };
        let mut bytes = Vec::with_capacity(size);
        let mut ends = [0u32; 5];
        bytes.extend_from_slice(key);
        ends[0] = key.len() as u32;
        for (i, (a, b)) in pieces.into_iter().enumerate() {
            bytes.extend_from_slice(line.get(a..b).unwrap_or_default());
            ends[i + 1] = bytes.len() as u32;
        }
        if let Some(c) = channel {
            bytes.extend_from_slice(c.as_bytes());
        }
        debug_assert_eq!(bytes.len() as u32, total);
        self.bytes += size;
        self.entries.insert(LineEntry { bytes: bytes.into_boxed_slice(), ends, level, has_channel: channel.is_some() });
    }

    /// Whether the cache is at its bounds.
    fn full(&self) -> bool {
        self.entries.len() >= MAX_LINES || self.bytes >= MAX_LINE_BYTES
    }

    /// Called between chunks. A full cache keeps what it holds (a log that
    /// comes back to the same contents in a cycle longer than the cache
    /// still finds part of them, where emptying it when full would find
    /// none), until fewer than a quarter of the look-ups since it filled
    /// have found a line: then the log has moved on, and it is emptied.
    fn trim(&mut self) {
        let (lookups, hits) = self.since_full;
        if lookups >= RETHINK_AFTER && hits * 4 < lookups {
            self.clear();
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
        self.since_full = (0, 0);
    }
}

/// Content caches to lend to the jobs of one reader, one per running job.
#[derive(Debug, Default)]
pub(crate) struct ContentPool {
    spare: Mutex<Vec<ContentCache>>,
}

impl ContentPool {
    /// Runs `f` with a cache from the pool (a new one if none is free) and
    /// puts it back afterwards. A cache lost to a panic is simply not returned.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut ContentCache) -> R) -> R {
        let mut cache = self.spare.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
        let r = f(&mut cache);
        if let Ok(mut s) = self.spare.lock() {
            s.push(cache);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Locator, Origin};

    #[test]
    fn a_full_cache_is_emptied_before_the_next_chunk() {
        let mut cache = ContentCache::default();
        let event = || Box::new(Event::new(Some("P".into()), 1, Origin::new("x".into(), Locator::File)));
        for i in 0..MAX_ENTRIES as u32 {
            cache.key = i.to_le_bytes().to_vec();
            cache.insert(ContentId::fresh(), event());
        }
        cache.key = 7u32.to_le_bytes().to_vec();
        assert!(cache.hit().is_some());
        assert_eq!(cache.len(), MAX_ENTRIES);
        cache.trim();
        assert_eq!(cache.len(), 0);
        assert!(cache.hit().is_none());
        // Below the bound nothing is forgotten.
        cache.insert(ContentId::fresh(), event());
        cache.trim();
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_full_line_cache_keeps_its_lines_until_they_stop_paying() {
        let mut lines = LineCache::default();
        let line = b"{head}{middle}{tail}\"src\",{loc}}\n";
        let cut = crate::jsonl::LineCut { stamp: (6, 6), execution: (14, 14), origin: (20, 31) };
        let mut n = 0u32;
        while !lines.full() {
            lines.insert(&n.to_le_bytes(), line, &cut, Some(4), Some("System"));
            n += 1;
        }
        assert_eq!(n as usize, MAX_LINES);
        // Full: nothing more is taken, what is there stays.
        lines.insert(&u32::MAX.to_le_bytes(), line, &cut, None, None);
        assert!(lines.get(&u32::MAX.to_le_bytes()).is_none());
        let hit = lines.get(&7u32.to_le_bytes()).map(|h| {
            let mut out = Vec::new();
            h.write(
                &mut out,
                |o| o.extend_from_slice(b"T"),
                |o| o.extend_from_slice(b"P"),
                |o| o.extend_from_slice(b"O"),
            );
            (out, h.level(), h.channel().map(str::to_string))
        });
        assert_eq!(hit, Some((b"{head}T{middle}P{tail}O}\n".to_vec(), Some(4), Some("System".to_string()))));
        // Half the look-ups find a line: it is kept.
        for i in 0..RETHINK_AFTER as u32 {
            let key = if i % 2 == 0 { i % 100 } else { u32::MAX - i };
            let _ = lines.get(&key.to_le_bytes());
        }
        lines.trim();
        assert_eq!(lines.entries.len(), MAX_LINES);
        // Then hardly any: the log has moved on, it is emptied.
        for i in 0..RETHINK_AFTER as u32 * 4 {
            let key = if i % 10 == 0 { 1 } else { u32::MAX - i };
            let _ = lines.get(&key.to_le_bytes());
        }
        lines.trim();
        assert_eq!(lines.entries.len(), 0);
        assert!(!lines.full());
    }
}
