//! Binary ETW traces (`.etl`), read by the `evtriage-etl` crate and adapted
//! here into [`Event`]s.
//!
//! The point is KB4530043: an engineer receives `c:\boot-ldap.etl` from a
//! domain controller and should not need a Windows machine to run `tracerpt`.
//! Microsoft-Windows-LDAP-Client events come out exactly as the text formats
//! give them — provider `Microsoft-Windows-LDAP-Client`, channel `Debug`,
//! data item `Message`, and the message text — so rules written against a
//! `tracerpt` rendering confirm from the `.etl` too. Self-describing
//! (TraceLogging) events get their provider name, event name
//! ([`TraceInfo::event_name`]) and named fields. Every other record keeps its
//! provider GUID, ids, level, keywords, process/thread, time and raw payload
//! (in [`TraceInfo::payload`]), so `evtriage dump` lists any trace.
//!
//! Damaged buffers and records become [`Diagnostic`]s located by
//! [`Locator::EtlBuffer`]; the rest of the file is read.

use std::sync::Arc;

use evtriage_etl::{EtlEvent, LdapClientEvent};

use crate::contract::{EventKey, InputSummary, ReadOptions, Sink};
use crate::diag::Diagnostic;
use crate::model::{DataItem, Event, Locator, Origin, TraceInfo};

/// Whether `head` (the first bytes of an input) is an ETL trace.
pub fn looks_like_etl(head: &[u8]) -> bool {
    evtriage_etl::looks_like_etl(head)
}

/// Reads an `.etl` file held in memory, delivering its events to `sink` in
/// trace order (see [`evtriage_etl::Trace::events`]).
pub fn read_etl(name: Arc<str>, bytes: &[u8], options: &ReadOptions, sink: &mut dyn Sink, summary: &mut InputSummary) {
    let trace = match evtriage_etl::parse(bytes) {
        Ok(t) => t,
        Err(e) => {
            sink.diagnostic(Diagnostic::failed(name, format!("cannot read the trace: {e}")));
            return;
        }
    };
    for d in &trace.damage {
        let locator = Locator::EtlBuffer { buffer: d.buffer, offset: d.record_offset.unwrap_or(0) };
        let what = match d.record_offset {
            Some(_) => "record",
            None => "buffer",
        };
        sink.diagnostic(Diagnostic::skipped(
            name.clone(),
            locator,
            format!("{what} skipped (buffer at file offset {:#x}): {}", d.file_offset, d.error),
        ));
        summary.skipped += 1;
    }
    if let Some(h) = trace.logfile.as_ref().filter(|h| h.events_lost > 0 || h.buffers_lost > 0) {
        sink.diagnostic(Diagnostic::note(
            name.clone(),
            Locator::File,
            format!(
                "the trace session itself lost {} events and {} buffers while recording (logfile header)",
                h.events_lost, h.buffers_lost
            ),
        ));
    }
    if trace.stats.messages_skipped > 0 {
        sink.diagnostic(Diagnostic::note(
            name.clone(),
            Locator::File,
            format!(
                "{} message (WPP) records skipped: rendering them needs the provider's TMF files",
                trace.stats.messages_skipped
            ),
        ));
    }
    let mut reviewer = None;
    for e in &trace.events {
        let label = provider_name(e);
        let guid = e.provider.or_else(|| kernel_guid(e));
        let key = EventKey { provider: label, guid: guid.as_ref(), event_id: u32::from(e.event_id()) };
        summary.records += 1;
        let selection = options.select(&key);
        if selection == crate::contract::Selection::Skip {
            summary.filtered += 1;
            continue;
        }
        let event = to_event(e, name.clone());
        match crate::contract::keep_whole(options, None, selection, &mut reviewer, &event) {
            crate::contract::Verdict::Drop => {
                summary.filtered += 1;
                continue;
            }
            crate::contract::Verdict::Repeat => continue,
            _ => {}
        }
        sink.record(crate::model::Record::Event(Box::new(event)));
    }
}

