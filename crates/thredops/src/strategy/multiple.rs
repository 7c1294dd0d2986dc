//! Multiple-comparison control. A report tests many groups at once (hours, weekdays, formats,
//! lengths, tags, keywords, links, questions); at p < 0.05 each, a creator with no real effect
//! would still get a "finding" most of the time. Every p-value a report computes goes into one
//! [`Gate`], which applies the Benjamini-Hochberg procedure over all of them: when nothing is
//! real, the chance of any false finding stays at about [`FDR`], and when some effects are real
//! the share of false ones among the findings does.

use std::cell::RefCell;

use super::stats::Comparison;

/// False-discovery rate of advice: a finding is advice when its BH-adjusted p is below it.
/// Under no effect at all BH keeps the chance of any finding at about this level per report;
/// a creator sees two reports about time (the strategist and suggested times), so 1% each keeps
/// false findings on creators with no effect well under 5% (the goal of issue 20).
pub const FDR: f64 = 0.01;
/// Adjusted p below which a finding that is not advice is still called "medium" (suggestive).
const SUGGESTIVE: f64 = 0.05;

/// Benjamini-Hochberg adjusted p-values (q-values), in the order given: the textbook procedure
/// the tests hold [`Gate::adjusted`] to.
#[cfg(test)]
pub fn bh_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]).then(a.cmp(b)));
    let mut out = vec![1.0; m];
    let mut running = 1.0f64;
    // From the largest p down, q_(i) = min over j >= i of m p_(j) / j.
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        out[i] = running.clamp(0.0, 1.0);
    }
    out
}

/// Holm's step-down adjusted p-values, in the order given (family-wise error control under any
/// dependence; stricter than [`bh_adjust`]).
#[cfg(test)]
pub fn holm_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]).then(a.cmp(b)));
    let mut out = vec![1.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(p[i] * (m - rank) as f64);
        out[i] = running.clamp(0.0, 1.0);
    }
    out
}

/// The significance decision shared by every analysis of one report (and by the audit, which
/// reads the report): BH over every test the report made.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// Every raw p-value of the report, ascending.
    sorted: Vec<f64>,
    /// The p-values of the tests made through this gate, in order (the first pass's harvest).
    seen: RefCell<Vec<f64>>,
}

impl Gate {
    /// A gate over these p-values (the whole report's).
    pub fn new(mut p_values: Vec<f64>) -> Self {
        p_values.retain(|p| p.is_finite());
        p_values.sort_by(f64::total_cmp);
        Gate {
            sorted: p_values,
            seen: RefCell::default(),
        }
    }

    /// Notes a test the report made (every test counts, claimed or not) and hands it back.
    pub fn tested(&self, c: Option<Comparison>) -> Option<Comparison> {
        if let Some(c) = &c {
            self.seen.borrow_mut().push(c.p_value);
        }
        c
    }

    /// The p-values of every test noted so far.
    pub fn into_seen(self) -> Vec<f64> {
        self.seen.into_inner()
    }

    /// A gate that passes nothing: the first pass of a report, which only collects p-values.
    pub fn collecting() -> Self {
        Gate::default()
    }

    /// Tests the gate corrects for.
    pub fn tests(&self) -> usize {
        self.sorted.len()
    }

    /// The BH-adjusted value of `p` among the report's tests (1 when the gate holds none).
    pub fn adjusted(&self, p: f64) -> f64 {
        let m = self.sorted.len();
        if m == 0 {
            return 1.0;
        }
        // p's own rank is the last position of a value <= p; ties share the higher rank.
        let start = self.sorted.partition_point(|x| *x < p);
        let mut best = (p * m as f64 / (start + 1).min(m) as f64).min(1.0);
        for (j, x) in self.sorted.iter().enumerate().skip(start) {
            best = best.min(x * m as f64 / (j + 1) as f64);
        }
        best.clamp(0.0, 1.0)
    }

    /// "high", "medium", "low" or "not significant", on the adjusted p.
    pub fn confidence(&self, p: f64) -> &'static str {
        let q = self.adjusted(p);
        if q < FDR {
            "high"
        } else if q < SUGGESTIVE {
            "medium"
        } else if q < 0.2 {
            "low"
        } else {
            "not significant"
        }
    }

    /// Whether a finding with raw p-value `p` is advice.
    pub fn passes(&self, p: f64) -> bool {
        self.adjusted(p) < FDR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_matches_a_worked_example() {
        // Benjamini & Hochberg (1995)-style example, checked by hand: m = 5.
        let p = [0.01, 0.04, 0.03, 0.005, 0.5];
        let q = bh_adjust(&p);
        // Sorted: 0.005 (r1) 0.01 (r2) 0.03 (r3) 0.04 (r4) 0.5 (r5).
        // q: min(0.025, ...) = 0.025; 0.01*5/2 = 0.025; 0.03*5/3 = 0.05; 0.04*5/4 = 0.05; 0.5.
        let expected = [0.025, 0.05, 0.05, 0.025, 0.5];
        for (a, b) in q.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        let gate = Gate::new(p.to_vec());
        for (pi, qi) in p.iter().zip(&q) {
            assert!((gate.adjusted(*pi) - qi).abs() < 1e-12);
        }
        assert!(gate.passes(0.001) && !gate.passes(0.005) && !gate.passes(0.5));
        assert_eq!(gate.confidence(0.005), "medium");
    }

    #[test]
    fn holm_is_stricter_than_bh() {
        let p = [0.01, 0.04, 0.03, 0.005, 0.5];
        let h = holm_adjust(&p);
        // Sorted ranks: 0.005*5 = 0.025, 0.01*4 = 0.04, 0.03*3 = 0.09, 0.04*2 = 0.09, 0.5.
        let expected = [0.04, 0.09, 0.09, 0.025, 0.5];
        for (a, b) in h.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{h:?}");
        }
        for (hi, qi) in h.iter().zip(bh_adjust(&p)) {
            assert!(*hi >= qi - 1e-12);
        }
    }

    #[test]
    fn one_small_p_among_many_is_not_a_finding() {
        // 0.004 alone would be "high"; among 100 tests of nothing it is noise.
        let mut p: Vec<f64> = (1..100).map(|i| i as f64 / 100.0).collect();
        p.push(0.004);
        let gate = Gate::new(p);
        assert!(!gate.passes(0.004));
        assert_eq!(Gate::new(vec![0.004]).confidence(0.004), "high");
        assert!(!Gate::collecting().passes(1e-12));
    }

    #[test]
    fn under_the_null_bh_rarely_finds_anything() {
        // 2,000 families of 50 uniform p-values from a fixed splitmix64 stream (deterministic):
        // at level 5% the share of families with any rejection stays near 5%; uncorrected it is
        // over 90%.
        let mut state = 0x1234_5678_u64;
        let mut uniform = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut any, mut raw) = (0, 0);
        for _ in 0..2_000 {
            let p: Vec<f64> = (0..50).map(|_| uniform()).collect();
            any += usize::from(bh_adjust(&p).iter().any(|q| *q < 0.05));
            raw += usize::from(p.iter().any(|x| *x < 0.05));
        }
        assert!(any <= 125, "{any} of 2000 families with a false finding");
        assert!(raw > 1_800, "{raw}");
    }
}
