//! What a rule says, checked against what it rests on.
//!
//! A finding is a claim a support engineer acts on, so a rule must say where
//! its cause comes from and must not recommend anything harmful. A rule can
//! load and still have [`problems`]: it names no source, cites a KB that
//! none of its sources is, claims `confirmed` on third-party sources only,
//! or has a remediation step with a command known to do damage when pasted
//! as written. The test suite requires the built-in rules to have none;
//! `evtriage rules test` and `rules list` report them for a user's rules.

use crate::finding::{normalize_kb, Confidence};
use crate::rule::Rule;
use crate::spec::SourceSpec;

/// One thing wrong with a rule's sourcing or remediation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The rule id.
    pub rule: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule `{}`: {}", self.rule, self.message)
    }
}

/// Whether every source of the rule is third-party (and there is at least one).
pub fn third_party_only(sources: &[SourceSpec]) -> bool {
    !sources.is_empty() && sources.iter().all(|s| !s.is_microsoft())
}

/// Who documents a third-party-only rule's cause: the publishers, joined.
pub fn publishers(sources: &[SourceSpec]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for s in sources {
        if let Some(p) = s.third_party().filter(|p| !p.is_empty()) {
            if !names.contains(&p) {
                names.push(p);
            }
        }
    }
    names.join(", ")
}

/// The KB numbers of a rule's sources, normalised (`KB296086`).
fn source_kbs(sources: &[SourceSpec]) -> Vec<String> {
    sources.iter().filter_map(SourceSpec::kb_id).collect()
}

/// Everything wrong with a rule's sources and remediation (empty when none).
pub fn problems(rule: &Rule) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut say = |message: String| out.push(Problem { rule: rule.id().to_string(), message });
    let sources = &rule.spec.sources;
    if sources.is_empty() {
        say("names no `sources`: give the articles it rests on, each with what it says".into());
    }
    for (i, s) in sources.iter().enumerate() {
        let n = i + 1;
        if s.title.trim().is_empty() {
            say(format!("source {n} has no title"));
        }
        if s.says.trim().is_empty() {
            say(format!("source {n} (`{}`) does not say what the rule takes from it (`says`)", s.title));
        }
        if s.kb.is_none() && s.url.is_none() {
            say(format!("source {n} (`{}`) has neither `kb` nor `url`", s.title));
        }
        if let Some(k) = &s.kb {
            if normalize_kb(k).is_none() {
                say(format!("source {n} (`{}`): `{k}` is not a KB id", s.title));
            }
        }
        if let Some(u) = &s.url {
            if !u.starts_with("https://") {
                say(format!("source {n} (`{}`): the url must start with https://", s.title));
            }
        }
    }
    let backed = source_kbs(sources);
    let mut cited: Vec<String> = rule.kb.clone();
    for c in rule.checks() {
        for k in &c.kb {
            if !cited.contains(k) {
                cited.push(k.clone());
            }
        }
    }
    for k in cited {
        if !backed.contains(&k) {
            say(format!("cites {k}, which none of its sources is"));
        }
    }
    if third_party_only(sources) && rule.max_confidence() > Confidence::Likely {
        say(format!(
            "rests on third-party sources only ({}) but can reach `{}`: cap it at `likely`",
            publishers(sources),
            rule.max_confidence()
        ));
    }
    let steps = rule.spec.remediation.iter().chain(rule.checks().flat_map(|c| c.remediation.iter()));
    for step in steps {
        if let Some(why) = dangerous(step) {
            say(format!("remediation step `{}`: {why}", evtriage_core::display::one_line(step, 100)));
        }
    }
    out
}

