//! Page handlers render typed view structs, never `json!` contexts: a misspelt field then fails
//! to compile instead of rendering as nothing. Checked on the source of `src/http/pages`.

use std::path::{Path, PathBuf};

/// Pages allowed to build a `json!` context: none. A file may be listed here only while it is
/// being converted to view structs.
const NOT_YET_TYPED: &[&str] = &[];

/// Files that use `json!` for something other than a template context (a JSON answer, a value
/// handed to an area), with how many uses and why.
const JSON_NOT_A_CONTEXT: &[(&str, usize, &str)] = &[
    (
        "analytics/views.rs",
        2,
        "the cells of an analytics table, whose rows are JSON values",
    ),
    ("billing.rs", 1, "the Stripe address answered to the script"),
    (
        "privacy_public.rs",
        2,
        "the answers to Meta's deauthorize and data deletion callbacks",
    ),
    ("profiles.rs", 1, "the sync progress sent as a server event"),
    (
        "strategy.rs",
        1,
        "an experiment's value, which the strategy area takes as JSON",
    ),
];

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

/// Every page source as (path under `src/http/pages`, code without comment lines).
fn pages() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/pages");
    let mut paths = Vec::new();
    sources(&dir, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
            let code = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            (rel.replace('\\', "/"), code)
        })
        .collect()
}

/// The argument text of every `.render(` call: up to its closing parenthesis.
fn render_arguments(code: &str) -> Vec<&str> {
    code.match_indices(".render(")
        .map(|(at, call)| {
            let start = at + call.len();
            let mut depth = 1;
            let end = code[start..]
                .char_indices()
                .find_map(|(i, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(start + i)
                })
                .unwrap_or(code.len());
            &code[start..end]
        })
        .collect()
}

/// Whether `code` calls the free function `name` (not a method such as a router's `.merge(`).
fn calls(code: &str, name: &str) -> bool {
    let call = format!("{name}(");
    code.match_indices(&call).any(|(at, _)| {
        !code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
    })
}

#[test]
fn page_handlers_render_view_structs_not_json_contexts() {
    let mut offenders = Vec::new();
    for (file, code) in pages() {
        if NOT_YET_TYPED.contains(&file.as_str()) {
            continue;
        }
        for args in render_arguments(&code) {
            if args.contains("json!") || args.contains("merge(") || args.contains("Value") {
                offenders.push(format!("{file}: renders a JSON context: {}", args.trim()));
            }
        }
        // A context built in pieces and merged, or passed on as an untyped `extra`.
        for needle in ["merge", "base"] {
            if calls(&code, needle) {
                offenders.push(format!("{file}: builds a JSON context with `{needle}(`"));
            }
        }
        for needle in ["extra: Value", "ctx: Value"] {
            if code.contains(needle) {
                offenders.push(format!("{file}: passes an untyped context (`{needle}`)"));
            }
        }
        let uses = code.matches("json!").count();
        let allowed = JSON_NOT_A_CONTEXT
            .iter()
            .find(|(f, _, _)| *f == file)
            .map_or(0, |(_, n, _)| *n);
        if uses > allowed {
            offenders.push(format!(
                "{file}: {uses} `json!` uses, {allowed} allowed (a view struct instead?)"
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "give each page a #[derive(Serialize)] view struct:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_allow_lists_name_files_that_exist() {
    let files: Vec<String> = pages().into_iter().map(|(f, _)| f).collect();
    for f in NOT_YET_TYPED
        .iter()
        .chain(JSON_NOT_A_CONTEXT.iter().map(|(f, _, _)| f))
    {
        assert!(files.contains(&f.to_string()), "{f} is not a page source");
    }
}
