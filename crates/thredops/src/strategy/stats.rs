//! The statistics behind every recommendation: medians, Welch's t-test on log-engagement, and
//! confidence levels corrected for the number of comparisons made.

use serde::Serialize;

/// Arithmetic mean (0 for an empty slice).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (n - 1 in the denominator).
pub fn variance(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
}

/// Median (0 for an empty slice).
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

/// Rounds to `digits` decimals, so evidence reads cleanly and stays deterministic in JSON.
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The result of comparing group A with group B on log-engagement.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Comparison {
    /// Posts in A.
    pub n_a: usize,
    /// Posts in B.
    pub n_b: usize,
    /// A's typical engagement as a multiple of B's (ratio of geometric means).
    pub lift: f64,
    /// 95% confidence interval of the lift.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// Two-sided p-value of Welch's t-test.
    pub p_value: f64,
}

/// Welch's t-test of A against B where values are natural logs; `None` below 2 per group.
pub fn welch(a: &[f64], b: &[f64]) -> Option<Comparison> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (va, vb) = (variance(a) / a.len() as f64, variance(b) / b.len() as f64);
    let se = (va + vb).sqrt();
    let diff = mean(a) - mean(b);
    if se <= f64::EPSILON {
        return None;
    }
    let df = (va + vb).powi(2)
        / (va.powi(2) / (a.len() - 1) as f64 + vb.powi(2) / (b.len() - 1) as f64).max(1e-300);
    let t = diff / se;
    let crit = t_critical(df);
    Some(Comparison {
        n_a: a.len(),
        n_b: b.len(),
        lift: round(diff.exp(), 3),
        ci_low: round((diff - crit * se).exp(), 3),
        ci_high: round((diff + crit * se).exp(), 3),
        p_value: t_two_sided_p(t, df),
    })
}

/// Two-sided p-value of the Wilcoxon rank-sum (Mann-Whitney) test of A against B, by the normal
/// approximation with the tie correction. Timing groups are small (20-odd posts in an hour) and
/// engagement has a viral tail; a mean-based test lets two lucky posts carry such a group, ranks
/// do not.
pub fn rank_sum_p(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|x| (*x, true))
        .chain(b.iter().map(|x| (*x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut rank_a, mut ties, mut i) = (0.0, 0.0, 0);
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Tied values share the mean of their ranks (1-based).
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        rank_a += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let n = n1 + n2;
    let u = rank_a - n1 * (n1 + 1.0) / 2.0;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if var <= 0.0 {
        return 1.0;
    }
    let z = (u - n1 * n2 / 2.0) / var.sqrt();
    // Student's t with (practically) infinite df is the standard normal.
    t_two_sided_p(z, 1e9)
}

/// Welch's comparison of A against B whose p-value is the rank-sum test's (the lift and its
/// interval stay Welch's, on the log scale).
pub fn robust(a: &[f64], b: &[f64]) -> Option<Comparison> {
    welch(a, b).map(|c| Comparison {
        p_value: rank_sum_p(a, b),
        ..c
    })
}

/// How sure a finding is, after a Bonferroni correction for `comparisons` tests.
pub fn confidence(p_value: f64, comparisons: usize) -> &'static str {
    let adjusted = (p_value * comparisons.max(1) as f64).min(1.0);
    if adjusted < 0.01 {
        "high"
    } else if adjusted < 0.05 {
        "medium"
    } else if adjusted < 0.2 {
        "low"
    } else {
        "not significant"
    }
}

/// Whether a finding is strong enough to act on (medium or high confidence).
pub fn is_significant(p_value: f64, comparisons: usize) -> bool {
    matches!(confidence(p_value, comparisons), "high" | "medium")
}

/// Two-sided p-value of Student's t with `df` degrees of freedom.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    let x = df / (df + t * t);
    incomplete_beta(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

/// The t value whose two-sided p is 0.05 (bisection on the exact p-value).
pub fn t_critical(df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 100.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if t_two_sided_p(mid, df) > 0.05 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

fn ln_gamma(x: f64) -> f64 {
    // Lanczos approximation (g = 7), accurate to ~1e-15 for x > 0.
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised incomplete beta I_x(a, b) by Lentz's continued fraction.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(b, a, 1.0 - x);
    }
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut f = d;
    for m in 1..300 {
        let m = m as f64;
        for step in 0..2 {
            let num = if step == 0 {
                m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
            } else {
                -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
            };
            d = 1.0 + num * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = 1.0 + num / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            f *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-12 {
            break;
        }
    }
    front * f / a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_match_published_t_tables() {
        // t = 2.228 with 10 df is the two-sided 5% point; 1.96 with many df as well.
        assert!((t_two_sided_p(2.228, 10.0) - 0.05).abs() < 0.001);
        assert!((t_two_sided_p(1.96, 10_000.0) - 0.05).abs() < 0.001);
        assert!((t_two_sided_p(0.0, 5.0) - 1.0).abs() < 1e-9);
        assert!((t_critical(10.0) - 2.228).abs() < 0.01);
    }

    #[test]
    fn welch_finds_a_threefold_difference_and_not_a_null_one() {
        let a: Vec<f64> = (0..40).map(|i| 3f64.ln() + (i % 5) as f64 * 0.1).collect();
        let b: Vec<f64> = (0..40).map(|i| (i % 5) as f64 * 0.1).collect();
        let c = welch(&a, &b).unwrap();
        assert!((c.lift - 3.0).abs() < 0.01);
        assert!(c.p_value < 1e-6 && c.ci_low < 3.0 && c.ci_high > 3.0);
        let same = welch(&b, &b).unwrap();
        assert!((same.lift - 1.0).abs() < 1e-9 && same.p_value > 0.99);
        assert_eq!(confidence(same.p_value, 1), "not significant");
        assert_eq!(confidence(0.004, 2), "high");
        assert_eq!(confidence(0.004, 3), "medium");
    }

    #[test]
    fn rank_sum_matches_the_normal_approximation_and_ignores_outliers() {
        let a: Vec<f64> = (1..=10).map(f64::from).collect();
        let b: Vec<f64> = (11..=20).map(f64::from).collect();
        // U = 0, z = -50 / sqrt(10 * 10 * 21 / 12) = -3.7796, two-sided p = 0.000157.
        assert!(
            (rank_sum_p(&a, &b) - 0.000157).abs() < 2e-6,
            "{}",
            rank_sum_p(&a, &b)
        );
        assert!((rank_sum_p(&a, &a) - 1.0).abs() < 1e-9);
        // Two of its top posts going viral doubles a group's mean, but not its ranks.
        let mut lucky: Vec<f64> = (0..20).map(|i| f64::from(i % 10)).collect();
        lucky[9] = 50.0;
        lucky[19] = 60.0;
        let rest: Vec<f64> = (0..200).map(|i| f64::from(i % 10)).collect();
        assert!(mean(&lucky) > 2.0 * mean(&rest));
        assert!(
            rank_sum_p(&lucky, &rest) > 0.9,
            "{}",
            rank_sum_p(&lucky, &rest)
        );
    }

    #[test]
    fn medians_of_even_and_odd_lengths() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
