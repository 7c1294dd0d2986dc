//! Comparisons adjusted for confounders. Formats differ in length by nature (an image caption is
//! shorter than a text post), links only sit in text posts, and so on: a raw "images vs the
//! rest" comparison on a creator whose short posts do well would credit the format with the
//! length's effect. So content groups are compared by least squares on the relative score with
//! the confounders as covariates:
//!
//! `rel ~ group + length band + length + format + age of the post`
//!
//! and the group's coefficient is tested (Frisch-Waugh: the group indicator and the score are
//! both residualised on the covariates). Length enters as bands (a stratified comparison, so any
//! shape of length effect is absorbed) plus a linear term for the slope inside a band. Followers
//! at the time are already in the relative score, which subtracts the median of the posts around
//! each post; the age term takes any trend the median leaves.

use super::analysis::{MIN_GROUP, Scored};
use super::stats::{Comparison, round, t_critical, t_two_sided_p};

/// Lower bounds of the length bands, in characters (the last band is open).
pub const LENGTH_BANDS: [i64; 7] = [0, 30, 60, 100, 150, 220, 320];
/// Formats told apart by covariates (reposts are never scored).
const FORMATS: [&str; 5] = ["TEXT", "IMAGE", "VIDEO", "CAROUSEL", "QUOTE"];
const YEAR: f64 = 365.0 * 86_400.0;

/// Which confounders a comparison is adjusted for.
#[derive(Debug, Clone, Copy)]
pub struct Controls {
    /// Length bands and a linear length term.
    pub length: bool,
    /// Format indicators (off when the format itself is compared).
    pub format: bool,
}

/// The covariates of one set of posts, ready to test any number of groups against.
pub struct Adjusted {
    rows: Vec<Vec<f64>>,
    inverse: Vec<Vec<f64>>,
    residual: Vec<f64>,
    residual_ss: f64,
}

fn band(len: i64) -> usize {
    LENGTH_BANDS.iter().rposition(|lo| len >= *lo).unwrap_or(0)
}

