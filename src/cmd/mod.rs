//! One module per subcommand; `main.rs` only parses and dispatches.

pub mod analyze;
pub mod completions;
pub mod dump;
pub mod explain;
pub mod inputs;
pub mod rules;
pub mod timeline;
