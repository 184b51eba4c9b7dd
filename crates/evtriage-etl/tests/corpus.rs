//! The real traces in `$EVTRIAGE_CORPUS/etl/` (from airbus-cert/etl-parser's
//! test data). Counts were cross-checked once with the Python `etl-parser`
//! package; see docs/etl.md.

use evtriage_etl::{parse, HeaderKind, Trace};
use evtriage_testutil::corpus;

fn load(rel: &str) -> Option<(Vec<u8>, Trace)> {
    let p = corpus(rel)?;
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
    let trace = parse(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
    Some((bytes, trace))
}

fn kinds(t: &Trace) -> Vec<(&'static str, u64)> {
    t.stats.by_kind.iter().map(|(k, n)| (k.name(), *n)).collect()
}

fn providers(t: &Trace) -> Vec<(String, u64)> {
    t.stats.by_provider.iter().map(|(g, n)| (g.to_string(), *n)).collect()
}

fn assert_ordered_and_within_session(t: &Trace) {
    assert!(t.events.windows(2).all(|w| w[0].raw_timestamp <= w[1].raw_timestamp), "events are not in time order");
    let h = t.logfile.as_ref().expect("logfile header");
    let start = evtriage_etl::clock::filetime_to_utc(h.start_time).expect("start time");
    let end = evtriage_etl::clock::filetime_to_utc(h.end_time).expect("end time");
    for e in &t.events {
        let time = e.time.expect("every event has a time");
        assert!(time >= start && time <= end, "{time} outside {start}..{end}");
    }
}

#[test]
fn amsi_trace() {
    let Some((_, t)) = load("etl/AMSITrace.etl") else { return };
    assert!(t.damage.is_empty(), "{:?}", t.damage);
    let h = t.logfile.as_ref().expect("logfile header");
    assert_eq!(h.logger_name, "AMSITraceSession");
    assert_eq!(h.log_file_name, "c:\\work\\AMSITrace.etl");
    assert_eq!((h.clock_type, h.pointer_size, h.processors, h.buffer_size), (1, 8, 8, 65536));
    assert_eq!((h.perf_freq, h.buffers_written, h.events_lost, h.provider_version), (10_000_000, 6, 3, 18362));
    assert_eq!(h.version, [10, 0, 1, 5]);
    assert_eq!(t.logfile.as_ref().map(|h| h.start_time), Some(0x01d5e5908e630582));
    assert_eq!(t.stats.buffers, 6);
    assert_eq!(kinds(&t), vec![("system64", 2), ("event_header64", 19)]);
    assert_eq!(providers(&t), vec![("{8e805eb3-6a8f-4a1e-90fa-a831d94e54a1}".to_string(), 19)]);
    // 19 AMSI events plus the second system record of the header buffer.
    assert_eq!(t.events.len(), 20);
    let amsi: Vec<_> = t.events.iter().filter(|e| e.kind == HeaderKind::EventHeader64).collect();
    // TraceLogging-style events: id 0, level 5 (verbose), keywords 0.
    assert!(amsi.iter().all(|e| e.event_id() == 0 && e.level() == Some(5)));
    let first = amsi.first().expect("an AMSI event");
    assert_eq!((first.processor, first.process_id, first.thread_id), (5, Some(38080), Some(40928)));
    assert_eq!(first.time.map(|t| t.to_rfc3339()).as_deref(), Some("2020-02-17T12:48:57.454272300+00:00"));
    assert_eq!(first.payload.len(), 374);
    // Self-describing (TraceLogging) events: all 19 decode completely.
    assert!(amsi.iter().all(|e| e.tracelogging.as_ref().is_some_and(|tl| tl.complete
        && tl.event_name == "AmsiScript"
        && tl.provider_name.as_deref() == Some("AmsiTrace"))));
    let tl = first.tracelogging.as_ref().expect("tracelogging");
    let fields: Vec<(&str, &str)> = tl.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let script =
        concat!(r#"IWshShell3.Run("powershell.exe -nop -w 1 -enc RwBlAHQALQBBAGwAaQBhAHMA", "0", "true");"#, "\r\n");
    assert_eq!(fields, vec![("Engine", "VBScript"), ("Script", script), ("Raw Script", script)]);
    assert_ordered_and_within_session(&t);
}

#[test]
fn lxcore_kernel_trace() {
    let Some((_, t)) = load("etl/lxcore_kernel.etl") else { return };
    assert!(t.damage.is_empty(), "{:?}", t.damage);
    let h = t.logfile.as_ref().expect("logfile header");
    assert_eq!(h.logger_name, "lxcore_kernel");
    assert_eq!((h.buffer_size, h.processors), (8192, 6));
    assert_eq!(t.stats.buffers, 3);
    assert_eq!(kinds(&t), vec![("system64", 2), ("event_header64", 2)]);
    assert_eq!(providers(&t), vec![("{0cd1c309-0878-4515-83db-749843b3f5c9}".to_string(), 2)]);
    let lx: Vec<_> = t.events.iter().filter(|e| e.provider.is_some()).collect();
    assert_eq!(lx.len(), 2);
    // Buffers of processors 3 and 5 hold one event each; the merge puts processor 5's first (earlier).
    assert_eq!(lx.iter().map(|e| e.processor).collect::<Vec<_>>(), vec![5, 3]);
    assert!(lx.iter().all(|e| e.level() == Some(2) && e.process_id == Some(5876)));
    let tl = lx.first().and_then(|e| e.tracelogging.as_ref()).expect("tracelogging");
    assert_eq!(tl.provider_name.as_deref(), Some("Microsoft.Windows.Subsystem.LxCore"));
    assert_eq!(tl.event_name, "BreakPoint");
    assert!(tl.complete);
    let get = |k: &str| tl.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("Function"), Some("LxpDrvFsTypeMount"));
    assert_eq!(get("Line"), Some("10528"));
    assert_eq!(get("LxPid"), Some("-1"));
    assert_eq!(get("Message"), Some("Failed to open volume C:\\WINDOWS\\system32\\lxss\\tools, result -2\n"));
    assert_ordered_and_within_session(&t);
}

#[test]
fn shutdown_perf_diag_trace() {
    let Some((_, t)) = load("etl/ShutdownPerfDiagLogger.etl") else { return };
    assert!(t.damage.is_empty(), "{:?}", t.damage);
    let h = t.logfile.as_ref().expect("logfile header");
    assert_eq!(h.logger_name, "PerfDiag Logger");
    assert_eq!(h.processors, 2);
    assert_eq!(t.stats.buffers, 49);
    // etl-parser counts 8430 system records: it skips the header buffer, which holds 3.
    assert_eq!(t.buffers.first().map(|b| b.records), Some(3));
    assert_eq!(kinds(&t), vec![("system64", 8433), ("perfinfo64", 8645)]);
    assert!(t.stats.by_provider.is_empty());
    assert_eq!(t.events.len(), 8433 + 8645 - 1);
    // Two processors, buffers interleaved in the file; sequence order is restored.
    let procs: std::collections::BTreeSet<u32> = t.events.iter().map(|e| e.processor).collect();
    assert_eq!(procs.into_iter().collect::<Vec<_>>(), vec![0, 1]);
    assert_ordered_and_within_session(&t);
}

/// Cuts and byte flips over the real files: never a panic, never an endless
/// loop, and whatever is reported names a buffer inside the file.
#[test]
fn truncation_and_byte_flip_sweep() {
    let mut files = Vec::new();
    for rel in ["etl/AMSITrace.etl", "etl/lxcore_kernel.etl", "etl/ShutdownPerfDiagLogger.etl"] {
        match load(rel) {
            Some((bytes, t)) => files.push((bytes, t.events.len())),
            None => return,
        }
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (bytes, full_events) in &files {
        // Larger files get fewer trials to keep the sweep around a second.
        let trials = if bytes.len() > 1 << 20 { 12 } else { 120 };
        for i in 0..trials {
            let cut = (next() as usize) % bytes.len();
            let cut_to = if i % 3 == 0 { cut } else { cut.max(0x60) };
            if let Ok(t) = parse(bytes.get(..cut_to).unwrap_or_default()) {
                assert!(t.events.len() <= *full_events);
                assert!(t.damage.iter().all(|d| d.file_offset < cut_to as u64));
            }
            let mut flipped = bytes.clone();
            for _ in 0..8 {
                let at = (next() as usize) % flipped.len();
                if let Some(b) = flipped.get_mut(at) {
                    *b ^= (next() as u8) | 1;
                }
            }
            if let Ok(t) = parse(&flipped) {
                assert!(t.buffers.len() as u64 <= (flipped.len() as u64 / 0x48) + 1);
            }
        }
    }
}

/// A much longer flip sweep over the small corpus files, for hunting panics
/// by hand: `cargo test -p evtriage-etl --release -- --ignored`.
#[test]
#[ignore = "slow; run by hand"]
fn long_byte_flip_sweep() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for rel in ["etl/AMSITrace.etl", "etl/lxcore_kernel.etl"] {
        let Some((bytes, _)) = load(rel) else { return };
        for _ in 0..20_000 {
            let mut flipped = bytes.clone();
            let n = 1 + next() % 64;
            for _ in 0..n {
                let at = (next() as usize) % flipped.len();
                if let Some(b) = flipped.get_mut(at) {
                    *b = next() as u8;
                }
            }
            // Hit the interesting first bytes of buffers more often.
            let buf = ((next() as usize) % (flipped.len() / 0x2000).max(1)) * 0x2000;
            let at = buf + (next() as usize) % 0x200;
            if let Some(b) = flipped.get_mut(at) {
                *b = next() as u8;
            }
            let _ = parse(&flipped);
        }
    }
}
