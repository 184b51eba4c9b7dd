//! Showing input-derived text: bytes as hex (as Event Viewer shows
//! `<Binary>`), a value on one line, text made safe for a terminal (no escape
//! sequence from a log reaches it).

/// Uppercase hex of `bytes`, as Event Viewer shows `<Binary>`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Decodes hex text (either case, whitespace ignored); `None` if it is not hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_collapses_and_cuts() {
        assert_eq!(one_line("a\r\n  b\tc ", 10), "a b c");
        assert_eq!(one_line("abcdef ghij", 6), "abcde…");
        assert_eq!(one_line("abcdef", 6), "abcdef");
        // No limit at all (timeline's full messages).
        assert_eq!(one_line("a  b", usize::MAX), "a b");
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(to_hex(&[0x5e, 0, 0, 0xc0]), "5E0000C0");
        assert_eq!(from_hex("5e0000C0"), Some(vec![0x5e, 0, 0, 0xc0]));
        assert_eq!(from_hex("5e0"), None);
        assert_eq!(from_hex("zz"), None);
    }
}

/// `text` on one line (whitespace runs, newlines included, collapsed to one
/// space), at most `max` characters: a longer one is cut and ends in `…`.
pub fn one_line(text: &str, max: usize) -> String {
    let mut s = String::with_capacity(text.len().min(max.saturating_mul(4).saturating_add(4)));
    // Characters in `s` so far, counted as they come (counting `s` again
    // after each word made a long text quadratic).
    let mut chars = 0usize;
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            s.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= max {
                // Over the limit: the first `max - 1` characters and an ellipsis.
                let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
                cut.push('…');
                return cut;
            }
            s.push(c);
            chars += 1;
        }
    }
    s
}

/// `text` made safe to print on a terminal.
///
/// Log content is attacker-controlled: an event's data, a computer name or a
/// zip member name can carry escape sequences that a terminal acts on —
/// setting the window title, writing the clipboard (OSC 52), moving the
/// cursor, clearing the screen — so printing it raw would let an input write
/// somewhere other than the requested output. Every control character
/// (C0, DEL, C1) is replaced with U+FFFD, except tab and newline, a carriage
/// return just before a newline (dropped), and — when `keep_colour` is true,
/// for text the front end has painted itself — SGR colour sequences
/// (`ESC [ digits ; … m`), which only change colours.
pub fn terminal_safe(text: &str, keep_colour: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        if c == '\u{1b}' && keep_colour {
            if let Some(seq) = sgr_len(rest) {
                out.push_str(rest.get(..seq).unwrap_or(""));
                rest = rest.get(seq..).unwrap_or("");
                continue;
            }
        }
        if c == '\r' && rest.get(len..).is_some_and(|r| r.starts_with('\n')) {
            // CRLF: keep the line end only.
        } else if unsafe_char(c) {
            out.push('\u{fffd}');
        } else {
            out.push(c);
        }
        rest = rest.get(len..).unwrap_or("");
    }
    std::borrow::Cow::Owned(out)
}

/// Length of an SGR sequence (`ESC [ [0-9;]* m`) at the start of `text`.
fn sgr_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\u{1b}[")?;
    let params = body.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

#[cfg(test)]
mod terminal_tests {
    use super::*;

    #[test]
    fn terminal_safe_neutralises_escapes_but_keeps_colour_on_request() {
        assert!(matches!(terminal_safe("plain\ttext\n", false), std::borrow::Cow::Borrowed(_)));
        let evil = "Evil\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}6n\r\nnext\rover";
        assert_eq!(
            terminal_safe(evil, false),
            "Evil\u{fffd}]52;c;ZXZpbA==\u{fffd}\u{fffd}[2J\u{fffd}6n\nnext\u{fffd}over"
        );
        assert_eq!(terminal_safe("\u{1b}[1;31mred\u{1b}[0m \u{1b}[2J", true), "\u{1b}[1;31mred\u{1b}[0m \u{fffd}[2J");
        assert_eq!(terminal_safe("\u{1b}[1;31mred", false), "\u{fffd}[1;31mred");
        assert_eq!(terminal_safe("\u{1b}", true), "\u{fffd}");
    }
}
