//! The numbers behind a ranking: the Wilson score interval of a failure
//! rate, and the z a flag needs when many names are judged at once. Pure
//! arithmetic.

/// The z of a two-sided 95% interval: the score.
const Z: f64 = 1.96;
/// The chance, two-sided, that a flag is given by chance, over all the
/// names (or hosts) judged at once: see [`z_flag`].
const FLAG_ALPHA: f64 = 0.01;

/// The z a flag needs when `m` names (or hosts) are judged at once: a
/// two-sided test at [`FLAG_ALPHA`] / `m` (Bonferroni), so that among all
/// of them a neutral one is flagged by chance once in a hundred reports,
/// not once in a hundred names. `m` counts those that preceded a failed
/// install at all: the others cannot be flagged whatever the bound. (A
/// choice made on the data, so a little less strict than Bonferroni
/// over every name, where a big lab's many names that never preceded a
/// failure would raise the bar for a breaker seen only a few times.)
pub(super) fn z_flag(m: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    z_upper(FLAG_ALPHA / 2.0 / m.max(1) as f64)
}

/// The z a standard normal exceeds with chance `p` (0 < p ≤ 0.5), by
/// Abramowitz and Stegun's 26.2.23, within 4.5e-4: plenty for a
/// threshold.
pub(super) fn z_upper(p: f64) -> f64 {
    let t = (-2.0 * p.ln()).sqrt();
    t - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
        / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t)
}

/// The lower bound of the 95% Wilson score interval for `k` of `n`.
pub fn wilson_lower(k: u64, n: u64) -> f64 {
    wilson(k, n, Z)
}

pub(super) fn wilson(k: u64, n: u64, z: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - spread) / (1.0 + z2 / n)).max(0.0)
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
pub(super) fn ratio(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_bound_is_divided_among_the_names_judged() {
        for (p, z) in [(0.025, 1.960), (0.005, 2.576), (0.0005, 3.291)] {
            assert!((z_upper(p) - z).abs() < 1e-3, "{p}: {}", z_upper(p));
        }
        assert!((z_flag(1) - 2.576).abs() < 1e-3);
        assert!((z_flag(10) - 3.291).abs() < 1e-3, "0.0005 each");
        // 2 of 6 is no evidence among 40 names, as it was alone.
        assert!(wilson(2, 6, z_flag(1)) > 0.065);
        assert!(wilson(2, 6, z_flag(40)) < 0.065);
    }

    #[test]
    fn one_of_one_is_a_lower_bound_of_a_fifth() {
        assert!((wilson_lower(1, 1) - 0.2065).abs() < 1e-3);
        assert!(wilson_lower(0, 5).abs() < 1e-12 && wilson_lower(3, 0).abs() < 1e-12);
        assert!((ratio(1, 4) - 0.25).abs() < 1e-12 && ratio(1, 0).abs() < 1e-12);
    }
}
