//! "Did you mean …?" for names that do not exist.
//!
//! An operator who types `ital` for `italia0`, or `chardonay0` for
//! `chardonnay0`, should be told the name they probably meant rather than
//! shown an empty table. Pure: the caller supplies the names that exist.

/// The candidate closest to `name`, if any is close enough: one that
/// starts with `name` (the shortest such), else the one within the
/// smallest edit distance, at most a third of the name's length (and at
/// least 1, at most 3), so that unrelated names are never offered.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max = (name.chars().count() / 3).clamp(1, 3);
    let mut prefixed: Option<&str> = None;
    let mut near: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        if !name.is_empty() && c.starts_with(name) {
            if prefixed.is_none_or(|p| (c.len(), c) < (p.len(), p)) {
                prefixed = Some(c);
            }
            continue;
        }
        let d = distance(name, c);
        if d <= max && near.is_none_or(|(nd, n)| (d, c) < (nd, n)) {
            near = Some((d, c));
        }
    }
    prefixed.or(near.map(|(_, c)| c))
}

/// Levenshtein distance over chars, one row at a time.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diag
            } else {
                1 + diag.min(above).min(row[j])
            };
            diag = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: [&str; 5] = ["italia0", "italia1", "chardonnay0", "chardonnay1", "pinot0"];

    #[test]
    fn a_prefix_suggests_the_shortest_name_it_starts() {
        assert_eq!(suggest("ital", HOSTS), Some("italia0"));
        assert_eq!(suggest("char", HOSTS), Some("chardonnay0"));
    }

    #[test]
    fn a_typo_suggests_the_nearest_name() {
        assert_eq!(suggest("chardonay0", HOSTS), Some("chardonnay0"));
        assert_eq!(suggest("pinot1", HOSTS), Some("pinot0"));
    }

    #[test]
    fn unrelated_names_suggest_nothing() {
        assert_eq!(suggest("merlot9", HOSTS), None);
        assert_eq!(suggest("x", HOSTS), None);
        assert_eq!(suggest("", HOSTS), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", "abc"), 0);
    }
}
