//! # evtriage-core
//!
//! Reads the logs a support engineer collects from a Windows server — `.evtx`
//! files, Event Viewer and `wevtutil` XML exports, ETW traces, `netstat`,
//! `tasklist`, registry exports — into one typed [`Record`] model, offline, on
//! any platform.
//!
//! Messages render offline as Event Viewer shows them ([`message`]: `%%58` →
//! "The specified server cannot perform the requested operation."), and error
//! codes of every Windows namespace are looked up from compiled-in tables
//! ([`codes`]). Data attribution: the error-code tables (`data/codes/`, see
//! its `PROVENANCE.md`) — Error code descriptions © Microsoft, from the
//! Windows API documentation, licensed under CC BY 4.0 (the Win32, NERR,
//! Winsock and HRESULT tables and the LDAP texts); LDAP and NTSTATUS names
//! from the public-domain mingw-w64 headers.
//!
//! The pieces:
//! - [`model`]: the records ([`Event`], [`SocketEntry`], [`RegistryValue`], …)
//!   and their [`Origin`], which lets every finding point back at its evidence;
//! - [`contract`]: what every reader promises and asks — the [`Sink`]
//!   records go to (with a hook before and after each input), the
//!   [`ReadOptions`] (built as `ReadOptions::new().threads(2)…`), the
//!   [`EventFilter`] that chooses events before they are decoded, and the
//!   [`InputSummary`] of each input;
//! - the [`Reader`], which walks paths, recognises formats by
//!   content ([`mod@format`]), runs the decoding on a thread pool (the
//!   pipeline: bounded, delivered in input order) and streams records to a
//!   [`Sink`], or hands each [`Unit`] of work to a function on the workers;
//! - [`diag`]: [`Diagnostic`]s for whatever could not be read — damage is
//!   reported and skipped, never fatal;
//! - [`boot`]: which events mark a boot, and how a computer's markers group
//!   into boot sessions;
//! - one module per source format ([`evtx`], [`event_parser`] and the text
//!   formats and zip archives under [`sources`], decoded by [`text`]; LDAP
//!   client trace messages parsed by [`ldap`]); `docs/formats.md` lists them.
//!
//! ## Read a file into events
//!
//! ```
//! use evtriage_core::{Collect, Reader};
//!
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/evtx/example-dc-boot.xml");
//! // `path` may be a file, a folder (walked) or a zip archive; the format is
//! // recognised by content.
//! let mut sink = Collect::default();
//! let inputs = Reader::default().read_path(path.as_ref(), &mut sink);
//! assert_eq!(inputs[0].format, evtriage_core::Format::EventXml);
//!
//! for event in sink.events() {
//!     // Messages render offline, as Event Viewer would show them.
//!     let text = evtriage_core::message::render(event);
//!     if event.event_id == 7023 {
//!         assert!(text.ends_with("The specified server cannot perform the requested operation."));
//!     }
//! }
//! assert_eq!(sink.events().count(), 12);
//! // Anything that could not be read is a diagnostic, never a panic.
//! for d in &sink.diagnostics {
//!     eprintln!("{d}");
//! }
//! ```
//!
//! ## Stream instead of collecting
//!
//! For large inputs, implement [`Sink`] and keep only what you need; a
//! [`ReadOptions::event_filter`] skips unwanted events before they are decoded:
//! a closure on the event's key, as below, or an [`EventFilter`] that also
//! reviews decoded events on the worker threads (how `evtriage analyze`
//! passes over the records no rule uses).
//!
//! ```
//! use std::sync::Arc;
//! use evtriage_core::{Diagnostic, EventKey, ReadOptions, Reader, Record, Sink};
//!
//! /// Counts service failures (SCM 7023/7024/7031/7034).
//! #[derive(Default)]
//! struct Failures(u32);
//!
//! impl Sink for Failures {
//!     fn record(&mut self, record: Record) {
//!         if record.as_event().is_some() {
//!             self.0 += 1;
//!         }
//!     }
//!     fn diagnostic(&mut self, _d: Diagnostic) {}
//! }
//!
//! let options = ReadOptions::new().event_filter(Arc::new(|k: &EventKey<'_>| {
//!     k.provider == Some("Service Control Manager") && matches!(k.event_id, 7023 | 7024 | 7031 | 7034)
//! }));
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/evtx/example-dc-boot.xml");
//! let mut sink = Failures::default();
//! Reader::new(options).read_path(path.as_ref(), &mut sink);
//! assert_eq!(sink.0, 1);
//! ```
//!
//! More in `examples/` (`cargo run -p evtriage-core --example read_events -- PATH`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod boot;
pub mod codes;
pub mod console;
pub mod contract;
pub mod diag;
pub mod display;
pub mod format;
pub mod locale;
pub mod message;
pub mod model;
mod pipeline;
mod read;
mod twins;
mod work;
pub mod zone;

// Internals: the readers of each format, the evtx decoder, the fast JSON-lines
// writer. Public for the fuzz targets, the workspace's tests and the output
// crate only; not part of the API (no documentation, no stability).
#[doc(hidden)]
pub mod etl;
#[doc(hidden)]
pub mod evtx;
#[doc(hidden)]
pub use evtx::check as evtx_check;
#[doc(hidden)]
pub mod event_parser;
#[doc(hidden)]
pub mod jsonl;
#[doc(hidden)]
pub mod ldap;
#[doc(hidden)]
pub mod sources;
#[doc(hidden)]
pub mod text;
#[doc(hidden)]
pub mod walk;

pub use contract::{
    unread, Collect, EventFilter, EventKey, Format, InputSummary, ReadOptions, Selection, Sink, Unread,
};
#[doc(hidden)]
pub use contract::{ContentId, JsonLines, KeepLine, LineFacts, Reviewer, Verdict};
pub use diag::{Diagnostic, Severity};
pub use model::{
    utc_offset_of_zone, CommandOutput, ComputerInfo, DataItem, DataSection, DisplayNames, Event, Guid, InstalledUpdate,
    LdapClientMessage, Locator, MessageSource, Origin, PortRange, PortRangeKind, ProcessEntry, Protocol, Provider,
    Record, RegData, RegistryValue, SocketEntry, TraceInfo,
};
pub use read::Reader;
pub use work::{Entry, Unit};
pub use zone::SourceTz;
