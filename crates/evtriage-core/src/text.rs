//! Text encodings of captured command output and exports.
//!
//! Windows tools write text in several encodings, and a support zip mixes
//! them: PowerShell 5.1's `>` and `Out-File` write UTF-16LE with a BOM,
//! `regedit` exports are UTF-16LE with a BOM, `cmd`'s `>` writes the OEM code
//! page (ASCII for the English captures we read), PowerShell 6+ writes UTF-8
//! without a BOM, and tracerpt writes UTF-8 with a BOM. Line ends are CRLF or
//! LF (after a trip through git).
//!
//! [`decode`] turns the bytes into a `String` without guessing wildly:
//!
//! 1. a BOM decides (UTF-8, UTF-16LE, UTF-16BE);
//! 2. without a BOM, a NUL in every other byte means UTF-16 (LE when the NULs
//!    are at odd offsets, BE when at even ones);
//! 3. otherwise the bytes must be UTF-8 text; a file with NULs or many control
//!    characters is binary and refused ([`TextError::Binary`]);
//! 4. bytes that are not valid UTF-8 but are otherwise text are a localized
//!    capture in a code page: `cmd`'s `>` writes the console's OEM code page
//!    (437 or 850 in western Europe and the US, 852 central Europe, 857
//!    Turkish, 866 Cyrillic, 932 Shift-JIS, 936 GBK, 949 Korean, 950 Big5),
//!    other tools the ANSI one (1252). Each candidate decodes a sample, and
//!    the one whose text holds the most of the localized words evtriage
//!    knows (netstat states and headers, tasklist and systeminfo labels:
//!    [`crate::console`]) wins ([`Encoding::CodePage`]);
//! 5. when no candidate yields a known word, the bytes are decoded as
//!    Windows-1252 only when such bytes are rare; [`Decoded::lossy`] says so,
//!    and the reader reports it. Anything else is refused
//!    ([`TextError::NotText`]) rather than parsed into garbage.

use std::fmt;

/// The encoding a text input was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8 (with or without BOM; see [`Decoded::bom`]).
    Utf8,
    /// UTF-16 little-endian.
    Utf16Le,
    /// UTF-16 big-endian.
    Utf16Be,
    /// Not UTF-8: an 8-bit code page, decoded as Windows-1252 as a guess.
    Windows1252,
    /// A Windows code page chosen because its decoding holds known localized
    /// words: 1252 (ANSI), or an OEM code page a console wrote (437, 850,
    /// 852, 857, 866, 932, 936, 949, 950).
    CodePage(u16),
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::CodePage(cp) => return write!(f, "code page {cp} ({})", code_page_name(*cp)),
        })
    }
}

/// A decoded text input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without BOM. Line ends are kept as they were (CRLF or LF).
    pub text: String,
    /// The encoding found.
    pub encoding: Encoding,
    /// Whether the input started with a byte-order mark.
    pub bom: bool,
    /// Whether some bytes could not be decoded exactly (replaced, or read
    /// through a guessed 8-bit code page).
    pub lossy: bool,
}

/// Why bytes were not accepted as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// NUL bytes or many control characters: a binary file.
    #[error("binary content (not text) near byte {offset}")]
    Binary {
        /// Byte offset of the first offending byte.
        offset: usize,
    },
    /// Text in an encoding we cannot identify (many bytes invalid as UTF-8 / UTF-16).
    #[error("text in an unknown encoding ({invalid} of {total} bytes do not decode)")]
    NotText {
        /// How many bytes (or code units) were invalid.
        invalid: usize,
        /// Total bytes looked at.
        total: usize,
    },
}

/// How many leading bytes are sampled to tell UTF-16 without BOM.
const SAMPLE: usize = 4096;

/// A regular expression from a constant pattern. A wrong pattern is a
/// programming error: each module's tests force its patterns, so it cannot
/// reach a user (a pattern that silently matched nothing would).
pub(crate) fn constant_regex(pattern: &'static str) -> regex::Regex {
    match regex::Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => panic!("constant pattern {pattern:?} does not compile: {e}"),
    }
}

/// Decodes a whole input. See the [module docs](self) for the rules.
pub fn decode(bytes: &[u8]) -> Result<Decoded, TextError> {
    decode_impl(bytes, false)
}

