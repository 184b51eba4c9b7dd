//! How much of what real servers log the offline template table renders.
//!
//! Issue 19 asks that, from the table alone (no LocaleMetaData, no rendered
//! twin), at least 80% of the live System records and 60% of the live
//! Application records of the corpus (`evtx/` and `evtx-more/`) get a real
//! message. This test measures that share over every `.evtx` of both
//! folders, read through the [`Reader`] as users read them, and names the
//! largest uncovered (provider, event id) pairs when the share falls short.

use std::collections::HashMap;

use evtriage_core::message;
use evtriage_core::{Reader, Unit};
use evtriage_testutil::corpus;

/// Records of one channel: all, and those whose message comes from a template row.
#[derive(Default)]
struct Share {
    all: u64,
    templated: u64,
    /// Uncovered records by (provider, event id).
    missing: HashMap<(String, u32), u64>,
}

impl Share {
    fn percent(&self) -> f64 {
        if self.all == 0 {
            0.0
        } else {
            100.0 * self.templated as f64 / self.all as f64
        }
    }

    fn worst(&self, n: usize) -> String {
        let mut v: Vec<_> = self.missing.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter().take(n).map(|((p, id), k)| format!("  {k:>6}  {p} {id}\n")).collect()
    }
}

type Tally = Vec<(String, String, u32, bool)>;

fn tally(unit: Unit) -> Tally {
    unit.records()
        .filter_map(|r| r.as_event())
        .filter(|e| matches!(e.channel.as_deref(), Some("System" | "Application")))
        .map(|e| {
            let templated = message::template_for(e).is_some();
            let provider = e.provider.name.clone().or_else(|| e.provider.event_source_name.clone()).unwrap_or_default();
            (e.channel.clone().unwrap_or_default(), provider, e.event_id, templated)
        })
        .collect()
}

#[test]
fn table_alone_renders_most_system_and_application_records() {
    let (Some(evtx), Some(more)) = (corpus("evtx"), corpus("evtx-more")) else { return };
    let mut shares: HashMap<String, Share> = HashMap::new();
    Reader::default().read_paths_map(&[evtx, more], &tally, |rows: Tally| {
        for (channel, provider, id, templated) in rows {
            let s = shares.entry(channel).or_default();
            s.all += 1;
            if templated {
                s.templated += 1;
            } else {
                *s.missing.entry((provider, id)).or_default() += 1;
            }
        }
    });
    let system = shares.remove("System").unwrap_or_default();
    let application = shares.remove("Application").unwrap_or_default();
    let report = format!(
        "System: {}/{} = {:.1}%, largest uncovered:\n{}Application: {}/{} = {:.1}%, largest uncovered:\n{}",
        system.templated,
        system.all,
        system.percent(),
        system.worst(25),
        application.templated,
        application.all,
        application.percent(),
        application.worst(25)
    );
    eprintln!("{report}");
    // The corpus as described in its MANIFESTs: enough records for the shares to mean something.
    assert!(system.all > 20_000 && application.all > 3_500, "{report}");
    assert!(system.percent() >= 80.0, "{report}");
    assert!(application.percent() >= 60.0, "{report}");
}
