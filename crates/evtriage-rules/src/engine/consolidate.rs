//! Consolidation: findings of one rule about the same computer, service and
//! boot session merged into one; a superseding rule's findings absorbing
//! those of the rules it supersedes over the same anchor events; generic
//! findings merged per computer; then sorted (see the [engine docs](super)).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::finding::{evidence_order, Evidence, Finding, RecordIndex, Role};
use crate::rule::RuleSet;
use crate::spec::MergeScope;

/// Rule, computer, service (both lowercase) and boot session start.
type MergeKey = (String, String, String, Option<DateTime<Utc>>, u32);

/// Without any boot marker for a computer, findings of one rule and service
/// merge while their anchors follow each other within this many hours; a
/// longer quiet gap starts another finding (two incidents days apart in
/// logs that show no boot are not one).
const UNBOOTED_GAP_H: i64 = 12;

/// A merge group without a boot session: its current number and last anchor time.
type Unbooted = (u32, Option<DateTime<Utc>>);

/// Merges findings of one rule about the same computer, service and boot
/// session; folds superseded rules' findings into the superseding ones; sorts.
pub(super) fn consolidate(findings: Vec<Finding>, rules: &RuleSet) -> Vec<Finding> {
    // 1. Same rule, computer, service, boot session.
    let mut unbooted: HashMap<(String, String, String), Unbooted> = HashMap::new();
    // Earliest anchor first, so that a merged finding speaks of its first occurrence whatever the input order.
    let mut findings = findings;
    findings.sort_by(|a, b| {
        let first = |f: &Finding| f.evidence.iter().position(|e| e.role == Role::Anchor);
        match (first(a).and_then(|i| a.evidence.get(i)), first(b).and_then(|i| b.evidence.get(i))) {
            (Some(x), Some(y)) => evidence_order(x, y),
            _ => std::cmp::Ordering::Equal,
        }
    });
    let list = merge_groups(findings, |f| {
        let spec = rules.get(&f.rule).map(|r| &r.spec);
        let per_computer = spec.is_some_and(|r| r.merge == MergeScope::Computer);
        let any_service = spec.is_some_and(|r| r.merge_services);
        let boot = if per_computer { None } else { f.boot };
        let service = if any_service { String::new() } else { f.service.as_deref().unwrap_or("").to_lowercase() };
        let base = (f.rule.clone(), f.computer.to_lowercase(), service);
        let anchors = || f.evidence.iter().filter(|e| e.role == Role::Anchor).filter_map(|e| e.time);
        let gen = if per_computer || boot.is_some() {
            0
        } else {
            let (first, last) = (anchors().min(), anchors().max());
            let slot = unbooted.entry(base.clone()).or_insert((0, None));
            if let (Some(prev), Some(first)) = (slot.1, first) {
                if first - prev > Duration::hours(UNBOOTED_GAP_H) {
                    slot.0 += 1;
                }
            }
            slot.1 = match (slot.1, last) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            slot.0
        };
        let key: MergeKey = (base.0, base.1, base.2, boot, gen);
        Some(key)
    });
    // 2. Supersession, until nothing changes (chains are followed). Rules are
    // numbered once, so that the pairs a rule cannot supersede cost an
    // integer comparison, not a string one (the scan restarts after each fold).
    let mut number: HashMap<&str, usize> = HashMap::new();
    for (n, r) in rules.rules().iter().enumerate() {
        // The first rule of an id, as `RuleSet::get` finds it.
        number.entry(r.id()).or_insert(n);
    }
    let supersedes: Vec<Vec<usize>> = rules
        .rules()
        .iter()
        .map(|r| r.spec.supersedes.iter().filter_map(|s| number.get(s.as_str()).copied()).collect())
        .collect();
    //
    // The first pair (i, j) in row order is folded, then the scan resumes at
    // row i, not at the top: folding never changes a finding's anchors (what
    // is absorbed becomes corroboration), so rows above i, which found
    // nothing, still find nothing.
    //
    // Each row's evidence index is built once and kept up to date as the row
    // absorbs others: what a fold adds is appended (positions stay valid) and
    // the row is sorted once at the end, which gives the order sorting after
    // every fold gave (the sort is stable, and appends come after).
    //
    // A folded row is left empty rather than removed, so that no row moves
    // (rows are visited in the same order as if it had been removed).
    let mut row = 0;
    let ids: Vec<Option<usize>> = list.iter().map(|f| number.get(f.rule.as_str()).copied()).collect();
    let mut rows: Vec<Option<Finding>> = list.into_iter().map(Some).collect();
    let mut indexes: Vec<Option<RecordIndex>> = rows.iter().map(|_| None).collect();
    let mut touched: Vec<bool> = vec![false; rows.len()];
    loop {
        let mut fold: Option<(usize, usize)> = None;
        'outer: for (i, a) in rows.iter().enumerate().skip(row) {
            let Some(a) = a else { continue };
            let Some(over) = ids.get(i).copied().flatten().and_then(|n| supersedes.get(n)) else { continue };
            if over.is_empty() {
                continue;
            }
            for (j, b) in rows.iter().enumerate() {
                let Some(b) = b else { continue };
                let candidate = ids.get(j).copied().flatten().is_some_and(|n| over.contains(&n));
                if i != j && candidate {
                    let Some(slot) = indexes.get_mut(i) else { continue };
                    let ix = slot.get_or_insert_with(|| RecordIndex::new(&a.evidence));
                    if shares_anchor(a, ix, b) {
                        fold = Some((i, j));
                        break 'outer;
                    }
                }
            }
        }
        let Some((i, j)) = fold else { break };
        let Some(absorbed) = rows.get_mut(j).and_then(Option::take) else { break };
        if let Some(slot) = indexes.get_mut(j) {
            *slot = None;
        }
        row = i;
        if let (Some(Some(a)), Some(slot)) = (rows.get_mut(i), indexes.get_mut(i)) {
            let ix = slot.get_or_insert_with(|| RecordIndex::new(&a.evidence));
            // The absorbing rule's own confidence stands: a generic rule being
            // sure of its (weaker) claim says nothing about the specific cause.
            // What the absorbing rule already shows keeps the part it plays there
            // (the generic finding's anchor may be this rule's corroboration);
            // the absorbed finding's other anchors are events it explains, not
            // occurrences of it.
            let ev: Vec<Evidence> = absorbed
                .evidence
                .into_iter()
                .filter(|e| ix.find(&a.evidence, e).is_none())
                .map(|mut e| {
                    if e.role == Role::Anchor {
                        e.role = Role::Corroboration;
                    }
                    e
                })
                .collect();
            a.append_evidence(ev, ix);
            if let Some(t) = touched.get_mut(i) {
                *t = true;
            }
        }
    }
    let mut list: Vec<Finding> = Vec::with_capacity(rows.len());
    for (f, touched) in rows.into_iter().zip(touched) {
        let Some(mut f) = f else { continue };
        if touched {
            f.evidence.sort_by(evidence_order);
        }
        list.push(f);
    }
    // 3. Generic findings (see [`crate::spec::RuleSpec::generic`]) of one rule
    // and computer become one, across services and boot sessions, its items
    // listing each service; after supersession, so that a specific rule has
    // taken the occurrences it explains.
    let mut list = merge_groups(list, |f| f.generic.then(|| (f.rule.clone(), f.computer.to_lowercase())));
    for f in &mut list {
        f.limit_anchors();
    }
    list.sort_by(|a, b| {
        a.computer
            .to_lowercase()
            .cmp(&b.computer.to_lowercase())
            .then_with(|| b.confidence.cmp(&a.confidence))
            .then_with(|| a.first_time().cmp(&b.first_time()))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.service.cmp(&b.service))
    });
    list
}

