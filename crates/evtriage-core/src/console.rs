//! The words of localized console output: `netstat` titles, column headers
//! and TCP states, `tasklist /svc` headers and its "N/A", and `systeminfo`
//! labels, in the languages Windows ships, each with its English equivalent.
//!
//! Only strings confirmed by a source (Microsoft's localized documentation or
//! a real capture) are listed, in `data/console.tsv`, with the source on each
//! line; `docs/formats.md` lists them. The readers use them to recognise a
//! localized capture and to normalise it to the English names of the model
//! (a German `ABHÖREN` row is `LISTENING`, with the original kept), and
//! [`crate::text`] uses them to choose the code page a capture was written in.

use std::sync::OnceLock;

const CONSOLE_TSV: &str = include_str!("../data/console.tsv");

/// What a localized string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// netstat's title (`Active Connections`).
    NetstatTitle,
    /// A word of netstat's column header (`Local Address`).
    NetstatHeader,
    /// A TCP state (`LISTENING`).
    NetstatState,
    /// A word of `tasklist /svc`'s column header (`Image Name`).
    TasklistHeader,
    /// `tasklist /svc`'s "no services" (`N/A`).
    TasklistNa,
    /// A `systeminfo` label, without its colon (`Host Name`).
    SysteminfoLabel,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "netstat-title" => Kind::NetstatTitle,
            "netstat-header" => Kind::NetstatHeader,
            "netstat-state" => Kind::NetstatState,
            "tasklist-header" => Kind::TasklistHeader,
            "tasklist-na" => Kind::TasklistNa,
            "systeminfo-label" => Kind::SysteminfoLabel,
            _ => return None,
        })
    }
}

/// One confirmed localized string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The language, as a BCP 47 tag (`de`, `pt-BR`, `ja`).
    pub lang: &'static str,
    /// What the string is.
    pub kind: Kind,
    /// The string as the tool prints it.
    pub localized: &'static str,
    /// Its English equivalent as the English tool prints it.
    pub english: &'static str,
    /// Where it was confirmed.
    pub source: &'static str,
}

/// Every confirmed string (`data/console.tsv`).
pub fn words() -> &'static [Word] {
    static WORDS: OnceLock<Vec<Word>> = OnceLock::new();
    WORDS.get_or_init(|| {
        CONSOLE_TSV
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split('\t');
                let lang = f.next()?;
                let kind = Kind::parse(f.next()?)?;
                let localized = f.next()?;
                let english = f.next()?;
                let source = f.next().unwrap_or("");
                Some(Word { lang, kind, localized, english, source })
            })
            .collect()
    })
}

/// A language's English name, for `inputs`.
pub fn language_name(tag: &str) -> &'static str {
    match tag {
        "en" => "English",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "it" => "Italian",
        "pt-BR" => "Portuguese (Brazil)",
        "nl" => "Dutch",
        "pl" => "Polish",
        "ru" => "Russian",
        "ja" => "Japanese",
        "zh-CN" => "Chinese (Simplified)",
        "zh-TW" => "Chinese (Traditional)",
        "ko" => "Korean",
        "tr" => "Turkish",
        "cs" => "Czech",
        "hu" => "Hungarian",
        _ => "another language",
    }
}

/// How much of `text` is known localized words that are not plain ASCII
/// (ASCII words decode alike in every code page and cannot tell them
/// apart): the characters of every such word found, once per word.
pub fn known_words(text: &str) -> usize {
    words()
        .iter()
        .filter(|w| !w.localized.is_ascii() && text.contains(w.localized))
        .map(|w| w.localized.chars().count())
        .sum()
}

/// The language of console output of a tool whose strings are of `kinds`:
/// the one whose non-English words of those kinds `text` holds the most of
/// (the characters of each word found, once per word), or English when it
/// holds none of those but English ones; `None` when it holds neither.
pub fn language_of(text: &str, kinds: &[Kind]) -> Option<&'static str> {
    let mut scores: Vec<(&'static str, usize)> = Vec::new();
    let mut english = false;
    for w in words().iter().filter(|w| kinds.contains(&w.kind)) {
        // Short words ("Stan", "域") are found inside others.
        if w.localized.chars().count() < 4 && w.localized.is_ascii() || !text.contains(w.localized) {
            continue;
        }
        if w.lang == "en" {
            english = true;
            continue;
        }
        // A word found inside an English word of its kind (zh-TW `Hotfix`
        // in `Hotfix(s)`) says nothing of the language.
        let in_english =
            words().iter().any(|e| e.lang == "en" && e.kind == w.kind && e.localized.contains(w.localized));
        if w.localized == w.english || in_english {
            continue;
        }
        let n = w.localized.chars().count();
        match scores.iter_mut().find(|(l, _)| *l == w.lang) {
            Some(s) => s.1 += n,
            None => scores.push((w.lang, n)),
        }
    }
    // Ties go to the language listed first.
    let mut best: Option<(&'static str, usize)> = None;
    for (l, n) in scores {
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((l, n));
        }
    }
    best.map(|(l, _)| l).or(english.then_some("en"))
}

