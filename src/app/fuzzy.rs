//! A small subsequence matcher for the palette's completion.
//!
//! Written here rather than pulling in `nucleo-matcher` or `fuzzy-matcher`:
//! candidates are a few hundred host names and a dozen commands, so a
//! 40-line scorer is enough and keeps the dependency tree as it is.

/// Score `candidate` against `pattern` (case-insensitive): `None` unless
/// every pattern character appears in order. Higher is better: matches at
/// the start, after a separator, and in runs score more; gaps cost.
pub fn score(pattern: &str, candidate: &str) -> Option<i32> {
    let cand: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
    let mut score = 0;
    let mut pos = 0;
    let mut prev: Option<usize> = None;
    for p in pattern.chars().flat_map(char::to_lowercase) {
        let found = (pos..cand.len()).find(|&i| cand[i] == p)?;
        score += 1;
        if found == 0 {
            score += 8;
        } else if matches!(cand[found - 1], '-' | '_' | '.' | ' ') {
            score += 4;
        }
        match prev {
            Some(q) if q + 1 == found => score += 5,
            Some(q) => score -= i32::try_from((found - q - 1).min(5)).unwrap_or(5),
            None => score -= i32::try_from(found.min(5)).unwrap_or(5),
        }
        prev = Some(found);
        pos = found + 1;
    }
    Some(score)
}

/// The candidates matching `pattern`, best first (shorter, then
/// alphabetical, on ties), at most `limit`.
pub fn rank<'a>(
    pattern: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<String> {
    let mut scored: Vec<(i32, &str)> = candidates
        .into_iter()
        .filter_map(|c| score(pattern, c).map(|s| (s, c)))
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.len().cmp(&b.1.len()))
            .then(a.1.cmp(b.1))
    });
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(limit)
        .map(|(_, c)| c.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequence_required() {
        assert!(score("wpd", "wiped").is_some());
        assert!(score("dw", "wiped").is_none());
        assert_eq!(score("", "x"), Some(0));
    }

    #[test]
    fn prefix_and_runs_rank_first() {
        let hosts = ["fiano0", "elbling1", "italia0", "fiano1", "pinot0"];
        assert_eq!(rank("fi", hosts, 3), ["fiano0", "fiano1"]);
        assert_eq!(rank("i0", hosts, 1), ["italia0"]);
        assert_eq!(
            rank("SEL", ["selectprep", "select", "wiped"], 5),
            ["select", "selectprep"]
        );
    }
}