/// Whether `a` explains an event `b` stands on: one of `b`'s anchors is part
/// of `a`'s evidence (as its anchor, or as a record one of its checks found:
/// a dependency rule that names the root's own 7000 explains the generic
/// finding anchored on that 7000).
fn shares_anchor(a: &Finding, a_index: &RecordIndex, b: &Finding) -> bool {
    b.evidence.iter().filter(|e| e.role == Role::Anchor).any(|y| a_index.find(&a.evidence, y).is_some())
}

/// Merges `other` into `base`, all but the evidence, which it returns: the
/// caller adds a group's evidence in one go (adding it finding by finding,
/// each time searching and sorting what was there, was quadratic).
fn merge_into(base: &mut Finding, other: Finding) -> Vec<Evidence> {
    if other.confidence > base.confidence {
        base.confidence = other.confidence;
        base.cause = other.cause;
        let mut steps = other.remediation;
        for s in std::mem::take(&mut base.remediation) {
            if !steps.contains(&s) {
                steps.push(s);
            }
        }
        base.remediation = steps;
    } else {
        for s in other.remediation {
            if !base.remediation.contains(&s) {
                base.remediation.push(s);
            }
        }
    }
    for k in other.kb {
        if !base.kb.contains(&k) {
            base.kb.push(k);
        }
    }
    crate::finding::merge_items(&mut base.items, &other.items);
    other.evidence
}

