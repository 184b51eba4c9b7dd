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
//! (see `binxml::Decoded::content_key`). A record whose key is known is not
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

use std::collections::HashMap;
use std::sync::Mutex;

use super::binxml::{Shapes, Templates};
use crate::model::Event;
use crate::read::ContentId;

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
    /// The current record's key (written by `content_key`).
    pub(crate) key: Vec<u8>,
    /// Compiled templates kept across chunks (they carry shape numbers).
    pub(crate) templates: Templates,
    entries: HashMap<Box<[u8]>, Cached, ahash::RandomState>,
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
        } else if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
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
}