impl Adjusted {
    /// Fits the covariates of `scored` (as of `as_of`) to `value`; `None` without enough posts.
    pub fn new(
        scored: &[Scored<'_>],
        controls: Controls,
        as_of: i64,
        value: impl Fn(&Scored<'_>) -> f64,
    ) -> Option<Self> {
        let mut columns: Vec<Vec<f64>> = vec![vec![1.0; scored.len()]];
        let age: Vec<f64> = scored
            .iter()
            .map(|s| (as_of - s.post.posted_at) as f64 / YEAR)
            .collect();
        columns.push(age);
        if controls.length {
            let bands: Vec<usize> = scored.iter().map(|s| band(s.post.text_len)).collect();
            columns.extend(dummies(&bands, LENGTH_BANDS.len()));
            columns.push(
                scored
                    .iter()
                    .map(|s| s.post.text_len.min(1_000) as f64 / 500.0)
                    .collect(),
            );
        }
        if controls.format {
            let formats: Vec<usize> = scored
                .iter()
                .map(|s| {
                    FORMATS
                        .iter()
                        .position(|f| *f == s.post.format())
                        .unwrap_or(0)
                })
                .collect();
            columns.extend(dummies(&formats, FORMATS.len()));
        }
        // A covariate that never varies (a band or format nobody used) carries nothing and would
        // make the system singular.
        let keep: Vec<Vec<f64>> = columns
            .into_iter()
            .enumerate()
            .filter(|(i, c)| *i == 0 || c.iter().any(|x| (x - c[0]).abs() > 1e-12))
            .map(|(_, c)| c)
            .collect();
        let k = keep.len();
        if scored.len() < k + 2 * MIN_GROUP {
            return None;
        }
        let rows: Vec<Vec<f64>> = (0..scored.len())
            .map(|i| keep.iter().map(|c| c[i]).collect())
            .collect();
        let mut xtx = vec![vec![0.0; k]; k];
        for r in &rows {
            for a in 0..k {
                for b in 0..k {
                    xtx[a][b] += r[a] * r[b];
                }
            }
        }
        let inverse = invert(xtx)?;
        let y: Vec<f64> = scored.iter().map(value).collect();
        let beta = project(&rows, &inverse, &y);
        let residual: Vec<f64> = rows
            .iter()
            .zip(&y)
            .map(|(r, yi)| yi - dot(r, &beta))
            .collect();
        let residual_ss = residual.iter().map(|e| e * e).sum();
        Some(Adjusted {
            rows,
            inverse,
            residual,
            residual_ss,
        })
    }

    /// The adjusted effect of being in the group `pick` marks (which must be the same posts,
    /// in the same order, as the fit); `None` below [`MIN_GROUP`] on either side.
    pub fn compare(
        &self,
        scored: &[Scored<'_>],
        pick: impl Fn(&Scored<'_>) -> bool,
    ) -> Option<Comparison> {
        let d: Vec<f64> = scored
            .iter()
            .map(|s| f64::from(u8::from(pick(s))))
            .collect();
        let n_a = d.iter().filter(|x| **x > 0.5).count();
        if n_a < MIN_GROUP || d.len() - n_a < MIN_GROUP {
            return None;
        }
        let (beta, se, df) = self.effect(&d)?;
        let crit = t_critical(df);
        Some(Comparison {
            n_a,
            n_b: d.len() - n_a,
            lift: round(beta.exp(), 3),
            ci_low: round((beta - crit * se).exp(), 3),
            ci_high: round((beta + crit * se).exp(), 3),
            p_value: t_two_sided_p(beta / se, df),
        })
    }

    /// The adjusted slope of the score on `x` (per unit of `x`): the multiple of engagement per
    /// unit in `lift` (with its interval), `n_a` all posts and `n_b` zero.
    pub fn slope(
        &self,
        scored: &[Scored<'_>],
        x: impl Fn(&Scored<'_>) -> f64,
    ) -> Option<Comparison> {
        let d: Vec<f64> = scored.iter().map(x).collect();
        let (beta, se, df) = self.effect(&d)?;
        let crit = t_critical(df);
        Some(Comparison {
            n_a: d.len(),
            n_b: 0,
            lift: round(beta.exp(), 3),
            ci_low: round((beta - crit * se).exp(), 3),
            ci_high: round((beta + crit * se).exp(), 3),
            p_value: t_two_sided_p(beta / se, df),
        })
    }

    /// Coefficient, standard error and degrees of freedom of `d` added to the covariates.
    fn effect(&self, d: &[f64]) -> Option<(f64, f64, f64)> {
        let n = d.len();
        if n != self.rows.len() {
            return None;
        }
        let c = project(&self.rows, &self.inverse, d);
        let d_res: Vec<f64> = self
            .rows
            .iter()
            .zip(d)
            .map(|(r, di)| di - dot(r, &c))
            .collect();
        let sdd: f64 = d_res.iter().map(|x| x * x).sum();
        let scale: f64 = d.iter().map(|x| x * x).sum::<f64>().max(1e-12);
        // `d` is (almost) a combination of the covariates: nothing left to compare.
        if sdd < 1e-6 * scale {
            return None;
        }
        let beta = d_res
            .iter()
            .zip(&self.residual)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / sdd;
        let df = n as f64 - self.inverse.len() as f64 - 1.0;
        let rss = (self.residual_ss - beta * beta * sdd).max(0.0);
        if df < 2.0 {
            return None;
        }
        let se = (rss / df / sdd).sqrt();
        (se > f64::EPSILON).then_some((beta, se, df))
    }
}

/// Indicator columns of `levels` categories, leaving out the most common one (the reference,
/// which the intercept stands for) and any nobody is in (they carry nothing and would make the
/// system singular).
fn dummies(of: &[usize], levels: usize) -> Vec<Vec<f64>> {
    let mut counts = vec![0usize; levels];
    for l in of {
        counts[(*l).min(levels - 1)] += 1;
    }
    let reference = (0..levels)
        .max_by_key(|l| (counts[*l], levels - l))
        .unwrap_or(0);
    (0..levels)
        .filter(|l| *l != reference && counts[*l] > 0)
        .map(|l| of.iter().map(|x| f64::from(u8::from(*x == l))).collect())
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Least-squares coefficients of `y` on the rows: (X'X)^-1 X'y.
fn project(rows: &[Vec<f64>], inverse: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let k = inverse.len();
    let mut xty = vec![0.0; k];
    for (r, yi) in rows.iter().zip(y) {
        for (a, x) in xty.iter_mut().zip(r) {
            *a += x * yi;
        }
    }
    inverse.iter().map(|row| dot(row, &xty)).collect()
}

/// Gauss-Jordan inverse with partial pivoting; `None` when singular.
fn invert(mut m: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let k = m.len();
    let mut inv: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for col in 0..k {
        let pivot = (col..k).max_by(|a, b| m[*a][col].abs().total_cmp(&m[*b][col].abs()))?;
        if m[pivot][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, pivot);
        inv.swap(col, pivot);
        let p = m[col][col];
        for j in 0..k {
            m[col][j] /= p;
            inv[col][j] /= p;
        }
        for r in 0..k {
            if r != col {
                let f = m[r][col];
                if f != 0.0 {
                    for j in 0..k {
                        m[r][j] -= f * m[col][j];
                        inv[r][j] -= f * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::data::PostFacts;

    /// Short posts do 3x better; images are all short and texts all long. Raw, images look 3x
    /// better; compared within length, they are not.
    fn confounded(image_effect: f64) -> Vec<PostFacts> {
        (0..240)
            .map(|i| {
                let image = i % 3 == 0;
                let short = if image { i % 4 != 1 } else { i % 4 == 0 };
                PostFacts {
                    media_id: i.to_string().into(),
                    media_type: if image { "IMAGE" } else { "TEXT_POST" }.into(),
                    posted_at: 1_700_000_000 + i * 3_600,
                    text_len: if short { 40 + i % 20 } else { 180 + i % 60 },
                    ..Default::default()
                }
                .with_score(
                    f64::from(u8::from(short)) * 3f64.ln()
                        + f64::from(u8::from(image)) * image_effect.ln()
                        + ((i * 7919) % 13) as f64 / 13.0
                        - 0.5,
                )
            })
            .collect()
    }

    trait WithScore {
        fn with_score(self, rel: f64) -> PostFacts;
    }
    impl WithScore for PostFacts {
        // The score rides in `views` so the test can build `Scored` rows from plain posts.
        fn with_score(mut self, rel: f64) -> PostFacts {
            self.metrics = Some([(rel * 1e6) as i64, 0, 0, 0, 0, 0]);
            self
        }
    }

    fn scored(posts: &[PostFacts]) -> Vec<Scored<'_>> {
        posts
            .iter()
            .map(|p| Scored {
                post: p,
                rel: p.views().unwrap_or(0) as f64 / 1e6,
                rel_replies: 0.0,
            })
            .collect()
    }

    #[test]
    fn a_length_effect_is_not_credited_to_the_format() {
        let posts = confounded(1.0);
        let s = scored(&posts);
        let is_image = |x: &Scored<'_>| x.post.format() == "IMAGE";
        let raw = crate::strategy::analysis::split(&s, is_image).unwrap();
        assert!(raw.lift > 1.5 && raw.p_value < 1e-6, "raw {raw:?}");
        let none = Controls {
            length: false,
            format: false,
        };
        let plain = Adjusted::new(&s, none, 1_701_000_000, |x| x.rel).unwrap();
        assert!(plain.compare(&s, is_image).unwrap().p_value < 1e-6);
        let by_length = Controls {
            length: true,
            format: false,
        };
        let adj = Adjusted::new(&s, by_length, 1_701_000_000, |x| x.rel).unwrap();
        let c = adj.compare(&s, is_image).unwrap();
        assert!(
            (c.lift - 1.0).abs() < 0.1 && c.p_value > 0.05,
            "adjusted {c:?}"
        );
    }

    #[test]
    fn a_real_format_effect_survives_the_adjustment() {
        let posts = confounded(2.0);
        let s = scored(&posts);
        let by_length = Controls {
            length: true,
            format: false,
        };
        let adj = Adjusted::new(&s, by_length, 1_701_000_000, |x| x.rel).unwrap();
        let c = adj.compare(&s, |x| x.post.format() == "IMAGE").unwrap();
        assert!((c.lift - 2.0).abs() < 0.15 && c.p_value < 1e-6, "{c:?}");
        assert!(c.ci_low < c.lift && c.lift < c.ci_high);
    }

    #[test]
    fn bands_cover_every_length() {
        assert_eq!(band(0), 0);
        assert_eq!(band(59), 1);
        assert_eq!(band(60), 2);
        assert_eq!(band(10_000), LENGTH_BANDS.len() - 1);
    }
}
