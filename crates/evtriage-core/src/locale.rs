//! A log's display information: the LocaleMetaData `.MTA` file Windows
//! writes beside an exported `.evtx` (Event Viewer's "Save All Events As…",
//! or `wevtutil epl` then `wevtutil al`), holding every event's message and
//! the level, task, opcode and keyword names, in one language. MS-EVEN6
//! (3.1.1.7) calls the pair a localized log: it exists so that a log can be
//! read on a machine that does not have the publishers installed — ours.
//!
//! The file is read by the `evtx` crate's `mta` module; this module finds it
//! (`LocaleMetaData/<log>_<LCID>.MTA` in the folder of `<log>.evtx`), picks a
//! language when there are several (en-US, else the lowest LCID), and lends
//! its strings to the log's events.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use evtx::mta::{MtaEvent, MtaFile};

use crate::model::{DisplayNames, Event};

/// The first bytes of an `.MTA` file.
pub const MTA_MAGIC: &[u8; 8] = b"MTAFile\0";

/// The LCID of en-US, preferred when a log has several languages.
pub const EN_US: u32 = 1033;

/// An `.MTA` file larger than this is not read (the largest seen are a few
/// MB: one message per event of the log).
pub const MAX_MTA_BYTES: u64 = 512 << 20;

/// A log's display information, ready to lend to its events.
pub struct Locale {
    mta: MtaFile,
    /// The `.MTA` file.
    pub path: PathBuf,
    /// Its language.
    pub lcid: u32,
}

impl std::fmt::Debug for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locale").field("path", &self.path).field("lcid", &self.lcid).finish()
    }
}

/// What looking for a log's display information found.
#[derive(Debug)]
pub enum Found {
    /// No LocaleMetaData for this log.
    None,
    /// The file to use.
    Locale(Arc<Locale>),
    /// A file that could not be used, and why (the log is read without it).
    Unusable(PathBuf, String),
}

/// Common languages by name, with their LCIDs ([MS-LCID], Microsoft's
/// "Windows Language Code Identifier Reference").
const NAMES: &[(&str, u32)] = &[
    ("cs-CZ", 1029),
    ("da-DK", 1030),
    ("de-DE", 1031),
    ("en-GB", 2057),
    ("en-US", 1033),
    ("es-ES", 3082),
    ("fi-FI", 1035),
    ("fr-FR", 1036),
    ("hu-HU", 1038),
    ("it-IT", 1040),
    ("ja-JP", 1041),
    ("ko-KR", 1042),
    ("nb-NO", 1044),
    ("nl-NL", 1043),
    ("pl-PL", 1045),
    ("pt-BR", 1046),
    ("pt-PT", 2070),
    ("ru-RU", 1049),
    ("sv-SE", 1053),
    ("tr-TR", 1055),
    ("zh-CN", 2052),
    ("zh-TW", 1028),
];

/// A language as a user writes it: an LCID (`1031`, `0x407`) or a name
/// (`de-DE`, any case).
pub fn parse_locale(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if let Ok(n) = t.parse() {
        return Some(n);
    }
    NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)).map(|(_, l)| *l)
}

/// Of the LCIDs available (in ascending order), the one to use: `prefer`
/// when there, else en-US, else the lowest.
pub fn choose(available: &[u32], prefer: Option<u32>) -> Option<u32> {
    prefer
        .filter(|p| available.contains(p))
        .or_else(|| available.iter().copied().find(|l| *l == EN_US))
        .or_else(|| available.first().copied())
}

/// The display information of the `.evtx` at `evtx`: the `.MTA` files named
/// after it in the `LocaleMetaData` folder beside it (names compared without
/// regard to case, as Windows does); the language `prefer` when there, else
/// en-US, else the lowest LCID.
pub fn find(evtx: &Path, prefer: Option<u32>) -> Found {
    let (Some(dir), Some(stem)) = (evtx.parent(), evtx.file_stem().and_then(|s| s.to_str())) else {
        return Found::None;
    };
    let Some(meta) = locale_folder(dir) else { return Found::None };
    let Ok(entries) = std::fs::read_dir(&meta) else { return Found::None };
    let mut candidates: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let lcid = mta_lcid(&name, stem)?;
            Some((lcid, e.path()))
        })
        .collect();
    candidates.sort();
    let lcids: Vec<u32> = candidates.iter().map(|(l, _)| *l).collect();
    let chosen = choose(&lcids, prefer).and_then(|l| candidates.iter().find(|(c, _)| *c == l));
    let Some((lcid, path)) = chosen.cloned() else { return Found::None };
    match load(&path) {
        Ok(mta) => Found::Locale(Arc::new(Locale { mta, path, lcid })),
        Err(why) => Found::Unusable(path, why),
    }
}

