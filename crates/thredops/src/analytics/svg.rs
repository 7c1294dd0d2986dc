//! Server-rendered SVG charts: crisp at any size, styled by classes from app.css (the CSP
//! forbids inline styles), each with a title and description for screen readers. Every chart
//! is shown next to a data table with the same numbers.
//!
//! The charts are scaled to their box, so their text is sized in viewBox units chosen for the
//! boxes they get (app.css enlarges it on phones): about 13 px on a desktop, 11 px on a phone.
//! The y axis uses "nice" steps (1, 2 or 5 times a power of ten), whole steps for counts, and
//! labels as short as they can be while staying distinct (0, 10k, 20k). Every point and bar
//! carries its date and value in `data-label`/`data-value` (analytics.js shows them on hover
//! and keyboard focus) and in a `<title>` (the browser's own tooltip without script).

use std::fmt::Write;

use super::content::{Cell, WEEKDAYS};
use crate::domain::format;

/// The plot's box in viewBox units.
#[derive(Clone, Copy)]
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

/// Line and bar charts: half a desktop column wide, a phone's width.
const CHART: Frame = Frame {
    w: 480.0,
    h: 250.0,
    left: 66.0,
    right: 18.0,
    top: 14.0,
    bottom: 54.0,
};

/// The heatmap: 24 hours wide, shown in a scrolling box on phones.
const HEAT: Frame = Frame {
    w: 720.0,
    h: 300.0,
    left: 52.0,
    right: 8.0,
    top: 8.0,
    bottom: 46.0,
};

/// The note shown under a chart whose series has a single point so far.
pub const ONE_POINT_NOTE: &str =
    "One day of history so far; the chart fills as daily snapshots accumulate.";

/// Escapes text for SVG/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a chart shows.
pub struct Spec<'a> {
    /// Unique id within the page (for aria references).
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// X axis label.
    pub x_label: &'a str,
    /// Y axis label.
    pub y_label: &'a str,
}

/// The y axis: its ends and labelled ticks, `step` apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    /// Bottom of the axis (the first tick).
    pub lo: f64,
    /// Top of the axis (the last tick).
    pub hi: f64,
    /// Distance between ticks: 1, 2 or 5 times a power of ten.
    pub step: f64,
    /// Every tick, bottom to top.
    pub ticks: Vec<f64>,
}

/// The smallest of 1, 2, 5, 10 × 10ⁿ that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 + 1e-9 {
        1.0
    } else if f <= 2.0 + 1e-9 {
        2.0
    } else if f <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Ticks covering `lo..=hi` in about five nice steps; `counts` keeps every step whole.
pub fn scale(lo: f64, hi: f64, counts: bool) -> Scale {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let (lo, hi) = if hi - lo < 1e-9 {
        // One value: start the axis at zero (or end it there) so the value has a height.
        if lo > 0.0 {
            (0.0, hi)
        } else if hi < 0.0 {
            (lo, 0.0)
        } else {
            (0.0, 1.0)
        }
    } else {
        (lo, hi)
    };
    let mut step = nice_step((hi - lo) / 5.0);
    if counts {
        step = step.max(1.0);
    }
    let first = (lo / step + 1e-9).floor() as i64;
    let mut last = (hi / step - 1e-9).ceil() as i64;
    if last <= first {
        last = first + 1;
    }
    let ticks: Vec<f64> = (first..=last).map(|k| k as f64 * step).collect();
    Scale {
        lo: first as f64 * step,
        hi: last as f64 * step,
        step,
        ticks,
    }
}

