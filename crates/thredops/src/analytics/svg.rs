//! Server-rendered SVG charts: crisp at any size, no script, styled by classes from app.css (the
//! CSP forbids inline styles), each with a title and description for screen readers. Every chart
//! is shown next to a data table with the same numbers.

use std::fmt::Write;

use super::content::{Cell, WEEKDAYS};

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

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

fn open(spec: &Spec, desc: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"#,
        id = esc(spec.id),
        t = esc(spec.title),
        d = esc(desc)
    );
    s
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if v.abs() >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn axes(s: &mut String, spec: &Spec, lo: f64, hi: f64, labels: &[String]) {
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        let y = y0 - (y0 - y1) * i as f64 / 4.0;
        let _ = write!(
            s,
            r#"<line class="grid" x1="{x0}" x2="{x1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0 - 6.0,
            y + 4.0,
            fmt_num(v)
        );
    }
    let n = labels.len();
    let picks: Vec<usize> = if n <= 1 {
        vec![0]
    } else {
        vec![0, (n - 1) / 2, n - 1]
    };
    for &i in picks.iter().filter(|&&i| i < n) {
        let x = x_at(i, n);
        let anchor = if i == 0 {
            "start"
        } else if i == n - 1 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            r#"<text class="tick" x="{x:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            y0 + 16.0,
            esc(&labels[i])
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}"/><text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axis-label" transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (x0 + x1) / 2.0,
        H - 6.0,
        esc(spec.x_label),
        (y0 + y1) / 2.0,
        esc(spec.y_label)
    );
}

fn x_at(i: usize, n: usize) -> f64 {
    if n <= 1 {
        (LEFT + W - RIGHT) / 2.0
    } else {
        LEFT + (W - RIGHT - LEFT) * i as f64 / (n - 1) as f64
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let lo = if lo >= 0.0 && lo < hi * 0.5 { 0.0 } else { lo };
    if (hi - lo).abs() < f64::EPSILON {
        ((lo - 1.0).max(0.0).min(lo), hi + 1.0)
    } else {
        (lo, hi)
    }
}

fn y_at(v: f64, lo: f64, hi: f64) -> f64 {
    let (y0, y1) = (H - BOTTOM, TOP);
    y0 - (y0 - y1) * (v - lo) / (hi - lo)
}

/// A line chart; gaps (None) break the line.
pub fn line(spec: &Spec, points: &[(String, Option<f64>)]) -> String {
    let known: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    let desc = match (known.first(), known.last()) {
        (Some(a), Some(b)) => format!(
            "{} from {} to {}, {} points; the table below lists every value.",
            spec.y_label,
            fmt_num(*a),
            fmt_num(*b),
            known.len()
        ),
        _ => "No data in this period.".to_owned(),
    };
    let mut s = open(spec, &desc);
    let (lo, hi) = range(known.iter().copied());
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    axes(&mut s, spec, lo, hi, &labels);
    let mut d = String::new();
    let mut pen_up = true;
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if pen_up { "M" } else { "L" },
                    x_at(i, points.len()),
                    y_at(*v, lo, hi)
                );
                pen_up = false;
            }
            None => pen_up = true,
        }
    }
    if !d.is_empty() {
        let _ = write!(s, r#"<path class="series" d="{}"/>"#, d.trim_end());
    }
    // A point without neighbours draws no line segment, so it gets a dot.
    let has = |i: Option<usize>| i.and_then(|i| points.get(i)).is_some_and(|p| p.1.is_some());
    for (i, (_, v)) in points.iter().enumerate() {
        if let Some(v) = v.filter(|_| !has(i.checked_sub(1)) && !has(Some(i + 1))) {
            let _ = write!(
                s,
                r#"<circle class="dot" cx="{:.1}" cy="{:.1}" r="4"/>"#,
                x_at(i, points.len()),
                y_at(v, lo, hi)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A bar chart.
pub fn bars(spec: &Spec, points: &[(String, f64)]) -> String {
    let total: f64 = points.iter().map(|p| p.1).sum();
    let desc = format!(
        "{} bars totalling {}; the table below lists every value.",
        points.len(),
        fmt_num(total)
    );
    let mut s = open(spec, &desc);
    let (_, hi) = range(points.iter().map(|p| p.1).chain([0.0]));
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    axes(&mut s, spec, 0.0, hi, &labels);
    let n = points.len().max(1) as f64;
    let slot = (W - RIGHT - LEFT) / n;
    for (i, (label, v)) in points.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let y = y_at(*v, 0.0, hi);
        let _ = write!(
            s,
            r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{}: {}</title></rect>"#,
            slot * 0.7,
            (H - BOTTOM - y).max(0.0),
            esc(label),
            fmt_num(*v)
        );
    }
    s.push_str("</svg>");
    s
}

/// The weekday × hour heatmap: colour = mean views per post, number = posts in the cell.
pub fn heatmap(id: &str, cells: &[Cell], tz: &str) -> String {
    let spec = Spec {
        id,
        title: "Best time to post",
        x_label: "Hour of day",
        y_label: "",
    };
    let best = cells
        .iter()
        .filter_map(|c| c.avg_views())
        .fold(0.0, f64::max);
    let desc = format!(
        "Mean views per post by weekday and hour in {tz}; the number in a cell is how many posts it is based on."
    );
    let mut s = open(&spec, &desc);
    let (cw, ch, x0, y0) = (
        (W - LEFT - RIGHT) / 24.0,
        (H - TOP - BOTTOM) / 7.0,
        LEFT,
        TOP,
    );
    for (d, name) in WEEKDAYS.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{name}</text>"#,
            x0 - 6.0,
            y0 + ch * d as f64 + ch / 2.0 + 4.0
        );
    }
    for h in (0..24).step_by(3) {
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{h:02}</text>"#,
            x0 + cw * h as f64 + cw / 2.0,
            H - BOTTOM + 16.0
        );
    }
    for c in cells {
        let level = match c.avg_views() {
            None => 0,
            Some(v) if best <= 0.0 => (v >= 0.0) as usize,
            Some(v) => 1 + ((v / best) * 4.0).floor().min(4.0) as usize,
        };
        let (x, y) = (x0 + cw * c.hour as f64, y0 + ch * c.weekday as f64);
        let _ = write!(
            s,
            r#"<rect class="heat heat-{level}" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{} {:02}:00: {} posts, {} mean views</title></rect>"#,
            cw - 2.0,
            ch - 2.0,
            WEEKDAYS[c.weekday],
            c.hour,
            c.posts,
            c.avg_views().map_or("no".into(), fmt_num)
        );
        if c.posts > 0 {
            let _ = write!(
                s,
                r#"<text class="heat-n" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + cw / 2.0 - 1.0,
                y + ch / 2.0 + 3.0,
                c.posts
            );
        }
    }
    let _ = write!(
        s,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">Hour of day ({})</text>"#,
        (LEFT + W - RIGHT) / 2.0,
        H - 6.0,
        esc(tz)
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

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
                ("2026-01-03".into(), Some(12.0)),
            ],
        );
        assert!(
            svg.contains(r#"<title id="f-t">Followers &lt;all&gt;</title>"#),
            "{svg}"
        );
        assert!(svg.contains("aria-labelledby=\"f-t f-d\""));
        assert_eq!(svg.matches('M').count(), 2, "a gap breaks the line: {svg}");
        assert!(!svg.contains("style="));
    }
}