/// The log an `.MTA` path serves and its LCID: `dir/LocaleMetaData/<log>_<LCID>.MTA`
/// gives (`dir/<log>` in lower case, LCID); `None` for any other path.
pub fn mta_member_key(path: &str) -> Option<(String, u32)> {
    let (folder, file) = path.rsplit_once('/').unwrap_or(("", path));
    let (dir, meta) = folder.rsplit_once('/').unwrap_or(("", folder));
    if !meta.eq_ignore_ascii_case("LocaleMetaData") {
        return None;
    }
    let base = file.get(..file.len().checked_sub(4)?)?;
    let (log, _) = base.rsplit_once('_')?;
    let lcid = mta_lcid(file, log)?;
    Some((join_lower(dir, log), lcid))
}

/// The key [`mta_member_key`] gives for the `.MTA` of the `.evtx` at
/// `path` (`dir/<log>.evtx`), when it is one.
pub fn evtx_member_key(path: &str) -> Option<String> {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let stem = file.get(..file.len().checked_sub(5)?)?;
    file.get(stem.len()..)?.eq_ignore_ascii_case(".evtx").then(|| join_lower(dir, stem))
}

fn join_lower(dir: &str, log: &str) -> String {
    if dir.is_empty() {
        log.to_lowercase()
    } else {
        format!("{}/{}", dir.to_lowercase(), log.to_lowercase())
    }
}

/// The `LocaleMetaData` folder in `dir` (as Windows spells it, or in lower
/// or upper case, as an archive tool may have written it). Looked up by name,
/// not by listing `dir`: a folder of many logs costs one lookup per log.
fn locale_folder(dir: &Path) -> Option<PathBuf> {
    ["LocaleMetaData", "localemetadata", "LOCALEMETADATA"].iter().map(|n| dir.join(n)).find(|p| p.is_dir())
}

/// The LCID of `name` when it is `<stem>_<LCID>.MTA` (any case).
fn mta_lcid(name: &str, stem: &str) -> Option<u32> {
    let base = name.get(..name.len().checked_sub(4)?)?;
    if !name.get(base.len()..)?.eq_ignore_ascii_case(".mta") {
        return None;
    }
    let (log, lcid) = base.rsplit_once('_')?;
    if !log.eq_ignore_ascii_case(stem) || lcid.is_empty() || !lcid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    lcid.parse().ok()
}

