//! Compiled rules and rule sets: loading and validation.
//!
//! Rules are data ([`crate::spec`]). Loading compiles each one once — regular
//! expressions built, codes turned into numbers, durations parsed — so that
//! matching a record is cheap and a mistake in a rule is reported when the
//! rule is loaded, with the file and the reason.
//!
//! - `compile`: a rule file's [`RuleSpec`](crate::spec::RuleSpec) compiled
//!   into a [`Rule`], or a [`RuleError`] saying where and why not;
//! - `lazy`: a rule's regular expressions, bounded and built on first use;
//! - `matcher`: what a compiled rule is made of — record matchers, field
//!   and service predicates, checks — and how each tests a record;
//! - `set`: the [`RuleSet`], the built-in rules ([`BUILTIN`]) and a user's own.

mod compile;
mod lazy;
mod matcher;
mod set;

pub use compile::{parse_duration, Rule, RuleError, RuleOrigin, MAX_RULE_FILE_BYTES};
pub use lazy::MAX_REGEX_BYTES;
pub use matcher::{generated_name, looks_random};
pub use set::{RuleSet, BUILTIN};

pub(crate) use matcher::RoleDef;
pub(crate) use matcher::{command_text, Check, Condition, Matcher, ProviderSel, ServicePred};
