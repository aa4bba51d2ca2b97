//! Text from the database, made safe to print on a terminal.
//!
//! Host names, job names, idents and task refkeys come from a database
//! that many people and programs write to. Printed raw, an ESC starts a
//! terminal control sequence (a title change, a hyperlink, a cleared
//! screen), a newline splits a table row, and a right-to-left override or
//! a zero-width space makes two different names look the same. Text
//! output shows each such character as a visible escape instead; JSON
//! output stays exact.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Bidirectional formatting characters: they reorder what follows them
/// on screen, so `abc\u{202e}fed` shows as `abcdef`.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that take no room on screen (zero-width spaces and
/// joiners, the word joiner, the byte-order mark, the soft hyphen), so a
/// name holding one looks like the name without it.
fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// Whether `c` cannot be seen for what it is: a bidirectional control or
/// a zero-width character. A new host name must not hold one.
pub fn is_invisible(c: char) -> bool {
    is_bidi_control(c) || is_zero_width(c)
}

/// Whether `c` is shown escaped: C0 controls, DEL, C1 controls, and the
/// invisible characters above.
fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// `text` as it may be printed: unchanged (and not copied) when it holds
/// nothing to escape, which is nearly always. Otherwise ESC, newline, tab
/// and carriage return show as `\e`, `\n`, `\t`, `\r`, other C0 controls
/// and DEL as `\xNN`, C1 and invisible characters as `\u{NNNN}`, and each
/// backslash is doubled so that the escaped form cannot be mistaken for
/// a name that holds those very characters. (Only then: a backslash in a
/// name that needs no escaping shows as itself.)
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for a string already owned: kept as it is when nothing
/// needs escaping.
pub fn escape_owned(text: String) -> String {
    match escape(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in [
            "chardonnay0",
            "",
            "a\\b",
            "Müller",
            "日本語ホスト",
            "tab-less",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    #[test]
    fn controls_show_as_escapes() {
        assert_eq!(escape("\u{1b}]0;pwned\u{7}x"), "\\e]0;pwned\\x07x");
        assert_eq!(escape("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(escape("\u{7f}\u{0}"), "\\x7f\\x00");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("host\u{200b}1"), "host\\u{200b}1");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("\u{feff}x"), "\\u{feff}x");
    }

    #[test]
    fn a_backslash_is_doubled_only_beside_an_escape() {
        assert_eq!(escape("a\\nb"), "a\\nb");
        assert_eq!(escape("a\\n\nb"), "a\\\\n\\nb");
    }

    #[test]
    fn nothing_escaped_holds_a_control() {
        let all: String = (0..0x3000u32).filter_map(char::from_u32).collect();
        let escaped = escape(&all);
        assert!(!escaped.chars().any(needs_escape));
    }

    #[test]
    fn invisible_characters() {
        for c in [
            '\u{200b}', '\u{200d}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{061c}',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', ' ', '-', 'é', '日'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }
}
