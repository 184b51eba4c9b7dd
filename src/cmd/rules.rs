//! `evtriage rules list|show|test`: the rule catalogue and rule fixtures.

use std::fmt::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use evtriage_rules::catalog;
use evtriage_rules::fixtures;

use crate::error::{Error, Outcome};

/// Arguments of `evtriage rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Add the rules (*.toml) in DIR to the built-in ones; may be repeated.
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub rules: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// Catalogue formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line per rule.
    Text,
    /// The Markdown catalogue (as in docs/rules.md).
    Markdown,
    /// JSON, for tools.
    Json,
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Show one rule: where it comes from and its file.
    Show {
        /// The rule id.
        id: String,
    },
    /// Run the rules' fixtures: positive cases must fire with the expected
    /// confidence, negative cases must not fire.
    Test {
        /// The fixtures folder, laid out as RULE-ID/{positive,negative}/CASE/.
        #[arg(long, value_name = "DIR", default_value = "fixtures/rules")]
        fixtures: PathBuf,
        /// Only this rule's cases.
        #[arg(long = "rule", value_name = "ID")]
        rule: Option<String>,
    },
}

/// A rule's sources as comment lines above its file.
fn write_sources(out: &mut String, rule: &evtriage_rules::Rule) -> std::fmt::Result {
    let sources = &rule.spec.sources;
    if sources.is_empty() {
        return writeln!(out, "# Sources: none given");
    }
    writeln!(out, "# Sources:")?;
    for s in sources {
        let mut head = format!("#   - {}", s.title);
        if let Some(kb) = s.kb_id() {
            head.push_str(&format!(" ({kb})"));
        }
        if let Some(who) = s.third_party() {
            head.push_str(&format!(" [third-party: {who}]"));
        }
        writeln!(out, "{head}")?;
        if let Some(u) = &s.url {
            writeln!(out, "#     {u}")?;
        }
        writeln!(out, "#     {}", s.says.trim())?;
    }
    Ok(())
}

/// Runs `rules`: [`Outcome::Flagged`] when `rules test` has failing cases.
pub fn run(args: RulesArgs) -> Result<Outcome, Error> {
    let set = super::analyze::load_rules(&args.rules).map_err(Error::Unlabelled)?;
    let mut out = String::new();
    let outcome = match args.command {
        RulesCommand::List { format } => {
            out = match format {
                ListFormat::Text => catalog::text(&set),
                ListFormat::Markdown => catalog::markdown(&set),
                ListFormat::Json => catalog::json(&set) + "\n",
            };
            Ok(Outcome::Success)
        }
        RulesCommand::Show { id } => match set.get(&id) {
            Some(rule) => {
                // Writing to a String does not fail.
                let _ = show(&mut out, rule);
                Ok(Outcome::Success)
            }
            None => Err(Error::Unlabelled(format!("no rule `{id}`; `evtriage rules list` shows them"))),
        },
        RulesCommand::Test { fixtures: dir, rule } => {
            if !dir.is_dir() {
                return Err(Error::Unlabelled(format!("{} is not a folder of rule fixtures", dir.display())));
            }
            let results = fixtures::run(&set, &dir, rule.as_deref());
            let mut fail = 0;
            // Writing to a String does not fail.
            let _ = test_results(&mut out, &set, &results, rule.as_deref(), &mut fail);
            if results.is_empty() {
                Err(Error::Unlabelled(format!("no fixture cases found under {}", dir.display())))
            } else {
                Ok(Outcome::flagged_if(fail > 0))
            }
        }
    };
    crate::ui::write_stdout(out.as_bytes()).map_err(Error::stdout)?;
    outcome
}

/// `rules show`: where the rule comes from, its sources and problems, its file.
fn show(out: &mut String, rule: &evtriage_rules::Rule) -> std::fmt::Result {
    writeln!(out, "# {} ({})", rule.id(), rule.origin)?;
    write_sources(out, rule)?;
    for p in evtriage_rules::audit::problems(rule) {
        writeln!(out, "# PROBLEM: {}", p.message)?;
    }
    out.push_str(&rule.source_text);
    if !rule.source_text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}

/// `rules test`: one line per case and per problem of a rule's sources, then
/// the counts; `fail` counts the failures.
fn test_results(
    out: &mut String,
    set: &evtriage_rules::RuleSet,
    results: &[fixtures::CaseResult],
    rule: Option<&str>,
    fail: &mut usize,
) -> std::fmt::Result {
    let (mut pass, mut skip) = (0, 0);
    // A rule's sources and remediation are part of what is tested.
    for r in set.rules().iter().filter(|r| rule.is_none_or(|id| id == r.id())) {
        for p in evtriage_rules::audit::problems(r) {
            *fail += 1;
            writeln!(out, "FAIL {} sources: {}", r.id(), p.message)?;
        }
    }
    for r in results {
        let label = format!("{} {} {}", r.rule, r.kind, r.path.display());
        match &r.outcome {
            fixtures::Outcome::Pass => {
                pass += 1;
                writeln!(out, "PASS {label}")?;
            }
            fixtures::Outcome::Fail(why) => {
                *fail += 1;
                writeln!(out, "FAIL {label}: {why}")?;
            }
            fixtures::Outcome::Skip(why) => {
                skip += 1;
                writeln!(out, "SKIP {label}: {why}")?;
            }
        }
    }
    writeln!(out, "{pass} passed, {fail} failed, {skip} skipped")
}