/// Why a remediation step is harmful as written, if it is: commands that the
/// audit of the rules against Microsoft's articles found to do damage when
/// pasted (see `docs/rules.md`, "Remediation that is safe to paste").
pub fn dangerous(step: &str) -> Option<&'static str> {
    let lower = step.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| c.is_whitespace() || c == '`').filter(|w| !w.is_empty()).collect();
    // icacls … /T applies the grant to every file below the folder: on a key
    // folder (C:\ProgramData\ssh) it gives read access to private keys.
    if words.contains(&"icacls") && words.contains(&"/t") {
        return Some(
            "`icacls … /T` applies the change to every file below the folder (on a key folder such as \
             C:\\ProgramData\\ssh it grants read access to the private keys); set the folder only",
        );
    }
    // sc config X depend= A/B replaces the whole list of dependencies.
    if words.contains(&"sc") && words.contains(&"config") && lower.contains("depend=") && !lower.contains("sc qc") {
        return Some(
            "`sc config … depend=` replaces the service's whole dependency list; the step must first read the \
             existing list (`sc qc <service>`) and keep it",
        );
    }
    // Repl Perform Initial Synchronizations = 0 skips the initial AD
    // synchronisation: Microsoft says not for production or ongoing use.
    if lower.contains("repl perform initial synchronizations")
        && !(lower.contains("temporar") && (lower.contains("production") || lower.contains("remove")))
    {
        return Some(
            "`Repl Perform Initial Synchronizations = 0` skips the initial synchronisation; Microsoft says it is \
             for temporary recovery only, not for production or ongoing use, and the value must be removed after",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_rule_is_sourced_and_safe_to_paste() {
        let set = crate::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<Problem> = set.rules().iter().flat_map(|r| problems(r)).collect();
        assert!(all.is_empty(), "{}", all.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"));
        for r in set.rules() {
            // Findings of a rule resting on third-party sources only are capped at likely.
            if third_party_only(&r.spec.sources) {
                assert!(r.max_confidence() <= Confidence::Likely, "{}", r.id());
            }
        }
    }

    #[test]
    fn problems_are_named() {
        let text = |extra: &str| {
            format!(
                "id = \"x\"\ntitle = \"t\"\ncause = \"c\"\nkb = [\"KB1\"]\nconfidence = \"confirmed\"\n{extra}\n[anchor]\nprovider = \"P\"\n"
            )
        };
        let rule = |extra: &str| crate::Rule::parse(&text(extra), crate::RuleOrigin::File("x.toml".into()));
        let Ok(r) = rule("") else { panic!("parses") };
        let msgs: Vec<String> = problems(&r).into_iter().map(|p| p.message).collect();
        assert!(msgs.iter().any(|m| m.contains("names no `sources`")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("cites KB1, which none of its sources is")), "{msgs:?}");
        let third =
            "[[sources]]\ntitle = \"A blog\"\nurl = \"https://blog.example\"\npublisher = \"Someone\"\nsays = \"s\"\n";
        let Ok(r) = rule(third) else { panic!("parses") };
        let msgs: Vec<String> = problems(&r).into_iter().map(|p| p.message).collect();
        assert!(msgs.iter().any(|m| m.contains("third-party sources only (Someone)")), "{msgs:?}");
        let ok = "[[sources]]\ntitle = \"The KB\"\nkb = \"Q1\"\nsays = \"s\"\n";
        let Ok(r) = rule(ok) else { panic!("parses") };
        assert!(problems(&r).is_empty(), "{:?}", problems(&r));
    }

    #[test]
    fn harmful_commands_are_named() {
        assert!(dangerous(r"`icacls C:\ProgramData\ssh /grant *S-1-5-11:(OI)(CI)RX /T`").is_some());
        assert!(dangerous(r"`icacls C:\ProgramData\ssh /grant *S-1-5-11:(OI)(CI)RX`").is_none());
        assert!(dangerous("`sc config Spooler depend= RPCSS/LanmanServer`").is_some());
        assert!(dangerous(
            "Read the list with `sc qc Spooler`, then `sc config Spooler depend= RPCSS/http/LanmanServer`"
        )
        .is_none());
        assert!(dangerous("Set `Repl Perform Initial Synchronizations` = 0").is_some());
        assert!(dangerous(
            "Only as a temporary measure, never in production: set `Repl Perform Initial Synchronizations` = 0, \
             and remove it once replication works"
        )
        .is_none());
        assert!(dangerous("`net start IsmServ`").is_none());
    }
}