/// Decodes the first bytes of an input for format detection: like [`decode`],
/// but a character cut off at the end of `head` is tolerated.
pub fn decode_head(head: &[u8]) -> Result<Decoded, TextError> {
    decode_impl(head, true)
}

fn decode_impl(bytes: &[u8], partial: bool) -> Result<Decoded, TextError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest, true, partial, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, Encoding::Utf16Le, true, partial);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, Encoding::Utf16Be, true, partial);
    }
    match sniff_utf16(bytes) {
        Some(enc) => utf16(bytes, enc, false, partial),
        None => utf8(bytes, false, partial, true),
    }
}

/// Decodes one piece of a large input whose encoding is known from its
/// start (see `sources::pieces`): UTF-16 as such; anything else as UTF-8,
/// or Windows-1252 when the piece is not valid UTF-8 (as [`decode`] decides
/// for a whole input). `bytes` holds no byte-order mark.
pub(crate) fn decode_piece(bytes: &[u8], encoding: Encoding) -> Result<Decoded, TextError> {
    match encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => utf16(bytes, encoding, false, false),
        // The code page was chosen from the file's start (`pieces::Layout`):
        // a piece is not guessed again (a damaged stretch falls back to 1252).
        Encoding::Utf8 | Encoding::Windows1252 => utf8(bytes, false, false, false),
        Encoding::CodePage(cp) => {
            let (text, errors) = decode_code_page(cp, bytes, false).unwrap_or_else(|| (String::new(), bytes.len()));
            check_controls(&text)?;
            Ok(Decoded { text, encoding, bom: false, lossy: errors > 0 })
        }
    }
}

/// The code pages a localized capture without BOM is tried in, in order of
/// preference when two decode the same known words (the ANSI page first,
/// then the OEM pages of western Europe, which agree on letters).
pub const CODE_PAGES: [u16; 10] = [1252, 850, 437, 852, 857, 866, 932, 936, 949, 950];

/// A code page's common name.
pub fn code_page_name(cp: u16) -> &'static str {
    match cp {
        1252 => "Windows-1252",
        437 => "OEM United States",
        850 => "OEM Multilingual Latin 1",
        852 => "OEM Latin 2",
        857 => "OEM Turkish",
        866 => "OEM Russian",
        932 => "Shift-JIS",
        936 => "GBK",
        949 => "Korean (Unified Hangul Code)",
        950 => "Big5",
        _ => "unknown",
    }
}

/// Decodes `bytes` in code page `cp`: the text and how many characters
/// could not be decoded (replaced by U+FFFD). With `partial`, a multi-byte
/// character cut off at the end is dropped rather than counted.
/// `None` for a code page evtriage does not know.
pub fn decode_code_page(cp: u16, bytes: &[u8], partial: bool) -> Option<(String, usize)> {
    let multi = match cp {
        1252 => Some(encoding_rs::WINDOWS_1252),
        866 => Some(encoding_rs::IBM866),
        932 => Some(encoding_rs::SHIFT_JIS),
        936 => Some(encoding_rs::GBK),
        949 => Some(encoding_rs::EUC_KR),
        950 => Some(encoding_rs::BIG5),
        _ => None,
    };
    if let Some(enc) = multi {
        let mut text = enc.decode_without_bom_handling(bytes).0.into_owned();
        if partial && text.ends_with(char::REPLACEMENT_CHARACTER) && bytes.last().is_some_and(|b| *b >= 0x80) {
            text.pop();
        }
        let errors = text.chars().filter(|c| *c == char::REPLACEMENT_CHARACTER).count();
        return Some((text, errors));
    }
    let table = oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&cp)?;
    let text = table.decode_string_lossy(bytes);
    let errors = text.chars().filter(|c| *c == char::REPLACEMENT_CHARACTER).count();
    Some((text, errors))
}

/// How many bytes of a text without BOM are sampled to choose its code page
/// (titles, headers and labels come first).
const CODE_PAGE_SAMPLE: usize = 16 * 1024;

