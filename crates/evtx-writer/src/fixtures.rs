//! The binary fixtures of the repository, and how they are made.
//!
//! Two kinds of `.evtx` files live under `fixtures/`:
//!
//! - **twins** of XML scenarios: every `*.xml` file under `fixtures/rules/`
//!   or `fixtures/evtx/` that holds `<Event>`s, and any other `*.xml` under
//!   `fixtures/` containing the marker [`TWIN_MARKER`], gets a `.evtx` file of
//!   the same stem next to it (or where the marker's `to=` says, see
//!   [`twin_path`]), with the same events;
//! - **reliability files** in `fixtures/evtx/` ([`BUILTIN`]): several chunks,
//!   and deliberately damaged copies, built from [`crate::samples`].
//!
//! [`plan`] computes all of them in memory (deterministically), so that the
//! `gen-fixtures` command can write them and `gen-fixtures --check` (and a
//! test) can fail when a committed file is stale.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use evtriage_core::event_parser::XmlEvents;
use evtriage_core::Event;

use crate::damage::{apply, Damage, DamageError};
use crate::{samples, write_evtx, WriteError, WriteOptions};

/// A comment that opts an XML scenario outside `rules/` and `evtx/` in to a `.evtx` twin.
pub const TWIN_MARKER: &str = "evtriage: evtx-twin";

/// Why the fixtures could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The reason.
        #[source]
        source: std::io::Error,
    },
    /// An `<Event>` of a scenario could not be read (a fixture must be clean).
    #[error("scenario {path}: {reason}")]
    Scenario {
        /// The scenario.
        path: PathBuf,
        /// The reader's diagnostic.
        reason: String,
    },
    /// The events could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The output.
        path: PathBuf,
        /// The reason.
        #[source]
        source: WriteError,
    },
    /// A damage could not be applied (a bug in [`BUILTIN`]).
    #[error("{path}: {source}")]
    Damage {
        /// The output.
        path: PathBuf,
        /// The reason.
        #[source]
        source: DamageError,
    },
}

/// One file to have on disk.
#[derive(Debug, Clone)]
pub struct Output {
    /// Where it goes.
    pub path: PathBuf,
    /// Its content.
    pub bytes: Vec<u8>,
    /// What it is, in a few words.
    pub what: String,
}

/// A built-in reliability fixture and what a reader must make of it.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// File name under `fixtures/evtx/`.
    pub name: &'static str,
    /// Records written (7036 events, ids 1..=written).
    pub written: usize,
    /// Records per chunk (`None`: chunks are filled).
    pub per_chunk: Option<usize>,
    /// The damage applied, if any.
    pub damage: Option<Damage>,
    /// Records a reader that validates checksums delivers.
    pub readable: usize,
    /// Chunks such a reader must report as unreadable.
    pub bad_chunks: usize,
}

/// Records per chunk of the damaged files: 3 chunks of 50 (ids 1–50, 51–100, 101–150).
const SMALL: Option<usize> = Some(50);

/// The reliability fixtures (see `fixtures/evtx/README.md`).
pub const BUILTIN: &[Builtin] = &[
    Builtin { name: "multi-chunk.evtx", written: 1000, per_chunk: None, damage: None, readable: 1000, bad_chunks: 0 },
    Builtin { name: "three-chunks.evtx", written: 150, per_chunk: SMALL, damage: None, readable: 150, bad_chunks: 0 },
    Builtin {
        name: "damaged-chunk-magic.evtx",
        written: 150,
        per_chunk: SMALL,
        damage: Some(Damage::ChunkMagic { chunk: 1 }),
        readable: 100,
        bad_chunks: 1,
    },
    Builtin {
        name: "damaged-chunk-header-crc.evtx",
        written: 150,
        per_chunk: SMALL,
        damage: Some(Damage::ChunkHeaderCrc { chunk: 1 }),
        readable: 100,
        bad_chunks: 1,
    },
    Builtin {
        name: "damaged-chunk-data-crc.evtx",
        written: 150,
        per_chunk: SMALL,
        damage: Some(Damage::ChunkDataCrc { chunk: 1 }),
        readable: 100,
        bad_chunks: 1,
    },
    Builtin {
        name: "damaged-record-magic.evtx",
        written: 150,
        per_chunk: SMALL,
        damage: Some(Damage::RecordMagic { chunk: 0, offset: 0 }),
        readable: 149,
        bad_chunks: 0,
    },
    Builtin {
        name: "damaged-file-header-crc.evtx",
        written: 150,
        per_chunk: SMALL,
        damage: Some(Damage::FileHeaderCrc),
        readable: 150,
        bad_chunks: 0,
    },
    Builtin {
        name: "truncated.evtx",
        written: 150,
        per_chunk: SMALL,
        damage: Some(Damage::Truncate { len: crate::FILE_HEADER_SIZE + 2 * crate::CHUNK_SIZE + 3000 }),
        readable: 100,
        bad_chunks: 0,
    },
];

/// Id of the record whose magic [`Damage::RecordMagic`] breaks in `damaged-record-magic.evtx`.
pub const DAMAGED_RECORD_ID: u64 = 11;

