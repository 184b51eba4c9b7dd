//! The `evtx` crate's own (slower) record pass, where it is the better
//! judge: whether records carved from slack space hold up, and the XML of
//! live records our decoder cannot map.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], the chunk stage
//! calls on this pass rarely (a chunk with carved records, or with a record
//! of an unusual token or layout); the output is the same as decoding every
//! record through the crate, only faster. Also here: the settings the crate
//! reads with, and its errors written in one line.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use evtx::{EvtxChunkData, ParserSettings};

use super::binxml::{filetime_to_utc, DecodeError};
use super::records::{RawRecord, Step};
use crate::contract::{EventKey, ReadOptions, Reviewer, Verdict};
use crate::diag::Diagnostic;
use crate::model::{Locator, Origin, Record};
use crate::work::{Batch, Part};

/// The parser settings evtriage reads with: recover what can be recovered
/// (like `evtx_dump --recover-records`), and do not drop chunks whose
/// checksum is wrong (their records are usually fine).
pub(crate) fn parser_settings() -> ParserSettings {
    ParserSettings::new().recover_records(true).validate_checksums(false).num_threads(1)
}

/// An error and its causes, in one line.
pub(super) fn reason(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    let mut depth = 0;
    while let Some(cause) = src {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        src = cause.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    s
}

/// The BinXML offsets of the carved records the crate accepts, when the walk
/// carved any and the crate can parse the chunk.
///
/// Records carved from slack space are kept only when the `evtx` crate
/// accepts them too: a stale record can point at a template definition
/// that has since been overwritten, and only a full validation tells.
/// (Rare enough that the crate's slower pass over the chunk is affordable.)
pub(super) fn carved_records_accepted(chunk: &mut EvtxChunkData, steps: &[Step]) -> Option<HashSet<u64>> {
    let carved = steps.iter().any(|s| matches!(s, Step::Record(r) if r.recovered));
    if carved {
        match chunk.parse(Arc::new(parser_settings())) {
            Ok(mut parsed) => Some(parsed.iter().flatten().filter(|r| r.recovered).map(|r| r.binxml_offset).collect()),
            Err(_) => None,
        }
    } else {
        None
    }
}

/// Records our decoder could not map (an unusual token or layout): let the
/// `evtx` crate render them as XML, and read that with [`crate::event_parser`].
pub(super) fn retry_through_xml(
    name: &Arc<str>,
    chunk: &mut EvtxChunkData,
    number: u64,
    retry: Vec<(usize, RawRecord, DecodeError)>,
    (options, unit): (&ReadOptions, Option<u64>),
    slots: &mut [Option<Part>],
    out: &mut Batch,
) {
    // The crate's rendering of each record, by BinXML offset (or its error, by record id).
    let mut xml: HashMap<u64, Result<String, String>> = HashMap::new();
    let mut reviewer: Option<Box<dyn Reviewer + '_>> = None;
    let mut errors: HashMap<u64, String> = HashMap::new();
    match chunk.parse(Arc::new(parser_settings())) {
        Ok(mut parsed) => {
            for rec in parsed.iter() {
                match rec {
                    Ok(r) => {
                        let off = r.binxml_offset;
                        xml.insert(off, r.into_xml().map(|x| x.data).map_err(|e| reason(&e)));
                    }
                    Err(e) => {
                        if let evtx::err::EvtxError::FailedToParseRecord { record_id, .. } = &e {
                            errors.insert(*record_id, reason(&e));
                        }
                    }
                }
            }
        }
        Err(e) => {
            let why = reason(&e);
            for (_, raw, _) in &retry {
                errors.insert(raw.id, why.clone());
            }
        }
    }
    for (slot, raw, e) in retry {
        let origin = Origin::new(name.clone(), Locator::Evtx { chunk: number, record_id: raw.id });
        let result = match xml.remove(&(raw.binxml_start as u64)) {
            Some(Ok(text)) => crate::event_parser::event_from_xml(&text, origin).map_err(|x| x.to_string()),
            Some(Err(why)) => Err(why),
            None => Err(errors.remove(&raw.id).unwrap_or_else(|| "the evtx crate cannot read it either".into())),
        };
        let item = match result {
            Ok(mut ev) => {
                out.records += 1;
                let key = EventKey {
                    provider: ev.provider.name.as_deref(),
                    guid: ev.provider.guid.as_ref(),
                    event_id: ev.event_id,
                };
                let selection = options.select(&key);
                match crate::contract::keep_whole(options, unit, selection, &mut reviewer, &ev) {
                    Verdict::Drop => {
                        out.filtered += 1;
                        continue;
                    }
                    Verdict::Repeat => continue,
                    _ => {}
                }
                ev.record_id = ev.record_id.or(Some(raw.id));
                ev.time = ev.time.or_else(|| filetime_to_utc(raw.filetime));
                if let Some(id) = ev.record_id {
                    ev.origin.locator = Locator::Evtx { chunk: number, record_id: id };
                }
                // Damage our decoder refused to read past: say so, the record is read all the same.
                if e.what == super::binxml::DAMAGED_VALUE {
                    out.items.push(Part::Diagnostic(Diagnostic::note(
                        name.clone(),
                        Locator::Evtx { chunk: number, record_id: raw.id },
                        format!(
                            "damaged record: a substitution value's declared size does not fit its type (at chunk \
                             offset {:#x}); read by the value types, as the evtx crate reads them",
                            e.offset
                        ),
                    )));
                }
                Part::Record(Record::Event(Box::new(ev)))
            }
            Err(why) => {
                out.skipped += 1;
                Part::Diagnostic(Diagnostic::skipped(
                    name.clone(),
                    Locator::Evtx { chunk: number, record_id: raw.id },
                    format!("record skipped: {why} (our decoder: {e})"),
                ))
            }
        };
        if let Some(s) = slots.get_mut(slot) {
            *s = Some(item);
        }
    }
}
