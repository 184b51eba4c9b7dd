//! CSV as `dump` and `timeline` write it (RFC 4180 quoting): the one place
//! a field is quoted.

use std::borrow::Cow;

/// One CSV field: quoted, with its quotes doubled, when it holds a comma, a
/// quote or a line break; as it is otherwise.
pub fn field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// One CSV row, without its line end: each field quoted by [`field`], joined
/// with commas.
pub fn row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&field(f.as_ref()));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(row(&["a", "b,c", ""]), "a,\"b,c\",");
    }
}