/// Chooses the code page whose decoding of (a sample of) `bytes` holds the
/// most known localized words ([`crate::console::known_words`]); `None`
/// when none holds any. Decodes all of `bytes` in it.
fn by_code_page(bytes: &[u8], partial: bool) -> Option<Decoded> {
    let sample_len = bytes.len().min(CODE_PAGE_SAMPLE);
    let sample = bytes.get(..sample_len)?;
    let cut = partial || sample_len < bytes.len();
    let mut best: Option<(u16, usize)> = None;
    for cp in CODE_PAGES {
        let Some((text, errors)) = decode_code_page(cp, sample, cut) else { continue };
        // A decoding with many undecodable bytes is not this code page.
        if errors * 100 > text.chars().count().max(1) {
            continue;
        }
        let score = crate::console::known_words(&text);
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((cp, score));
        }
    }
    let (cp, _) = best?;
    let (text, errors) = decode_code_page(cp, bytes, partial)?;
    Some(Decoded { text, encoding: Encoding::CodePage(cp), bom: false, lossy: errors > 0 })
}

/// Guesses BOM-less UTF-16 from where NUL bytes sit in the first [`SAMPLE`] bytes.
pub(crate) fn sniff_utf16(bytes: &[u8]) -> Option<Encoding> {
    let sample = bytes.get(..bytes.len().min(SAMPLE))?;
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even_nul, mut odd_nul) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        if pair.first() == Some(&0) {
            even_nul += 1;
        }
        if pair.get(1) == Some(&0) {
            odd_nul += 1;
        }
    }
    // Mostly-ASCII UTF-16: about every other byte is NUL, on one side only.
    if odd_nul * 10 >= pairs * 6 && even_nul * 20 <= pairs {
        Some(Encoding::Utf16Le)
    } else if even_nul * 10 >= pairs * 6 && odd_nul * 20 <= pairs {
        Some(Encoding::Utf16Be)
    } else {
        None
    }
}

/// Whether a decoded character is a control character text should not hold.
fn is_bad_control(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b')) || c == '\u{7f}'
}

/// Refuses text with NULs or more than 1 % control characters.
fn check_controls(text: &str) -> Result<(), TextError> {
    let mut bad = 0usize;
    let mut first = None;
    let mut total = 0usize;
    for (i, c) in text.char_indices() {
        total += 1;
        if c == '\0' {
            return Err(TextError::Binary { offset: i });
        }
        if is_bad_control(c) {
            bad += 1;
            first.get_or_insert(i);
        }
    }
    if bad > 0 && bad * 100 > total {
        return Err(TextError::Binary { offset: first.unwrap_or(0) });
    }
    Ok(())
}

fn utf8(bytes: &[u8], bom: bool, partial: bool, guess_code_page: bool) -> Result<Decoded, TextError> {
    if let Some(i) = memchr::memchr(0, bytes) {
        return Err(TextError::Binary { offset: i + usize::from(bom) * 3 });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            check_controls(s)?;
            Ok(Decoded { text: s.to_string(), encoding: Encoding::Utf8, bom, lossy: false })
        }
        Err(e) if partial && e.error_len().is_none() => {
            // A character cut off by the end of the head: keep what is whole.
            let s = String::from_utf8_lossy(bytes.get(..e.valid_up_to()).unwrap_or(&[])).into_owned();
            check_controls(&s)?;
            Ok(Decoded { text: s, encoding: Encoding::Utf8, bom, lossy: false })
        }
        Err(_) => {
            let total = bytes.len();
            let invalid = count_invalid_utf8(bytes);
            if bom {
                // Declared UTF-8: keep it, mark the damage.
                let s = String::from_utf8_lossy(bytes).into_owned();
                check_controls(&s)?;
                if invalid * 20 > total {
                    return Err(TextError::NotText { invalid, total });
                }
                return Ok(Decoded { text: s, encoding: Encoding::Utf8, bom, lossy: true });
            }
            // A localized capture in a code page whose words we know.
            if guess_code_page {
                if let Some(d) = by_code_page(bytes, partial) {
                    check_controls(&d.text)?;
                    return Ok(d);
                }
            }
            // An unknown 8-bit code page: accept only when high bytes are rare
            // (a few accented letters in otherwise ASCII output).
            let high = bytes.iter().filter(|b| **b >= 0x80).count();
            if high * 50 > total {
                return Err(TextError::NotText { invalid, total });
            }
            let s: String = bytes.iter().map(|&b| windows_1252(b)).collect();
            check_controls(&s)?;
            Ok(Decoded { text: s, encoding: Encoding::Windows1252, bom, lossy: true })
        }
    }
}

