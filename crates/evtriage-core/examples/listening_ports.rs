//! Lists the listening sockets of a `netstat -ano`/`-anob` capture (or of
//! every capture in a folder or zip), with the owning process when known —
//! the snapshot side of the model.
//!
//! ```sh
//! cargo run -p evtriage-core --example listening_ports -- fixtures/inputs/netstat_anob_ex1.txt
//! ```

use evtriage_core::{Collect, Reader, Record};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    if paths.is_empty() {
        eprintln!("usage: listening_ports PATH...");
        std::process::exit(2);
    }
    let mut sink = Collect::default();
    Reader::default().read_paths(&paths, &mut sink);
    for record in &sink.records {
        if let Record::Socket(s) = record {
            if s.is_listening() {
                let owner = match (&s.image, s.pid) {
                    (Some(image), _) => image.clone(),
                    (None, Some(pid)) => format!("pid {pid}"),
                    (None, None) => "-".into(),
                };
                println!("{:<4} {:>5}  {:<40} {owner}", s.protocol, s.local_port, s.local_address);
            }
        }
    }
    for d in &sink.diagnostics {
        eprintln!("{d}");
    }
}
