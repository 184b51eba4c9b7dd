//! Hostile rule files: oversized files, regular expressions built to blow up,
//! deeply nested TOML. Each is refused with an error that says why; none can
//! make loading or matching take more than linear time or crash.

use evtriage_rules::rule::MAX_RULE_FILE_BYTES;
use evtriage_rules::{Rule, RuleOrigin, RuleSet};

const BASE: &str = "id = \"x\"\ntitle = \"t\"\ncause = \"c\"\n";

/// A user's rule file (its regular expressions are built in full at load).
fn parse(text: &str) -> Result<Rule, String> {
    Rule::parse(text, RuleOrigin::File("t.toml".into())).map_err(|e| e.to_string())
}

fn with_regex(re: &str) -> String {
    format!("{BASE}[anchor]\nprovider = \"P\"\n[[anchor.where]]\nfield = \"a\"\nregex = '{re}'\n")
}

#[test]
fn a_sound_rule_still_loads() {
    let r = parse(&with_regex(r"^(?i)ismserv$")).expect("loads");
    assert_eq!(r.id(), "x");
}

#[test]
fn regex_that_would_compile_huge_is_refused() {
    // Compiles to hundreds of MB in a naive engine; refused by the size limit.
    let e = parse(&with_regex(r"(\w{100}){100}")).expect_err("refused");
    assert!(e.contains("regex") && e.contains("size limit"), "{e}");
    let e = parse(&with_regex(&"(".repeat(500))).expect_err("refused");
    assert!(e.contains("regex"), "{e}");
}

#[test]
fn built_in_rules_build_their_expressions_when_used_and_all_of_them_build() {
    // A built-in rule's syntax is checked at load; the expression is built
    // when first used, so a bad one would show here.
    let e = Rule::parse(&with_regex("("), RuleOrigin::Builtin("t.toml")).map(|_| ()).map_err(|e| e.to_string());
    assert!(e.as_ref().is_err_and(|e| e.contains("regex")), "{e:?}");
    let huge = Rule::parse(&with_regex(r"(\w{100}){100}"), RuleOrigin::Builtin("t.toml")).expect("syntax is fine");
    assert!(huge.build_regexes().is_err_and(|e| e.contains("size limit")));
    let set = RuleSet::builtin().expect("built-in rules load");
    for r in set.rules() {
        r.build_regexes().unwrap_or_else(|e| panic!("{}: {e}", r.id()));
    }
}

#[test]
fn message_regex_is_bounded_too() {
    let text = format!("{BASE}[anchor]\nprovider = \"P\"\nmessage = '(\\w{{100}}){{100}}'\n");
    let e = parse(&text).expect_err("refused");
    assert!(e.contains("message regex") && e.contains("size limit"), "{e}");
}

#[test]
fn deeply_nested_toml_is_an_error_not_a_stack_overflow() {
    for depth in [1_000usize, 100_000] {
        let text = format!("{BASE}x = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&text).is_err(), "depth {depth} accepted");
        let text = format!("{BASE}x = {}1{}\n", "{a=".repeat(depth), "}".repeat(depth));
        assert!(parse(&text).is_err(), "inline tables depth {depth} accepted");
    }
}

#[test]
fn oversized_rule_text_is_refused_before_parsing() {
    let mut text = with_regex("a");
    text.push_str(&format!("# {}\n", "x".repeat(MAX_RULE_FILE_BYTES)));
    let e = parse(&text).expect_err("refused");
    assert!(e.contains("above the") && e.contains(&MAX_RULE_FILE_BYTES.to_string()), "{e}");
}

#[test]
fn oversized_rule_file_in_a_folder_is_named_and_not_read() {
    let dir = std::env::temp_dir().join(format!("evtriage-rel-rules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let big = dir.join("huge.toml");
    let f = std::fs::File::create(&big).expect("create");
    // A sparse 4 GiB file: reading it would take the memory; the size check must come first.
    f.set_len(4 << 30).expect("set_len");
    let mut set = RuleSet::new();
    let e = set.load_dir(&dir).expect_err("refused").to_string();
    assert!(e.contains("huge.toml") && e.contains("above the"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