fn load(path: &Path) -> Result<MtaFile, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?.len();
    if size > MAX_MTA_BYTES {
        return Err(format!("{size} bytes, more than the {MAX_MTA_BYTES} read"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    MtaFile::from_bytes(&bytes).map_err(|e| format!("damaged: {e}"))
}

/// What an `.MTA` file met on its own (walking a folder, or in an archive)
/// is: `Ok` with a note saying which log it serves when `<log>.evtx` is in
/// the folder above `LocaleMetaData` (that log's reading uses it), else
/// `Err` with why it is not used (no such log here, damaged).
pub fn check_mta_input(name: &str, bytes: &[u8]) -> Result<String, String> {
    let path = Path::new(name);
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or(name);
    let Some((log, lcid)) = file.get(..file.len().saturating_sub(4)).and_then(|b| b.rsplit_once('_')) else {
        return Err("LocaleMetaData not named <log>_<LCID>.MTA: not used".to_string());
    };
    if let Err(e) = MtaFile::from_bytes(bytes) {
        return Err(format!("LocaleMetaData, damaged: {e}; not used"));
    }
    let folder = path.parent().filter(|p| p.file_name().is_some_and(|n| n.eq_ignore_ascii_case("LocaleMetaData")));
    let evtx = folder.and_then(Path::parent).and_then(|dir| {
        let entries = std::fs::read_dir(dir).ok()?;
        entries.flatten().map(|e| e.path()).find(|p| {
            p.file_stem().and_then(|s| s.to_str()).is_some_and(|s| s.eq_ignore_ascii_case(log))
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        })
    });
    match evtx {
        Some(e) => Ok(format!(
            "LocaleMetaData (LCID {lcid}) of {}: its messages and display names are read with it",
            e.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        )),
        None => Err(format!("LocaleMetaData (LCID {lcid}) of {log}.evtx, which is not beside its folder: not used")),
    }
}

impl Locale {
    /// Display information read from `bytes` (an `.MTA` file named `path`).
    pub fn from_bytes(bytes: &[u8], path: PathBuf, lcid: u32) -> Result<Locale, String> {
        let mta = MtaFile::from_bytes(bytes).map_err(|e| format!("damaged: {e}"))?;
        Ok(Locale { mta, path, lcid })
    }

    /// Gives `event` its message (unless it has one) and its display names,
    /// as Windows renders an archived log: the message of the first entry
    /// with the event's record id, the names of its publisher (or the
    /// standard ones). Stale records carved from slack space get nothing:
    /// the file describes the live records only.
    pub fn apply(&self, event: &mut Event) {
        if event.recovered {
            return;
        }
        let Some(provider) = event.provider.name.as_deref() else { return };
        let key = MtaEvent {
            provider,
            // 0: no position; the message is found by record id, as Windows does.
            record_number: 0,
            event_record_id: event.record_id.unwrap_or(0),
            qualifiers: event.qualifiers.unwrap_or(0),
            level: event.level.unwrap_or(0),
            task: event.task.unwrap_or(0),
            opcode: event.opcode.unwrap_or(0),
            keywords: event.keywords.unwrap_or(0),
        };
        let Some(info) = self.mta.rendering_info(&key) else { return };
        if event.message.is_none() {
            if let Some(m) = info.message {
                event.message = Some(m.to_string());
                event.message_source = Some(crate::model::MessageSource::Mta);
            }
        }
        let names = DisplayNames {
            level: info.level.map(str::to_string),
            task: info.task.map(str::to_string),
            opcode: info.opcode.map(str::to_string),
            keywords: info.keywords.iter().map(|k| k.to_string()).collect(),
        };
        if names != DisplayNames::default() {
            event.display = Some(Box::new(names));
        }
    }

    /// The note an input gets: which file lent its strings, in which language.
    pub fn note(&self) -> String {
        let file = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        format!("messages and display names from LocaleMetaData/{file} (LCID {})", self.lcid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mta_names_are_the_log_name_and_an_lcid() {
        assert_eq!(mta_lcid("System_1033.MTA", "System"), Some(1033));
        assert_eq!(mta_lcid("system_1031.mta", "System"), Some(1031));
        assert_eq!(mta_lcid("setup-export_1033.MTA", "setup-export"), Some(1033));
        assert_eq!(mta_lcid("Application_1033.MTA", "System"), None);
        assert_eq!(mta_lcid("System_en.MTA", "System"), None);
        assert_eq!(mta_lcid("System_.MTA", "System"), None);
        assert_eq!(mta_lcid("System_1033.evtx", "System"), None);
        assert_eq!(mta_lcid(".MTA", "System"), None);
    }

    #[test]
    fn languages_are_lcids_or_names() {
        assert_eq!(parse_locale("1031"), Some(1031));
        assert_eq!(parse_locale("0x407"), Some(1031));
        assert_eq!(parse_locale("de-de"), Some(1031));
        assert_eq!(parse_locale("en-US"), Some(1033));
        assert_eq!(parse_locale("klingon"), None);
        assert_eq!(choose(&[1031, 1033, 1036], Some(1036)), Some(1036));
        assert_eq!(choose(&[1031, 1033, 1036], Some(1041)), Some(1033));
        assert_eq!(choose(&[1031, 1036], None), Some(1031));
        assert_eq!(choose(&[], None), None);
    }

    #[test]
    fn archive_members_pair_a_log_with_its_locale_metadata() {
        assert_eq!(mta_member_key("Logs/LocaleMetaData/System_1033.MTA"), Some(("logs/system".into(), 1033)));
        assert_eq!(mta_member_key("LocaleMetaData/System_1031.mta"), Some(("system".into(), 1031)));
        assert_eq!(mta_member_key("Logs/System_1033.MTA"), None);
        assert_eq!(mta_member_key("Logs/LocaleMetaData/System.MTA"), None);
        assert_eq!(evtx_member_key("Logs/System.evtx"), Some("logs/system".into()));
        assert_eq!(evtx_member_key("SYSTEM.EVTX"), Some("system".into()));
        assert_eq!(evtx_member_key("Logs/System.xml"), None);
    }
}
