//! Compiled templates, cached: per chunk by definition offset
//! ([`SchemaCache`]), and across the chunks one worker decodes by canonical
//! form ([`Templates`]).
//!
//! In the journey bytes → chunk → record → [`crate::Event`], every template
//! instance asks here for its definition's [`Schema`]: a definition is parsed
//! ([`super::tree`]) and compiled ([`super::template`]) only when neither
//! cache has it.

use std::collections::HashMap;
use std::sync::Arc;

use super::cursor::{err, Cursor, DecodeError};
use super::template::{compile, Schema};
use super::tree::{canonical_tokens, parse_tree};

/// A hasher for small integer keys (template offsets): the default SipHash
/// showed up in profiles, and these keys are not attacker-chosen in a way
/// that matters (a chunk holds at most a few hundred definitions).
#[derive(Default, Clone, Copy)]
struct BuildOffsetHasher;

#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u8(&mut self, n: u8) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl std::hash::BuildHasher for BuildOffsetHasher {
    type Hasher = OffsetHasher;
    fn build_hasher(&self) -> OffsetHasher {
        OffsetHasher(0)
    }
}

/// Per-chunk cache of compiled template definitions, backed by a
/// [`Templates`] store that outlives the chunk.
#[derive(Default)]
pub(crate) struct SchemaCache {
    map: HashMap<(u32, bool), Arc<Schema>, BuildOffsetHasher>,
    /// Definitions compiled in earlier chunks.
    pub(crate) store: Templates,
}

impl SchemaCache {
    /// A cache for a new chunk, backed by `store`.
    pub(crate) fn with_store(store: Templates) -> Self {
        SchemaCache { map: HashMap::default(), store }
    }

    pub(super) fn get(&mut self, data: &[u8], def_offset: u32, event_root: bool) -> Result<Arc<Schema>, DecodeError> {
        if let Some(s) = self.map.get(&(def_offset, event_root)) {
            return Ok(s.clone());
        }
        let start = def_offset as usize;
        let mut c = Cursor::new(data, start, data.len());
        c.skip(4 + 16)?;
        let size = c.u32()? as usize;
        let body = c.pos;
        let end = body.checked_add(size).filter(|e| *e <= data.len());
        let Some(end) = end else {
            return err("template definition past the end of the chunk", start);
        };
        // A definition met in an earlier chunk (anywhere in it) is not compiled again.
        let known = self.store.find(data, body, end, event_root);
        if let Some(schema) = known {
            self.map.insert((def_offset, event_root), schema.clone());
            return Ok(schema);
        }
        let mut types = Vec::new();
        let tree = parse_tree(data, body, end, true, &mut types)?;
        let mut schema = compile(&tree, event_root);
        types.sort_unstable();
        types.dedup();
        schema.sub_types = types;
        let schema = Arc::new(schema);
        self.store.keep(event_root, &schema);
        self.map.insert((def_offset, event_root), schema.clone());
        Ok(schema)
    }
}

/// Compiled template definitions kept across the chunks one worker decodes,
/// by their canonical form (see [`canonical_tokens`]): a definition's bytes
/// hold chunk offsets (of the names it uses), so the same template has
/// different bytes in different chunks, but one canonical form. A log has
/// a few hundred templates at most (the corpus System logs together: 166);
/// each is compiled once per worker, not once per chunk.
#[derive(Default)]
pub(crate) struct Templates {
    by_form: HashMap<Box<[u8]>, Arc<Schema>, ahash::RandomState>,
    /// The canonical form of the definition last looked for.
    form: Vec<u8>,
    /// How many definitions were found compiled.
    pub(crate) hits: u64,
}

/// Definitions a [`Templates`] store keeps before it starts over.
const MAX_TEMPLATES: usize = 512;

impl Templates {
    /// The schema compiled earlier for the definition body `[body, end)`.
    /// Leaves the body's canonical form for [`Templates::keep`].
    fn find(&mut self, data: &[u8], body: usize, end: usize, event_root: bool) -> Option<Arc<Schema>> {
        self.form.clear();
        self.form.push(u8::from(event_root));
        if canonical_tokens(data, body, end, true, &mut self.form).is_err() {
            self.form.clear();
            return None;
        }
        let found = self.by_form.get(self.form.as_slice()).cloned();
        self.hits += u64::from(found.is_some());
        found
    }

    /// Keeps `schema`, compiled from the definition [`Templates::find`] last looked for.
    fn keep(&mut self, event_root: bool, schema: &Arc<Schema>) {
        if self.form.first() != Some(&u8::from(event_root)) {
            return;
        }
        if self.by_form.len() >= MAX_TEMPLATES {
            self.by_form.clear();
        }
        self.by_form.insert(self.form.as_slice().into(), schema.clone());
    }

    /// Forgets everything (with the shape numbers the schemas carry).
    pub(crate) fn clear(&mut self) {
        self.by_form.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::super::decode_record;
    use super::*;
    use crate::evtx::{open, records};
    use crate::model::{Event, Locator, Origin};

    /// Every record of every chunk of `path`, finished, decoding with
    /// templates compiled per chunk or kept across chunks; and how many
    /// definitions the kept store found compiled.
    fn decode_all(path: &std::path::Path, keep: bool) -> (Vec<Event>, u64) {
        let file = std::fs::File::open(path).unwrap();
        let name: Arc<str> = Arc::from("t.evtx");
        let mut events = Vec::new();
        let mut store = Templates::default();
        for chunk in open(&name, file).unwrap().flatten() {
            let data = &chunk.data[..];
            let mut cache = SchemaCache::with_store(if keep { std::mem::take(&mut store) } else { Default::default() });
            for step in records::walk(data, &chunk.header, false, None) {
                let records::Step::Record(raw) = step else { continue };
                let Ok(d) = decode_record(data, raw.binxml_start, raw.binxml_end, false, &mut cache, Vec::new()) else {
                    continue;
                };
                let head = d.head();
                let origin = Origin::new(name.clone(), Locator::Evtx { chunk: 0, record_id: raw.id });
                let mut ev = Event::new(head.provider.map(Cow::into_owned), head.event_id, origin);
                ev.provider.guid = head.guid;
                if d.finish(data, &mut cache, &mut ev).is_ok() {
                    events.push(ev);
                }
            }
            store = cache.store;
        }
        (events, store.hits)
    }

    #[test]
    fn templates_kept_across_chunks_decode_as_compiled_afresh() {
        let Some(path) = evtriage_testutil::corpus("evtx/omerbenamram_system.evtx") else { return };
        let (fresh, _) = decode_all(&path, false);
        let (kept, hits) = decode_all(&path, true);
        assert!(fresh.len() > 1000, "{} events", fresh.len());
        assert_eq!(kept, fresh);
        // The same templates are defined again in chunk after chunk, at other offsets.
        assert!(hits > 100, "{hits} definitions found compiled");
    }
}