/// Merges the findings `key` puts in one group (those it gives `None` stay
/// alone), in the order of each group's first finding. A finding merged over
/// several services or boot sessions names none of them. Each group's
/// evidence is added once at the end (see `merge_into`).
fn merge_groups<K: Ord>(list: Vec<Finding>, mut key: impl FnMut(&Finding) -> Option<K>) -> Vec<Finding> {
    let mut out: Vec<(Finding, Vec<Evidence>)> = Vec::with_capacity(list.len());
    let mut groups: BTreeMap<K, usize> = BTreeMap::new();
    for f in list {
        let Some(k) = key(&f) else {
            out.push((f, Vec::new()));
            continue;
        };
        if let Some((g, pending)) = groups.get(&k).and_then(|&i| out.get_mut(i)) {
            if g.service.as_deref().map(str::to_lowercase) != f.service.as_deref().map(str::to_lowercase) {
                g.service = None;
            }
            if g.boot != f.boot {
                g.boot = None;
            }
            pending.extend(merge_into(g, f));
        } else {
            groups.insert(k, out.len());
            out.push((f, Vec::new()));
        }
    }
    out.into_iter()
        .map(|(mut f, pending)| {
            if !pending.is_empty() {
                f.add_evidence(pending);
            }
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Confidence;
    use evtriage_core::Origin;

    #[test]
    fn a_rule_explains_an_anchor_its_checks_found() {
        let o = |n: u64| Origin::new("System.xml".into(), evtriage_core::Locator::Line { line: n });
        let ev = |n: u64, role: Role| Evidence::new(&o(n), None, format!("event {n}"), role);
        let finding = |rule: &str, evidence: Vec<Evidence>| Finding {
            rule: rule.into(),
            title: String::new(),
            kind: crate::finding::Kind::Fault,
            kb: Vec::new(),
            confidence: Confidence::Possible,
            computer: "S1".into(),
            service: None,
            cause: String::new(),
            remediation: Vec::new(),
            evidence,
            boot: None,
            occurrences: 1,
            omitted: 0,
            sources: Vec::new(),
            generic: false,
            items: Vec::new(),
        };
        let generic = finding("generic", vec![ev(7, Role::Anchor)]);
        let specific = finding("specific", vec![ev(9, Role::Anchor), ev(7, Role::Corroboration)]);
        let unrelated = finding("specific", vec![ev(9, Role::Anchor), ev(8, Role::Corroboration)]);
        let shares = |a: &Finding, b: &Finding| shares_anchor(a, &RecordIndex::new(&a.evidence), b);
        assert!(shares(&specific, &generic));
        assert!(!shares(&unrelated, &generic));
        // Not the other way round: the generic finding's evidence does not hold the specific anchor.
        assert!(!shares(&generic, &specific));
    }
}
