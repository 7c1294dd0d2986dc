//! Ids are types (`crate::domain::ids`): outside the web layer, no function takes and no struct
//! holds an id as bare text, so a profile's id cannot be passed where a post's is asked for, nor
//! an account's where its workspace's is. Checked on the source of `src/`.
//!
//! The web layer is left out on purpose: its view structs hold text for templates, and what it
//! hands to an area is checked by the area's signature.

use std::path::{Path, PathBuf};

/// Text types an id must not be spelt as.
const BARE_TEXT: &[&str] = &[
    "&str",
    "&String",
    "String",
    "Option<String>",
    "Option<&str>",
    "Option<&String>",
    "Vec<String>",
    "&[String]",
    "&[&str]",
];

/// Names ending in `id` that are not ids of ours, with why they stay text.
const NOT_OUR_IDS: &[(&str, &str)] = &[(
    "app_id",
    "Meta's id of the ThredOps app (its OAuth client id), read from the configuration",
)];

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

/// The identifier that ends just before byte `end` of `line`.
fn name_before(line: &str, end: usize) -> &str {
    let head = &line[..end];
    let start = head
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    &head[start..]
}

/// `(name, type)` for every `id`, `ids`, `<x>_id` or `<x>_ids` on a line whose type is bare text.
fn bare_ids(line: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = line[from..].find(": ") {
        let at = from + at;
        from = at + 2;
        let name = name_before(line, at);
        if !(name == "id" || name == "ids" || name.ends_with("_id") || name.ends_with("_ids")) {
            continue;
        }
        let rest = &line[at + 2..];
        let ty: String = rest
            .chars()
            .take_while(|c| !matches!(c, ',' | ')' | ';' | '=' | '{'))
            .collect::<String>()
            .trim()
            .to_owned();
        if BARE_TEXT.contains(&ty.as_str()) {
            found.push((name.to_owned(), ty));
        }
    }
    found
}

#[test]
fn the_checker_sees_bare_ids_and_lets_typed_ones_pass() {
    assert_eq!(
        bare_ids("pub async fn post(&self, profile_id: &str, id: String) -> X {"),
        vec![
            ("profile_id".to_owned(), "&str".to_owned()),
            ("id".to_owned(), "String".to_owned())
        ]
    );
    assert_eq!(
        bare_ids("    pub parent_post_id: Option<String>,"),
        vec![("parent_post_id".to_owned(), "Option<String>".to_owned())]
    );
    assert_eq!(
        bare_ids("fn page(ids: &[String], media_ids: Vec<String>) {"),
        vec![
            ("ids".to_owned(), "&[String]".to_owned()),
            ("media_ids".to_owned(), "Vec<String>".to_owned())
        ]
    );
    assert!(bare_ids("fn f(profile_id: &ProfileId, paid: &str, valid: String)").is_empty());
    assert!(bare_ids("    pub id: PostId,").is_empty());
}

#[test]
fn outside_the_web_layer_every_id_is_a_type() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    let mut offenders = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(&src).unwrap();
        if rel.starts_with("http") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (name, ty) in bare_ids(line) {
                if NOT_OUR_IDS.iter().any(|(allowed, _)| *allowed == name) {
                    continue;
                }
                offenders.push(format!("{}:{}: {name}: {ty}", rel.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "{} ids are bare text; use a type from crate::domain::ids (or the area's own):\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}