/// A tick's label: one unit (none, k or M) for the whole axis and just enough decimals to tell
/// neighbouring ticks apart: 0, 10k, 20k; 2,590, 2,595; 1.5k, 2k.
pub fn tick_label(v: f64, s: &Scale) -> String {
    let top = s.lo.abs().max(s.hi.abs());
    let (unit, suffix) = if top >= 1_000_000.0 {
        (1_000_000.0, "M")
    } else if top >= 10_000.0 {
        (1000.0, "k")
    } else {
        (1.0, "")
    };
    let ratio = s.step / unit;
    let decimals = if ratio >= 1.0 - 1e-9 {
        0
    } else {
        (-ratio.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize
    };
    let text = format::number(v / unit, decimals);
    if text == "0" {
        text
    } else {
        format!("{text}{suffix}")
    }
}

/// "4 Mar" for an ISO date (or "week of" one): short enough for an axis.
fn short_label(label: &str) -> String {
    let day = label.strip_prefix("week of ").unwrap_or(label);
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) => d.format("%-d %b").to_string(),
        Err(_) => label.to_owned(),
    }
}

/// "4 Mar 2026" (or "week of 2 Mar 2026") for an ISO date; other labels as they are.
fn long_label(label: &str) -> String {
    let (prefix, day) = match label.strip_prefix("week of ") {
        Some(d) => ("week of ", d),
        None => ("", label),
    };
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) => format!("{prefix}{}", d.format("%-d %b %Y")),
        Err(_) => label.to_owned(),
    }
}

/// A value as the data table and tooltips print it: whole numbers grouped, others with up to
/// two decimals.
fn value_text(v: f64) -> String {
    format::number(v, 2)
}

fn open(spec: &Spec, f: Frame, class: &str, desc: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart {class}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" data-series="{y}" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"#,
        w = f.w,
        h = f.h,
        id = esc(spec.id),
        y = esc(spec.y_label),
        t = esc(spec.title),
        d = esc(desc)
    );
    s
}

/// Indices of the x labels: the ends and up to three evenly spaced between them.
fn x_picks(n: usize) -> Vec<usize> {
    match n {
        0 => vec![],
        1 => vec![0],
        _ => {
            let m = n.min(5);
            let mut picks: Vec<usize> = (0..m)
                .map(|k| ((k * (n - 1)) as f64 / (m - 1) as f64).round() as usize)
                .collect();
            picks.dedup();
            picks
        }
    }
}

fn axes(s: &mut String, spec: &Spec, sc: &Scale, labels: &[String], x: impl Fn(usize) -> f64) {
    let f = CHART;
    let (x0, x1, y0) = (f.left, f.w - f.right, f.h - f.bottom);
    for &v in &sc.ticks {
        let y = y_at(v, sc);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{x0}" x2="{x1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick tick-y" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0 - 6.0,
            y + 5.0,
            esc(&tick_label(v, sc))
        );
    }
    let n = labels.len();
    for i in x_picks(n) {
        let xi = x(i);
        let anchor = if n == 1 {
            "middle"
        } else if i == 0 && xi - f.left < 30.0 {
            "start"
        } else if i == n - 1 && x1 - xi < 30.0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            r#"<text class="tick tick-x" x="{xi:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            y0 + 20.0,
            esc(&short_label(&labels[i]))
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}"/><text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axis-label" transform="translate(15 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (x0 + x1) / 2.0,
        f.h - 6.0,
        esc(spec.x_label),
        (y0 + f.top) / 2.0,
        esc(spec.y_label)
    );
}

fn x_at(i: usize, n: usize) -> f64 {
    let f = CHART;
    // Points sit inside the plot, clear of the y axis labels.
    let (a, b) = (f.left + 10.0, f.w - f.right - 10.0);
    if n <= 1 {
        (a + b) / 2.0
    } else {
        a + (b - a) * i as f64 / (n - 1) as f64
    }
}

/// The axis for these values: from zero unless zero would squash the line into a flat band.
fn value_scale(values: &[f64]) -> Scale {
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    if lo > hi {
        return scale(0.0, 1.0, true);
    }
    let lo = if lo >= 0.0 && lo < hi * 0.5 { 0.0 } else { lo };
    let counts = values.iter().all(|v| v.fract() == 0.0);
    scale(lo, hi, counts)
}

fn y_at(v: f64, sc: &Scale) -> f64 {
    let f = CHART;
    let (y0, y1) = (f.h - f.bottom, f.top);
    y0 - (y0 - y1) * (v - sc.lo) / (sc.hi - sc.lo)
}

