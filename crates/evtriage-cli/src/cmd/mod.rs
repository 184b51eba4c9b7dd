//! One module per subcommand; `main.rs` only parses and dispatches.

pub mod analyze;
pub mod dump;
pub mod inputs;
pub mod rules;
