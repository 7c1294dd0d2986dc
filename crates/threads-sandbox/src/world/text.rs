//! Deterministic synthetic text: post bodies, topic tags, links, poll options, usernames.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const WORDS: &[&str] = &[
    "today", "shipping", "coffee", "thread", "idea", "notes", "creative", "morning", "build",
    "learned", "design", "story", "weekend", "focus", "audience", "growth", "quiet", "launch",
    "draft", "sketch", "honest", "question", "small", "habit", "tools", "workflow", "time",
    "people", "city", "music", "camera", "light", "reading", "writing", "process", "simple",
    "better", "maybe", "finally", "again", "really", "everyone", "project", "update", "share",
];

const TOPICS: &[&str] = &[
    "Photography",
    "Writing",
    "Productivity",
    "Coffee",
    "Design",
    "Travel",
    "Music",
    "Startups",
    "Books",
    "Cooking",
    "Fitness",
    "Art",
];

const HANDLES: &[&str] = &[
    "river", "maple", "nova", "pixel", "juniper", "echo", "atlas", "ember", "willow", "orbit",
];

/// The RNG for one object's text, independent of everything else.
pub fn rng_for(seed: u64, salt: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A body of about `len` characters; `link` is appended when given.
pub fn body(seed: u64, len: usize, link: Option<&str>) -> String {
    let mut rng = rng_for(seed, 1);
    let budget = len.saturating_sub(link.map_or(0, |l| l.len() + 1)).max(3);
    let mut out = String::with_capacity(len + 8);
    while out.len() < budget {
        let word = WORDS[rng.random_range(0..WORDS.len())];
        if out.len() + word.len() + 1 > budget && !out.is_empty() {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if let Some(l) = link {
        out.push(' ');
        out.push_str(l);
    }
    out
}

/// A topic tag for a post.
pub fn topic(seed: u64) -> &'static str {
    TOPICS[(seed % TOPICS.len() as u64) as usize]
}

/// The link a link post points at.
pub fn link(seed: u64) -> String {
    format!("https://example.com/articles/{}", seed % 10_000)
}

/// Poll options for a poll post.
pub fn poll_options(seed: u64) -> Vec<String> {
    let n = 2 + (seed % 3) as usize;
    (0..n)
        .map(|i| {
            format!(
                "Option {}",
                WORDS[((seed >> (i * 5)) % WORDS.len() as u64) as usize]
            )
        })
        .collect()
}

/// Username of a synthetic reply author.
pub fn replier(seed: u64) -> String {
    format!(
        "{}_{}",
        HANDLES[(seed % HANDLES.len() as u64) as usize],
        (seed >> 8) % 10_000
    )
}

/// Username and display name for a generated creator.
pub fn creator_names(index: usize, seed: u64) -> (String, String) {
    let first = HANDLES[(seed % HANDLES.len() as u64) as usize];
    let second = WORDS[((seed >> 7) % WORDS.len() as u64) as usize];
    (
        format!("{first}_{second}_{index}"),
        format!("{} {}", capitalise(first), capitalise(second)),
    )
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