/// How many points of a series have a value.
pub fn known_points(points: &[(String, Option<f64>)]) -> usize {
    points.iter().filter(|p| p.1.is_some()).count()
}

/// A line chart; gaps (None) break the line. Each point is a `circle.pt` with its values.
pub fn line(spec: &Spec, points: &[(String, Option<f64>)]) -> String {
    let known: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    let desc = match (known.first(), known.last()) {
        (Some(a), Some(_)) if known.len() == 1 => format!(
            "{} {} on {}. {ONE_POINT_NOTE} The table below lists every value.",
            spec.y_label,
            value_text(*a),
            long_label(
                &points
                    .iter()
                    .find(|p| p.1.is_some())
                    .map(|p| p.0.clone())
                    .unwrap_or_default()
            ),
        ),
        (Some(a), Some(b)) => format!(
            "{} from {} to {}, {} points; the table below lists every value.",
            spec.y_label,
            value_text(*a),
            value_text(*b),
            known.len()
        ),
        _ => "No data in this period.".to_owned(),
    };
    let dense = if points.len() > 40 { " dense" } else { "" };
    let mut s = open(spec, CHART, &format!("chart-line{dense}"), &desc);
    let sc = value_scale(&known);
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    let n = points.len();
    axes(&mut s, spec, &sc, &labels, |i| x_at(i, n));
    let mut d = String::new();
    let mut pen_up = true;
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if pen_up { "M" } else { "L" },
                    x_at(i, n),
                    y_at(*v, &sc)
                );
                pen_up = false;
            }
            None => pen_up = true,
        }
    }
    if !d.is_empty() {
        let _ = write!(s, r#"<path class="series" d="{}"/>"#, d.trim_end());
    }
    // Every point, for tooltips; a point without neighbours draws no line, so it is a `dot`.
    let has = |i: Option<usize>| i.and_then(|i| points.get(i)).is_some_and(|p| p.1.is_some());
    for (i, (label, v)) in points.iter().enumerate() {
        let Some(v) = v else { continue };
        let alone = !has(i.checked_sub(1)) && !has(Some(i + 1));
        let (label, value) = (long_label(label), value_text(*v));
        let _ = write!(
            s,
            r#"<circle class="pt{}" cx="{:.1}" cy="{:.1}" r="{}" data-label="{}" data-value="{}"><title>{}: {} {}</title></circle>"#,
            if alone { " dot" } else { "" },
            x_at(i, n),
            y_at(*v, &sc),
            if alone { 5 } else { 4 },
            esc(&label),
            esc(&value),
            esc(&label),
            esc(&value),
            esc(&spec.y_label.to_lowercase())
        );
    }
    s.push_str("</svg>");
    s
}

/// A bar chart. Each bar is a `rect.bar` with its values.
pub fn bars(spec: &Spec, points: &[(String, f64)]) -> String {
    let total: f64 = points.iter().map(|p| p.1).sum();
    let desc = format!(
        "{} bars totalling {}; the table below lists every value.",
        points.len(),
        value_text(total)
    );
    let mut s = open(spec, CHART, "chart-bars", &desc);
    let values: Vec<f64> = points.iter().map(|p| p.1).chain([0.0]).collect();
    let sc = value_scale(&values);
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    let f = CHART;
    let n = points.len().max(1) as f64;
    let slot = (f.w - f.right - f.left) / n;
    let centre = |i: usize| f.left + slot * i as f64 + slot / 2.0;
    axes(&mut s, spec, &sc, &labels, centre);
    let base = y_at(0.0_f64.max(sc.lo), &sc);
    for (i, (label, v)) in points.iter().enumerate() {
        let y = y_at(*v, &sc);
        let (label, value) = (long_label(label), value_text(*v));
        let _ = write!(
            s,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" data-label="{}" data-value="{}"><title>{}: {} {}</title></rect>"#,
            centre(i) - slot * 0.35,
            y.min(base),
            slot * 0.7,
            (base - y).abs(),
            esc(&label),
            esc(&value),
            esc(&label),
            esc(&value),
            esc(&spec.y_label.to_lowercase())
        );
    }
    s.push_str("</svg>");
    s
}