/// The kinds of strings a console format prints (for [`language_of`]).
pub fn kinds_of(format: crate::Format) -> &'static [Kind] {
    match format {
        crate::Format::Netstat => &[Kind::NetstatTitle, Kind::NetstatHeader, Kind::NetstatState],
        crate::Format::Tasklist => &[Kind::TasklistHeader, Kind::TasklistNa],
        crate::Format::Systeminfo => &[Kind::SysteminfoLabel],
        _ => &[],
    }
}

/// The English TCP state for a state as netstat printed it in any known
/// language (`ABHÖREN` → `LISTENING`); `None` when unknown.
pub fn tcp_state(state: &str) -> Option<&'static str> {
    words().iter().find(|w| w.kind == Kind::NetstatState && w.localized == state).map(|w| w.english)
}

/// Whether `line` is netstat's column header in a known language: it holds
/// at least two header words of one language.
pub fn is_netstat_header(line: &str) -> bool {
    header_words(line, Kind::NetstatHeader) >= 2
}

/// Whether `line` is `tasklist`'s column header in a known language (two
/// header words of one language).
pub fn is_tasklist_header(line: &str) -> bool {
    header_words(line, Kind::TasklistHeader) >= 2
}

/// Whether `line` is netstat's title in a known language.
pub fn is_netstat_title(line: &str) -> bool {
    let t = line.trim();
    words().iter().any(|w| w.kind == Kind::NetstatTitle && w.localized == t)
}

/// Whether `text` is `tasklist /svc`'s "no services" in a known language.
pub fn is_tasklist_na(text: &str) -> bool {
    words().iter().any(|w| w.kind == Kind::TasklistNa && w.localized == text)
}

/// The English `systeminfo` label for a label as printed in any known
/// language (without its colon; `Betriebssystemname` → `OS Name`).
pub fn systeminfo_label(label: &str) -> Option<&'static str> {
    let l = label.trim();
    words().iter().find(|w| w.kind == Kind::SysteminfoLabel && w.localized == l).map(|w| w.english)
}

/// The confirmed strings as the Markdown table `docs/formats.md` carries:
/// one row per language and kind, the strings with their English equivalents.
pub fn markdown_table() -> String {
    let mut out = String::from("| language | kind | strings (English) |\n|---|---|---|\n");
    let mut langs: Vec<&str> = Vec::new();
    for w in words().iter().filter(|w| w.lang != "en") {
        if !langs.contains(&w.lang) {
            langs.push(w.lang);
        }
    }
    let kinds = [
        (Kind::NetstatTitle, "netstat title"),
        (Kind::NetstatHeader, "netstat header"),
        (Kind::NetstatState, "netstat state"),
        (Kind::TasklistHeader, "tasklist header"),
        (Kind::TasklistNa, "tasklist N/A"),
        (Kind::SysteminfoLabel, "systeminfo label"),
    ];
    for lang in langs {
        for (kind, kind_name) in kinds {
            let items: Vec<String> = words()
                .iter()
                .filter(|x| x.lang == lang && x.kind == kind)
                .map(|x| format!("`{}` ({})", x.localized, x.english))
                .collect();
            if !items.is_empty() {
                out.push_str(&format!("| {} ({lang}) | {kind_name} | {} |\n", language_name(lang), items.join(", ")));
            }
        }
    }
    out
}

/// The most header words of `kind` of any one language in `line` (one pass over the words).
fn header_words(line: &str, kind: Kind) -> usize {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for w in words().iter().filter(|w| w.kind == kind && line.contains(w.localized)) {
        match counts.iter_mut().find(|(l, _)| *l == w.lang) {
            Some(c) => c.1 += 1,
            None => counts.push((w.lang, 1)),
        }
    }
    counts.iter().map(|(_, n)| *n).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_well_formed() {
        let all = words();
        assert!(all.len() >= 40, "{} words", all.len());
        for w in all {
            assert!(!w.source.is_empty(), "{w:?} has no source");
            assert!(!w.localized.trim().is_empty() && w.localized.trim() == w.localized, "{w:?}");
            assert_ne!(language_name(w.lang), "another language", "{w:?}");
        }
        let lines = CONSOLE_TSV.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
        assert_eq!(lines, all.len(), "every line of console.tsv parses");
    }

    #[test]
    fn states_are_normalised() {
        assert_eq!(tcp_state("LISTENING"), Some("LISTENING"));
        assert_eq!(tcp_state("ABHÖREN"), Some("LISTENING"));
        assert_eq!(tcp_state("HERGESTELLT"), Some("ESTABLISHED"));
        assert_eq!(tcp_state("nonsense"), None);
    }
}
