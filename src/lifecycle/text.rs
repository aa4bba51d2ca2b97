//! Small text predicates that pin down the runvar format exactly.
//!
//! The format was defined by pattern matches over "word" characters
//! (letters, digits, underscore). These functions spell those matches out
//! so that hostlife compresses and decodes exactly where osstest does.

/// A "word" character: alphanumeric or underscore.
pub(crate) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `item` is non-word characters followed by one or more ASCII
/// digits and nothing else: a compressed step (`5`, `+@7`), an own entry
/// (`:2`, `@:2`) or a task token (`?9`, `+?9`). Such items are passed over
/// when looking for the entry that a compressed step continues.
pub(crate) fn is_passed_over(item: &str) -> bool {
    let rest = item.trim_start_matches(|c: char| !is_word(c));
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `item` is non-word characters, then `who`, `:`, one or more
/// digits, then `,<ident>` (nothing when `ident` is empty), and nothing
/// else: the test for whether a new entry with that `who` and ident may be
/// written as a bare step.
pub(crate) fn continues(item: &str, who: &str, ident: &str) -> bool {
    let rest = if ident.is_empty() {
        item
    } else {
        let Some(r) = item.strip_suffix(ident).and_then(|r| r.strip_suffix(',')) else {
            return false;
        };
        r
    };
    let digits = rest.len() - rest.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return false;
    }
    let Some(rest) = rest[..rest.len() - digits].strip_suffix(':') else {
        return false;
    };
    let Some(prefix) = rest.strip_suffix(who) else {
        return false;
    };
    prefix.chars().all(|c| !is_word(c))
}

/// The sigil a runvar's last space-separated token records, if that token
/// is a single non-word character. Trailing empty fields are ignored, as
/// the early-return check always has.
pub fn sigil_of_last_token(runvar: &str) -> Option<char> {
    let last = runvar.split(' ').rev().find(|t| !t.is_empty())?;
    let mut chars = last.chars();
    let c = chars.next()?;
    (chars.next().is_none() && !is_word(c)).then_some(c)
}

/// The bytes a job name or ident may hold, as a table: the decoder asks
/// once per byte of every runvar.
#[allow(
    clippy::cast_possible_truncation,
    reason = "`i` runs below 256, and `u8::try_from` is not const"
)]
const fn name_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        i += 1;
    }
    table
}

static NAME_BYTES: [bool; 256] = name_bytes();

/// Whether `b` may appear in a job name or ident.
pub(crate) fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

/// Whether `s` is usable as an osstest job name or ident: non-empty,
/// letters, digits, `-`, `_` and `.` only.
pub fn is_valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_name_byte)
}

/// `n` and the noun, singular for one: "1 row", "5 rows", "0 rows".
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passed_over_items() {
        for item in ["5", "+5", "+@7", ":2", "@:2", "?9", "+?9", "0"] {
            assert!(is_passed_over(item), "{item}");
        }
        for item in [
            "",
            "+",
            "@",
            "[1]",
            "a:2",
            "@:2,src_host",
            "?9:",
            "699.:2",
            "5a",
        ] {
            assert!(!is_passed_over(item), "{item}");
        }
    }

    #[test]
    fn continuation() {
        assert!(continues("@build-a:2", "build-a", ""));
        assert!(continues("+@build-a:25", "build-a", ""));
        assert!(continues("@:2,src_host", "", "src_host"));
        assert!(continues("@699.:2", "699.", ""));
        assert!(!continues("@build-a:2", "build-b", ""));
        assert!(!continues("@build-a:2,src_host", "build-a", ""));
        assert!(!continues("@build-a:2", "build-a", "src_host"));
        assert!(!continues("100.build-a:2", "build-a", ""));
        assert!(!continues("[1]", "", ""));
        assert!(!continues("build-a:", "build-a", ""));
    }

    #[test]
    fn last_token_sigil() {
        assert_eq!(sigil_of_last_token("@:2 +"), Some('+'));
        assert_eq!(sigil_of_last_token("@"), Some('@'));
        assert_eq!(sigil_of_last_token("@:2 :3"), None);
        assert_eq!(sigil_of_last_token(""), None);
        assert_eq!(sigil_of_last_token("x:2 + "), Some('+'));
        assert_eq!(sigil_of_last_token("5"), None);
    }
}