/// The heatmap's colour of a cell: 0 without posts, else 1–5 by fifths of the best mean.
fn heat_level(avg: Option<f64>, best: f64) -> usize {
    match avg {
        None => 0,
        Some(_) if best <= 0.0 => 1,
        Some(v) => 1 + ((v / best) * 5.0).floor().clamp(0.0, 4.0) as usize,
    }
}

/// The weekday × hour heatmap: colour = mean views per post, number = posts in the cell; in a
/// box that scrolls sideways on phones, followed by the legend of its colours.
pub fn heatmap(element: &str, cells: &[Cell], tz: &str) -> String {
    let spec = Spec {
        id: element,
        title: "Best time to post",
        x_label: "Hour of day",
        y_label: "Mean views",
    };
    let best = cells
        .iter()
        .filter_map(|c| c.avg_views())
        .fold(0.0, f64::max);
    let desc = format!(
        "Mean views per post by weekday and hour in {tz}; the number in a cell is how many posts it is based on."
    );
    let f = HEAT;
    let mut s = String::from(
        r#"<div class="chart-scroll" tabindex="0" role="group" aria-label="Best time to post, scrolls sideways">"#,
    );
    s.push_str(&open(&spec, f, "chart-heat", &desc));
    let (cw, ch, x0, y0) = (
        (f.w - f.left - f.right) / 24.0,
        (f.h - f.top - f.bottom) / 7.0,
        f.left,
        f.top,
    );
    for (d, name) in WEEKDAYS.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{name}</text>"#,
            x0 - 6.0,
            y0 + ch * d as f64 + ch / 2.0 + 5.0
        );
    }
    for h in (0..24).step_by(3) {
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{h:02}</text>"#,
            x0 + cw * h as f64 + cw / 2.0,
            f.h - f.bottom + 18.0
        );
    }
    for c in cells {
        let level = heat_level(c.avg_views(), best);
        let (x, y) = (x0 + cw * c.hour as f64, y0 + ch * c.weekday as f64);
        let _ = write!(
            s,
            r#"<rect class="heat heat-{level}" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{} {:02}:00: {} posts, {} mean views</title></rect>"#,
            cw - 2.0,
            ch - 2.0,
            WEEKDAYS[c.weekday],
            c.hour,
            format::integer(c.posts),
            c.avg_views().map_or("no".into(), value_text)
        );
        if c.posts > 0 {
            let _ = write!(
                s,
                r#"<text class="heat-n heat-n-{level}" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + cw / 2.0 - 1.0,
                y + ch / 2.0 + 4.0,
                c.posts
            );
        }
    }
    let _ = write!(
        s,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">Hour of day ({})</text>"#,
        (f.left + f.w - f.right) / 2.0,
        f.h - 6.0,
        esc(tz)
    );
    s.push_str("</svg></div>");
    s.push_str(&heat_legend(best));
    s
}

