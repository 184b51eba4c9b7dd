//! Fuzzes the rule loader: TOML parsing, validation, regex compilation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(rule) = evtriage_rules::Rule::parse(text, evtriage_rules::RuleOrigin::Builtin("fuzz.toml")) {
            let mut set = evtriage_rules::RuleSet::new();
            set.add(rule);
            let _ = set.event_keys();
        }
    }
});