fn provider_name(e: &EtlEvent) -> Option<&str> {
    if e.provider == Some(evtriage_etl::LDAP_CLIENT_PROVIDER) {
        return Some(evtriage_etl::LDAP_CLIENT_PROVIDER_NAME);
    }
    e.tracelogging.as_ref().and_then(|tl| tl.provider_name.as_deref())
}

fn kernel_guid(e: &EtlEvent) -> Option<evtriage_etl::Guid> {
    let group = (e.hook_id? >> 8) as u8;
    evtriage_etl::kernel_group(group).map(|(_, g)| g)
}

/// One ETL record as an [`Event`] from `source`.
pub fn to_event(e: &EtlEvent, source: Arc<str>) -> Event {
    let origin = Origin::new(source, Locator::EtlBuffer { buffer: e.buffer, offset: e.offset });
    let mut ev = Event::new(provider_name(e).map(str::to_owned), u32::from(e.event_id()), origin);
    ev.provider.guid = e.provider.or_else(|| kernel_guid(e));
    ev.time = e.time;
    ev.process_id = e.process_id;
    ev.thread_id = e.thread_id;
    ev.activity_id = e.activity_id;
    ev.related_activity_id = e.extended.iter().find_map(|x| x.related_activity_id());
    ev.user_sid = e.extended.iter().find_map(|x| x.sid());
    if let Some(d) = &e.descriptor {
        ev.version = Some(d.version);
        ev.level = Some(d.level);
        ev.task = Some(d.task);
        ev.opcode = Some(d.opcode);
        ev.keywords = Some(d.keywords);
    } else if let Some(c) = &e.class {
        ev.version = u8::try_from(c.version).ok();
        ev.level = Some(c.level);
        ev.opcode = Some(c.kind);
    } else if let Some(hook) = e.hook_id {
        ev.opcode = Some((hook & 0xff) as u8);
        ev.version = e.kernel_version.and_then(|v| u8::try_from(v).ok());
        ev.data.push(DataItem::named("HookId", format!("{hook:#06x}")));
        if let Some((class, _)) = evtriage_etl::kernel_group((hook >> 8) as u8) {
            ev.data.push(DataItem::named("KernelClass", class));
        }
    }
    let mut info =
        TraceInfo { processor: Some(e.processor), header_kind: Some(e.kind.name().to_owned()), ..TraceInfo::default() };
    match &e.ldap {
        Some(LdapClientEvent::Message(text)) => {
            ev.channel = Some("Debug".to_owned());
            ev.data.push(DataItem::named("Message", text.clone()));
            ev.message = Some(text.clone());
            info.ldap = crate::ldap::parse_ldap_message(text);
        }
        Some(search @ LdapClientEvent::Search { scope, filter, dn, attributes, process_id }) => {
            ev.channel = Some("Debug".to_owned());
            ev.data.push(DataItem::named("ScopeOfSearch", scope.to_string()));
            ev.data.push(DataItem::named("SearchFilter", filter.clone()));
            ev.data.push(DataItem::named("DistinguishedName", dn.clone()));
            ev.data.push(DataItem::named("AttributeList", attributes.clone()));
            ev.data.push(DataItem::named("ProcessId", process_id.to_string()));
            ev.message = Some(search.text());
        }
        None => {
            if let Some(tl) = &e.tracelogging {
                info.event_name = Some(tl.event_name.clone());
                ev.data.extend(tl.fields.iter().map(|(k, v)| DataItem::named(k.clone(), v.clone())));
            }
            let decoded = e.tracelogging.as_ref().is_some_and(|tl| tl.complete);
            if !decoded && !e.payload.is_empty() {
                info.payload = Some(e.payload.clone());
            }
        }
    }
    ev.trace = Some(Box::new(info));
    ev
}
