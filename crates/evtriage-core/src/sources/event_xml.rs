//! Event Viewer "Save as XML", `wevtutil qe /f:xml`, and `tracerpt -of XML`.
//!
//! All three are `<Event>` elements of the Windows event schema: Event Viewer
//! wraps them in `<Events>` and uses single-quoted attributes; `wevtutil`
//! writes them back to back with no wrapper and usually no declaration;
//! tracerpt wraps them in `<Events>`, writes local times with an offset, the
//! processor in `Execution/@ProcessorID`, and the trace text of WPP/manifest
//! providers as `<Data Name="Message">`. Each element is parsed by
//! [`crate::event_parser`]; a broken or truncated one is skipped with its line.
//!
//! For tracerpt, an event with no rendered message takes its `Message` data
//! item as message, and Microsoft-Windows-LDAP-Client events get their message
//! parsed ([`crate::ldap`]).

use crate::contract::Format;
use crate::event_parser::XmlEvents;

use super::Ctx;

/// The note for an XML document that holds no `<Event>` element.
pub(crate) const NO_EVENTS: &str = "XML document without any <Event> element";

/// Reads every `<Event>` of `text`.
pub fn read(text: &str, format: Format, ctx: &mut Ctx<'_>) {
    if read_events(text, format, ctx) == 0 {
        ctx.note(NO_EVENTS);
    }
}

/// [`read`] without the note when there is no event; returns how many
/// elements were found (read or skipped).
pub(crate) fn read_events(text: &str, format: Format, ctx: &mut Ctx<'_>) -> u64 {
    let mut seen = 0u64;
    for item in XmlEvents::new(text, ctx.name.clone()) {
        seen += 1;
        match item {
            Ok(mut ev) => {
                if ev.message.is_none() {
                    if let Some(m) = ev.data_named("Message") {
                        if format == Format::TracerptXml || ev.data.len() == 1 {
                            ev.message = Some(m.to_string());
                        }
                    }
                }
                crate::ldap::enrich_event(&mut ev);
                ctx.event(ev);
            }
            Err(d) => ctx.diagnostic(d),
        }
    }
    seen
}
