//! # evtriage-etl
//!
//! Reads binary Event Tracing for Windows files (`.etl`) offline, on any
//! platform, without `tracerpt`.
//!
//! An `.etl` file is a sequence of fixed-size *buffers*. Each buffer starts
//! with a `WMI_BUFFER_HEADER` ([`BufferHeader`]) naming the processor that
//! filled it and a sequence number, then holds 8-byte aligned *records*. The
//! first record of the first buffer is the trace's `TRACE_LOGFILE_HEADER`
//! ([`LogfileHeader`]): start time, clock type, pointer size, logger name.
//! Records come in several header kinds ([`HeaderKind`]): kernel system and
//! PerfInfo records, classic `EVENT_TRACE_HEADER` and instance records, and
//! the manifest-era `EVENT_HEADER` with provider GUID and event descriptor.
//!
//! Because every processor fills its own buffers and circular (`bincirc`)
//! files reuse buffer slots, buffers are not in time order in the file:
//! [`parse`] orders them per processor by sequence number and merges the
//! processors by timestamp ([`Trace::events`]). Timestamps are converted from
//! the trace's clock (QPC, system time or CPU cycles) to UTC ([`Clock`]).
//!
//! Damage never stops reading: a buffer or record that cannot be read is
//! skipped and described in [`Trace::damage`] (buffer index, file offset,
//! reason), and the rest is kept. Every size read from the file is bounded.
//!
//! Events of Microsoft-Windows-LDAP-Client are decoded ([`ldap`]), and so are
//! self-describing TraceLogging events ([`tracelogging`]); every other event
//! keeps its raw payload. This crate does not depend on `evtriage-core`;
//! the core crate adapts [`EtlEvent`]s into its own model.
//!
//! Format notes and sources: `docs/etl.md` in the repository.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bytes;
pub mod clock;
pub mod error;
mod extended;
pub mod guid;
pub mod header;
pub mod kernel;
pub mod ldap;
pub mod record;
mod trace;
pub mod tracelogging;
#[cfg(feature = "writer")]
pub mod writer;

pub use clock::{Clock, ClockKind};
pub use error::EtlError;
pub use guid::Guid;
pub use header::{BufferHeader, LogfileHeader};
pub use kernel::kernel_group;
pub use ldap::{LdapClientEvent, LDAP_CLIENT_PROVIDER, LDAP_CLIENT_PROVIDER_NAME};
pub use record::{EtlEvent, EventDescriptor, ExtendedItem, HeaderKind, TraceClass};
pub use trace::{looks_like_etl, parse, BufferInfo, Damage, Stats, Trace};
pub use tracelogging::TlEvent;
