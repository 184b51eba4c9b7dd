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
//! Windows API documentation, licensed under CC BY 4.0; LDAP and NTSTATUS
//! names from the public-domain mingw-w64 headers.
//!
//! The pieces:
//! - [`model`]: the records ([`Event`], [`SocketEntry`], [`RegistryValue`], …)
//!   and their [`Origin`], which lets every finding point back at its evidence;
//! - [`read`]: the [`Reader`], which walks paths, recognises formats by
//!   content ([`mod@format`]) and streams records to a [`Sink`];
//! - [`diag`]: [`Diagnostic`]s for whatever could not be read — damage is
//!   reported and skipped, never fatal;
//! - one module per source format ([`evtx`], [`xml_event`] and the text
//!   formats and zip archives under [`sources`], decoded by [`text`]; LDAP
//!   client trace messages parsed by [`ldap`]); `docs/formats.md` lists them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codes;
pub mod diag;
pub mod error;
pub mod etl;
pub mod evtx;
pub mod format;
pub mod ldap;
pub mod message;
pub mod model;
pub mod read;
pub mod sources;
pub mod text;
pub mod util;
pub mod walk;
pub mod xml_event;

pub use diag::{Diagnostic, Severity};
pub use error::{Error, Result};
pub use format::Format;
pub use model::{
    CommandOutput, DataItem, DataSection, Event, Guid, LdapClientMessage, Locator, Origin, ProcessEntry, Protocol,
    Provider, Record, RegData, RegistryValue, SocketEntry, TraceInfo,
};
pub use read::{Collect, EventFilter, EventKey, InputSummary, ReadOptions, Reader, Sink};
