//! Reads the given files, folders or zip archives and prints one line per
//! event (UTC time, id, provider, rendered message), then the diagnostics.
//!
//! ```sh
//! cargo run -p evtriage-core --example read_events -- fixtures/evtx/example-dc-boot.xml
//! ```

use evtriage_core::{Collect, Reader};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    if paths.is_empty() {
        eprintln!("usage: read_events PATH...");
        std::process::exit(2);
    }
    let mut sink = Collect::default();
    let inputs = Reader::default().read_paths(&paths, &mut sink);
    for event in sink.events() {
        let time = event.time.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
        let message = evtriage_core::message::render(event);
        let first_line = message.lines().next().unwrap_or("");
        println!("{time}  {:>5}  {}  {first_line}", event.event_id, event.provider_label());
    }
    for input in &inputs {
        eprintln!("{}: {} ({} records, {} skipped)", input.path, input.format.name(), input.records, input.skipped);
    }
    for d in &sink.diagnostics {
        eprintln!("{d}");
    }
}