/// The bytes of one built-in fixture.
pub fn build(b: &Builtin) -> Result<Vec<u8>, FixtureError> {
    let path = PathBuf::from(b.name);
    let events = samples::service_churn(b.written);
    let options = WriteOptions { max_records_per_chunk: b.per_chunk, ..WriteOptions::default() };
    let file = write_evtx(&events, &options).map_err(|source| FixtureError::Write { path: path.clone(), source })?;
    let mut bytes = file.bytes;
    if let Some(mut damage) = b.damage {
        if let Damage::RecordMagic { chunk, .. } = damage {
            // The offset of record DAMAGED_RECORD_ID, known only once written.
            let offset = file.records.iter().find(|r| r.record_id == DAMAGED_RECORD_ID).map_or(0, |r| r.offset);
            damage = Damage::RecordMagic { chunk, offset };
        }
        apply(&mut bytes, damage).map_err(|source| FixtureError::Damage { path, source })?;
    }
    Ok(bytes)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FixtureError + '_ {
    move |source| FixtureError::Io { path: path.to_path_buf(), source }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FixtureError> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(io(dir))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// The XML scenarios under `root` that get a twin.
pub fn scenarios(root: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let mut xml = Vec::new();
    if root.is_dir() {
        walk(root, &mut xml)?;
    }
    let mut out = Vec::new();
    for p in xml {
        let text = std::fs::read_to_string(&p).map_err(io(&p))?;
        let rel = p.strip_prefix(root).unwrap_or(&p);
        let in_twin_dir = rel.components().next().is_some_and(|c| c.as_os_str() == "rules" || c.as_os_str() == "evtx");
        if text.contains(TWIN_MARKER) || (in_twin_dir && text.contains("<Event")) {
            out.push(p);
        }
    }
    Ok(out)
}

/// The events of a scenario, read by evtriage-core's XML reader; any unreadable `<Event>` is an error.
pub fn scenario_events(xml: &Path) -> Result<Vec<Event>, FixtureError> {
    let text = std::fs::read_to_string(xml).map_err(io(xml))?;
    XmlEvents::new(&text, Arc::from(xml.to_string_lossy().as_ref()))
        .map(|r| r.map_err(|d| FixtureError::Scenario { path: xml.to_path_buf(), reason: d.to_string() }))
        .collect()
}

/// Puts events in the order a log holds them: by EventRecordID when every event has a
/// distinct one. Event Viewer exports newest first, while an `.evtx` file holds its
/// records oldest first with increasing ids; without complete ids the order is kept.
pub fn in_log_order(events: &mut [Event]) {
    let mut ids: Vec<u64> = events.iter().filter_map(|e| e.record_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() == events.len() {
        events.sort_by_key(|e| e.record_id);
    }
}

/// Where the twin of `xml` goes: next to it with the `.evtx` extension, or where the
/// marker says with `to=PATH` (relative to the scenario's folder), e.g.
/// `<!-- evtriage: evtx-twin to=../example/dc1-case/System.evtx -->`, so that a case
/// folder can hold the binary log without its XML source.
pub fn twin_path(xml: &Path, text: &str) -> PathBuf {
    text.find(TWIN_MARKER)
        .and_then(|at| text.get(at + TWIN_MARKER.len()..))
        .and_then(|rest| rest.lines().next())
        .map(|line| line.trim().trim_end_matches("-->").trim())
        .and_then(|line| line.strip_prefix("to="))
        .map(str::trim)
        .filter(|to| !to.is_empty())
        .map(|to| xml.parent().unwrap_or_else(|| Path::new(".")).join(to))
        .unwrap_or_else(|| xml.with_extension("evtx"))
}

/// The `.evtx` twin of one scenario (events in log order, see [`in_log_order`]).
pub fn twin(xml: &Path) -> Result<Output, FixtureError> {
    let mut events = scenario_events(xml)?;
    in_log_order(&mut events);
    let text = std::fs::read_to_string(xml).map_err(io(xml))?;
    let path = twin_path(xml, &text);
    let file = write_evtx(&events, &WriteOptions::default())
        .map_err(|source| FixtureError::Write { path: path.clone(), source })?;
    Ok(Output { path, bytes: file.bytes, what: format!("twin of {} ({} events)", xml.display(), events.len()) })
}

/// Every fixture that belongs under `root` (the repository's `fixtures/`).
pub fn plan(root: &Path) -> Result<Vec<Output>, FixtureError> {
    let mut out = Vec::new();
    for xml in scenarios(root)? {
        out.push(twin(&xml)?);
    }
    for b in BUILTIN {
        out.push(Output {
            path: root.join("evtx").join(b.name),
            bytes: build(b)?,
            what: format!("{} records written, {} readable", b.written, b.readable),
        });
    }
    Ok(out)
}

/// The outputs whose file on disk is missing or differs.
pub fn stale(outputs: &[Output]) -> Vec<&Output> {
    outputs.iter().filter(|o| std::fs::read(&o.path).map_or(true, |b| b != o.bytes)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twin_goes_next_to_the_scenario_unless_the_marker_says_where() {
        let xml = Path::new("fixtures/scenarios/dc1.xml");
        assert_eq!(twin_path(xml, "<!-- evtriage: evtx-twin -->"), Path::new("fixtures/scenarios/dc1.evtx"));
        assert_eq!(twin_path(xml, "<Events/>"), Path::new("fixtures/scenarios/dc1.evtx"));
        assert_eq!(
            twin_path(xml, "<!-- evtriage: evtx-twin to=../example/dc1-case/System.evtx -->\n<Events/>"),
            Path::new("fixtures/scenarios/../example/dc1-case/System.evtx")
        );
        assert_eq!(twin_path(xml, "<!-- evtriage: evtx-twin to= -->"), Path::new("fixtures/scenarios/dc1.evtx"));
    }
}