/// The legend of the heatmap's colours: what mean views each shade stands for.
fn heat_legend(best: f64) -> String {
    let mut s = String::from(
        r#"<div class="heat-legend"><p class="heat-legend-title">Mean views per post</p><ul>"#,
    );
    s.push_str(r#"<li><span class="swatch heat-0" aria-hidden="true"></span>no posts</li>"#);
    if best <= 0.0 {
        s.push_str(r#"<li><span class="swatch heat-1" aria-hidden="true"></span>0</li>"#);
    } else {
        for level in 1..=5 {
            let lo = best * (level - 1) as f64 / 5.0;
            let hi = best * level as f64 / 5.0;
            let text = if level == 5 {
                format!("{} or more", format::compact(lo))
            } else {
                format!("{}–{}", format::compact(lo), format::compact(hi))
            };
            let _ = write!(
                s,
                r#"<li><span class="swatch heat-{level}" aria-hidden="true"></span>{}</li>"#,
                esc(&text)
            );
        }
    }
    s.push_str("</ul></div>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(s: &Scale) -> Vec<String> {
        s.ticks.iter().map(|v| tick_label(*v, s)).collect()
    }

    #[test]
    fn ticks_take_nice_steps_and_short_labels() {
        let s = scale(0.0, 48_213.0, true);
        assert_eq!(s.ticks, vec![0.0, 10e3, 20e3, 30e3, 40e3, 50e3]);
        assert_eq!(labels(&s), ["0", "10k", "20k", "30k", "40k", "50k"]);
        let s = scale(0.0, 1_598_672.0, true);
        assert_eq!(s.step, 500_000.0);
        assert_eq!(labels(&s), ["0", "0.5M", "1M", "1.5M", "2M"]);
        let s = scale(0.0, 730.0, true);
        assert_eq!(s.step, 200.0);
        assert_eq!(labels(&s), ["0", "200", "400", "600", "800"]);
    }

    #[test]
    fn counts_never_get_fractional_ticks() {
        for hi in [0.0, 1.0, 2.0, 3.0, 4.0, 7.0] {
            let s = scale(0.0, hi, true);
            assert!(s.step >= 1.0, "{s:?}");
            assert!(s.ticks.iter().all(|t| t.fract() == 0.0), "{s:?}");
            assert!(s.hi >= hi, "{s:?}");
            assert!(labels(&s).iter().all(|l| !l.contains('.')), "{s:?}");
        }
        // Fractions are allowed when the values are fractions.
        let s = scale(0.0, 0.8, false);
        assert_eq!(labels(&s), ["0", "0.2", "0.4", "0.6", "0.8"]);
    }

    #[test]
    fn ticks_never_repeat_even_on_a_flat_or_narrow_series() {
        for (lo, hi) in [
            (48_000.0, 48_000.0),
            (48_100.0, 48_213.0),
            (2_590.0, 2_612.0),
            (1_500_000.0, 1_598_672.0),
            (0.0, 0.0),
            (12.0, 13.0),
        ] {
            let s = scale(lo, hi, true);
            let l = labels(&s);
            let mut unique = l.clone();
            unique.dedup();
            assert_eq!(l, unique, "repeated ticks for {lo}..{hi}: {l:?}");
            assert!(s.lo <= lo && s.hi >= hi, "{lo}..{hi} within {s:?}");
            assert!((2..=7).contains(&s.ticks.len()), "{lo}..{hi}: {l:?}");
        }
        let s = scale(48_100.0, 48_213.0, true);
        assert_eq!(labels(&s), ["48.1k", "48.15k", "48.2k", "48.25k"]);
    }

    #[test]
    fn charts_are_labelled_and_escape_text() {
        let spec = Spec {
            id: "f",
            title: "Followers <all>",
            x_label: "Date",
            y_label: "Followers",
        };
        let svg = line(
            &spec,
            &[
                ("2026-01-01".into(), Some(10.0)),
                ("2026-01-02".into(), None),
                ("2026-01-03".into(), Some(12_000.0)),
            ],
        );
        assert!(
            svg.contains(r#"<title id="f-t">Followers &lt;all&gt;</title>"#),
            "{svg}"
        );
        assert!(svg.contains("aria-labelledby=\"f-t f-d\""));
        let path = svg.split(r#"class="series" d=""#).nth(1).unwrap();
        let path = path.split('"').next().unwrap();
        assert_eq!(path.matches('M').count(), 2, "a gap breaks the line: {svg}");
        assert!(!svg.contains("style="));
        assert!(
            svg.contains(r#"data-label="3 Jan 2026" data-value="12,000""#),
            "points carry their values: {svg}"
        );
        assert!(svg.contains("<title>3 Jan 2026: 12,000 followers</title>"));
    }

    #[test]
    fn the_heatmap_has_a_legend() {
        let cells = vec![Cell {
            weekday: 0,
            hour: 9,
            posts: 2,
            views: 10_000,
            engagements: 10,
        }];
        let svg = heatmap("h", &cells, "Europe/Berlin");
        assert!(svg.contains("heat-legend"), "{svg}");
        assert!(svg.contains("4,000 or more"), "{svg}");
        assert!(svg.contains("no posts"));
    }
}
