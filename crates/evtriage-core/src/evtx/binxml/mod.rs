//! A small BinXML reader: template definitions into compiled schemas, and
//! template instances mapped through them straight into [`crate::Event`]
//! fields.
//!
//! An evtx record is almost always one *template instance*: a reference to a
//! template definition stored once per chunk (the XML skeleton of the event,
//! with numbered holes) plus the typed substitution values that fill the
//! holes. Rendering every record to XML and parsing the XML back is the slow
//! way to get at its fields. Instead, each definition is parsed once per chunk
//! into a schema that says "hole 3 is `System/EventID`, hole 8 is
//! `EventData/Data[@Name='param1']`", and each record is then decoded by
//! looking at its values only.
//!
//! Records that are not a template instance (raw elements) go through the same
//! tree parser, with literal values in place of holes. Substitution values
//! that are themselves BinXML fragments (typical for `UserData`) are parsed
//! recursively, with a depth limit.
//!
//! Everything here reads untrusted bytes: every access is bounds-checked and a
//! malformed structure becomes a [`DecodeError`], never a panic.
//!
//! The stages, each depending only on those before it:
//!
//! 1. `cursor`: the bounds-checked reader and [`DecodeError`];
//! 2. `values`: substitution values and scalars rendered as text;
//! 3. `tree`: a fragment's tokens parsed into elements and text;
//! 4. `template`: a definition's tree compiled into a schema;
//! 5. `cache`: compiled schemas per chunk ([`SchemaCache`]) and per worker
//!    ([`Templates`]);
//! 6. `instance`: a record's stream (template instance or plain elements)
//!    and its substitution values as a schema reads them;
//! 7. `keys`: content and line keys, with [`ShapeNumbers`];
//! 8. `decode`: [`decode_record`] and the [`DecodedRecord`] finished into an
//!    event.

mod cache;
mod cursor;
mod decode;
mod instance;
mod keys;
mod template;
mod tree;
mod values;

pub(crate) use cache::{SchemaCache, Templates};
pub(crate) use cursor::DecodeError;
pub(crate) use decode::{decode_record, DecodedRecord, PerRecord};
pub(crate) use instance::{names_other_template, DAMAGED_VALUE};
pub(crate) use keys::{KeyKind, ShapeNumbers};
pub(crate) use values::{filetime_to_utc, RawValue};
