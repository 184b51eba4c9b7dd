//! Prints what the reader finds in `.etl` files: header, counts, damage.
//! `cargo run -p evtriage-etl --example etlstat -- file.etl...`

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        match evtriage_etl::parse(&bytes) {
            Err(e) => println!("{path}: {e}"),
            Ok(t) => {
                println!("== {path}");
                if let Some(h) = &t.logfile {
                    println!(
                        "logger {:?} file {:?} clock {} ptr {} procs {} bufsize {} mode {:#x} written {} lost {}/{}",
                        h.logger_name,
                        h.log_file_name,
                        h.clock_type,
                        h.pointer_size,
                        h.processors,
                        h.buffer_size,
                        h.log_file_mode,
                        h.buffers_written,
                        h.events_lost,
                        h.buffers_lost
                    );
                    println!(
                        "start {:?} end {:?}",
                        evtriage_etl::clock::filetime_to_utc(h.start_time),
                        evtriage_etl::clock::filetime_to_utc(h.end_time)
                    );
                }
                println!("buffers {} skipped {}", t.stats.buffers, t.stats.buffers_skipped);
                for (k, n) in &t.stats.by_kind {
                    println!("  kind {} {n}", k.name());
                }
                for (g, n) in &t.stats.by_provider {
                    println!("  provider {g} {n}");
                }
                println!("events {}", t.events.len());
                if let (Some(a), Some(b)) = (t.events.first(), t.events.last()) {
                    println!("first {:?} last {:?}", a.time, b.time);
                }
                for d in &t.damage {
                    println!(
                        "  damage buffer {} at {:#x} rec {:?}: {}",
                        d.buffer, d.file_offset, d.record_offset, d.error
                    );
                }
            }
        }
    }
}