fn count_invalid_utf8(mut bytes: &[u8]) -> usize {
    let mut invalid = 0;
    loop {
        match std::str::from_utf8(bytes) {
            Ok(_) => return invalid,
            Err(e) => {
                let bad = e.error_len().unwrap_or(bytes.len() - e.valid_up_to()).max(1);
                invalid += bad;
                bytes = bytes.get(e.valid_up_to() + bad..).unwrap_or(&[]);
            }
        }
    }
}

fn utf16(bytes: &[u8], enc: Encoding, bom: bool, partial: bool) -> Result<Decoded, TextError> {
    let even = bytes.len() - bytes.len() % 2;
    // An odd trailing byte is dropped (and reported through `lossy`).
    let units = bytes.get(..even).unwrap_or(&[]).chunks_exact(2).map(|p| match (enc, p) {
        (Encoding::Utf16Be, [a, b]) => u16::from_be_bytes([*a, *b]),
        (_, [a, b]) => u16::from_le_bytes([*a, *b]),
        _ => 0,
    });
    let mut text = String::with_capacity(even / 2);
    let mut invalid = 0usize;
    let mut units_seen = 0usize;
    let mut pending_error_at_end = false;
    for r in char::decode_utf16(units) {
        units_seen += 1;
        match r {
            Ok(c) => {
                pending_error_at_end = false;
                text.push(c);
            }
            Err(_) => {
                invalid += 1;
                pending_error_at_end = true;
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    if partial && pending_error_at_end {
        // A surrogate pair cut by the end of the head.
        text.pop();
        invalid = invalid.saturating_sub(1);
    }
    if invalid * 20 > units_seen.max(1) {
        return Err(TextError::NotText { invalid, total: bytes.len() });
    }
    check_controls(&text)?;
    let lossy = invalid > 0 || (even != bytes.len() && !partial);
    Ok(Decoded { text, encoding: enc, bom, lossy })
}

/// Windows-1252 to Unicode for one byte.
pub(crate) fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH.get(usize::from(b - 0x80)).copied().unwrap_or('\u{fffd}'),
        _ => char::from(b),
    }
}

/// The lines of `text` with their 1-based numbers, without line ends
/// (`\r\n` or `\n`; a lone `\r` does not end a line).
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.split('\n').enumerate().map(|(i, l)| (i as u64 + 1, l.strip_suffix('\r').unwrap_or(l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn boms_and_sniffing() {
        let d = decode(&utf16le("Windows Registry Editor Version 5.00\r\n", true)).expect("text");
        assert_eq!((d.encoding, d.bom, d.lossy), (Encoding::Utf16Le, true, false));
        assert!(d.text.starts_with("Windows Registry"));
        let d = decode(&utf16le("  TCP    0.0.0.0:135\r\n", false)).expect("text");
        assert_eq!((d.encoding, d.bom), (Encoding::Utf16Le, false));
        assert_eq!(d.text, "  TCP    0.0.0.0:135\r\n");
        let be: Vec<u8> = [0xFE, 0xFF, 0, b'h', 0, b'i'].to_vec();
        assert_eq!(decode(&be).expect("text").text, "hi");
        let d = decode(b"\xEF\xBB\xBFIndex,a").expect("text");
        assert_eq!((d.text.as_str(), d.bom), ("Index,a", true));
    }

    #[test]
    fn refuses_binary_and_garbage() {
        assert!(matches!(decode(b"ElfFile\0\x01\x02"), Err(TextError::Binary { offset: 7 })));
        let noise: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8 | 0x80).collect();
        assert!(decode(&noise).is_err());
        let ctl: Vec<u8> = (0..100u8).map(|i| if i % 3 == 0 { 1 } else { b'a' }).collect();
        assert!(matches!(decode(&ctl), Err(TextError::Binary { .. })));
    }

    #[test]
    fn code_page_fallback_is_marked_lossy() {
        let mut v = b"Aktive Verbindungen ".repeat(10);
        v.push(0xE4);
        let d = decode(&v).expect("text");
        assert_eq!(d.encoding, Encoding::Windows1252);
        assert!(d.lossy);
        assert!(d.text.ends_with('ä'));
    }

    #[test]
    fn head_may_cut_a_character() {
        let d = decode_head("héllo".as_bytes().get(..2).expect("slice")).expect("text");
        assert_eq!(d.text, "h");
        let lines: Vec<_> = numbered_lines("a\r\nb\nc").collect();
        assert_eq!(lines, [(1, "a"), (2, "b"), (3, "c")]);
    }
}
