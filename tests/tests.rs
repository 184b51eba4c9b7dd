//! End-to-end tests of the `evtriage` binary, run as a user would, over one
//! shared harness (`util`). One test program (as ripgrep's `tests/tests.rs`):
//! one link step instead of one per file. The libraries in `crates/` keep
//! their own unit and integration tests.

mod util;

mod analyze;
mod dump;
mod explain;
mod hostile;
mod inputs;
mod reliability;
mod schemas;
mod timeline;
