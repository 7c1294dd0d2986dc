//! The dependency rule of docs/architecture.md, checked on the source: the web layer depends on
//! the product areas, the areas on the foundation, never the other way round.

use std::path::{Path, PathBuf};

/// The web layer and the composition root, which may use everything.
const WEB_AND_ROOT: &[&str] = &["http", "startup.rs", "main.rs", "lib.rs"];
/// Storage, jobs, keys and the other building blocks the areas stand on.
const FOUNDATION: &[&str] = &[
    "store", "jobs", "crypto", "domain", "auth", "config", "clock",
];
/// What only the web layer may name.
const WEB_ONLY: &[&str] = &["crate::http", "axum::", "use axum", "tower::", "tower_http"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file with its first path component under `src/` (`publishing`, `app.rs`, ...).
fn files() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            (top, rel.to_path_buf(), text)
        })
        .collect()
}

/// Lines that are code, not comments (a doc comment may name the web layer to explain itself).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

#[test]
fn product_areas_and_the_foundation_never_use_the_web_layer() {
    let mut offenders = Vec::new();
    for (top, rel, text) in files() {
        if WEB_AND_ROOT.contains(&top.as_str()) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if WEB_ONLY.iter().any(|needle| line.contains(needle)) {
                offenders.push(format!("{}:{n}: {}", rel.display(), line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "only src/http (and the composition root) may use the web layer:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_foundation_never_uses_a_product_area() {
    let areas: Vec<String> = files()
        .into_iter()
        .map(|(top, _, _)| top.trim_end_matches(".rs").to_owned())
        .filter(|t| {
            !FOUNDATION.contains(&t.as_str()) && !WEB_AND_ROOT.contains(&t.as_str()) && t != "lib"
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        areas.iter().any(|a| a == "publishing"),
        "areas found: {areas:?}"
    );
    let mut offenders = Vec::new();
    for (top, rel, text) in files() {
        if !FOUNDATION.contains(&top.trim_end_matches(".rs")) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            let uses_area = areas
                .iter()
                .any(|a| line.contains(&format!("crate::{a}::")))
                || WEB_ONLY.iter().any(|needle| line.contains(needle));
            if uses_area {
                offenders.push(format!("{}:{n}: {}", rel.display(), line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the foundation ({FOUNDATION:?}) must not depend on product areas or the web layer:\n{}",
        offenders.join("\n")
    );
}

/// The parameter lists of the async functions in `text` (a handler's extractors).
fn signatures(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find("async fn ") {
        let start = offset + at;
        let tail = &text[start..];
        let end = tail.find('{').unwrap_or(tail.len());
        let line = text[..start].lines().count() + 1;
        out.push((line, tail[..end].to_owned()));
        offset = start + end;
        rest = &text[offset..];
    }
    out
}

#[test]
fn signed_in_forms_go_through_the_csrf_checking_extractor() {
    let mut offenders = Vec::new();
    for (top, rel, text) in files() {
        if top != "http" {
            continue;
        }
        for (line, sig) in signatures(&text) {
            let signed_in = sig.contains("PageUser") || sig.contains("AuthUser");
            if signed_in && sig.contains("Form<") {
                offenders.push(format!("{}:{line}", rel.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a signed-in form must be read as SignedForm<T>, which checks its CSRF token:\n{}",
        offenders.join("\n")
    );
}

/// Whether `rel` (a path under `src/`) is a storage module: the foundation's store and job
/// queue, or an area's `store.rs`, `store_*.rs` or `store/` files.
fn is_store_module(rel: &Path) -> bool {
    let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy());
    let top = parts.next().unwrap_or_default();
    if top == "store" || top == "jobs" {
        return true;
    }
    rel.components().any(|c| c.as_os_str() == "store")
        || rel
            .file_stem()
            .is_some_and(|s| s == "store" || s.to_string_lossy().starts_with("store_"))
}

#[test]
fn sql_lives_only_in_store_modules() {
    const SQL: &[&str] = &[
        "sqlx::query",
        "query_as(",
        "query_scalar(",
        "\"SELECT ",
        "\"UPDATE ",
        "\"INSERT ",
        "\"DELETE FROM",
    ];
    let mut offenders = Vec::new();
    for (_, rel, text) in files() {
        if is_store_module(&rel) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if SQL.iter().any(|needle| line.contains(needle)) {
                offenders.push(format!("{}:{n}: {}", rel.display(), line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "SQL belongs in the area's store module (`<area>/store.rs` or `<area>/store/`):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn handlers_reach_storage_only_through_the_areas() {
    let mut offenders = Vec::new();
    for (top, rel, text) in files() {
        if top != "http" {
            continue;
        }
        for (n, line) in code_lines(&text) {
            // `state.store.x(..)` on one line, or split as `state` / `.store` / `.x(..)`.
            let chained = line.trim() == ".store";
            let reached = line.contains("state.store") || line.contains(".store.");
            if chained || reached || line.contains("with_pool!") {
                offenders.push(format!("{}:{n}: {}", rel.display(), line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a handler calls an area function, never the store:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_calendar_time_is_read_from_the_one_clock() {
    const OTHER_CLOCKS: &[&str] = &[
        "thredops::clock::now()",
        "SystemTime::now()",
        "Local::now()",
        "OffsetDateTime::now",
        "fn now_unix",
        "fn now_ms",
    ];
    let mut offenders = Vec::new();
    for (_, rel, text) in files() {
        if rel == Path::new("clock.rs") {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if OTHER_CLOCKS.iter().any(|needle| line.contains(needle)) {
                offenders.push(format!("{}:{n}: {}", rel.display(), line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "read the time through `crate::clock` (tests can move it):\n{}",
        offenders.join("\n")
    );
}
