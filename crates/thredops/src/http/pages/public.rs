//! Pages anyone can read: landing, privacy policy, cookie policy.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use serde::Serialize;

use crate::http::cookies::REGISTRY;
use crate::http::error::AppResult;
use crate::http::session::Visitor;
use crate::http::state::WebState;

/// The privacy policy as the product owner wrote it.
pub const PRIVACY_POLICY: &str = include_str!("../../../web/privacy-policy.txt");

/// The contact address the policy text names, replaced by `THREDOPS_OPERATOR_CONTACT`.
const DEFAULT_CONTACT: &str = "support@thredops.com";

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(landing))
        .route("/privacy", get(privacy))
        .route("/cookies", get(cookies))
}

async fn landing(
    State(state): State<WebState>,
    Visitor(visitor): Visitor,
) -> AppResult<Html<String>> {
    state.templates.render(
        "landing.html",
        &LandingView {
            user: visitor.map(|v| v.current.user.email),
        },
    )
}

/// `landing.html`: the front page.
#[derive(Serialize)]
struct LandingView {
    user: Option<String>,
}

/// `privacy.html`: the privacy policy.
#[derive(Serialize)]
struct PrivacyPolicyView<'a> {
    user: Option<String>,
    blocks: Vec<Block>,
    operator: &'a str,
    contact: &'a str,
}

/// `cookies.html`: the cookies set and why.
#[derive(Serialize)]
struct CookiesView<'a> {
    user: Option<String>,
    cookies: Vec<CookieRow>,
    operator: &'a str,
    contact: &'a str,
}

/// A cookie in the list.
#[derive(Serialize)]
struct CookieRow {
    name: String,
    purpose: &'static str,
    lifetime: &'static str,
    essential: bool,
}

#[derive(Serialize, Debug, PartialEq)]
struct Block {
    kind: &'static str,
    text: String,
    items: Vec<String>,
}

/// Turns the plain-text policy into headings, paragraphs and lists.
fn policy_blocks(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for (i, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i == 0 {
            blocks.push(Block {
                kind: "h1",
                text: line.to_owned(),
                items: vec![],
            });
        } else if let Some(item) = line.strip_prefix("- ") {
            match blocks.last_mut() {
                Some(b) if b.kind == "li" => b.items.push(item.to_owned()),
                _ => blocks.push(Block {
                    kind: "li",
                    text: String::new(),
                    items: vec![item.to_owned()],
                }),
            }
        } else if is_heading(line) {
            blocks.push(Block {
                kind: "h2",
                text: line.to_owned(),
                items: vec![],
            });
        } else {
            blocks.push(Block {
                kind: "p",
                text: line.to_owned(),
                items: vec![],
            });
        }
    }
    blocks
}

fn is_heading(line: &str) -> bool {
    let mut parts = line.splitn(2, ". ");
    let number = parts.next().unwrap_or_default();
    !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
        && parts.next().is_some_and(|rest| rest.len() < 60)
}

async fn privacy(
    State(state): State<WebState>,
    Visitor(visitor): Visitor,
) -> AppResult<Html<String>> {
    // The policy names the default contact; a deployment shows its own operator's address.
    let text = PRIVACY_POLICY.replace(DEFAULT_CONTACT, &state.settings.privacy.operator_contact);
    state.templates.render(
        "privacy.html",
        &PrivacyPolicyView {
            user: visitor.map(|v| v.current.user.email),
            blocks: policy_blocks(&text),
            operator: &state.settings.privacy.operator_name,
            contact: &state.settings.privacy.operator_contact,
        },
    )
}

async fn cookies(
    State(state): State<WebState>,
    Visitor(visitor): Visitor,
) -> AppResult<Html<String>> {
    let list: Vec<_> = REGISTRY
        .iter()
        .map(|c| CookieRow {
            name: state.cookies.name(c),
            purpose: c.purpose,
            lifetime: c.lifetime,
            essential: c.essential,
        })
        .collect();
    state.templates.render(
        "cookies.html",
        &CookiesView {
            user: visitor.map(|v| v.current.user.email),
            cookies: list,
            operator: &state.settings.privacy.operator_name,
            contact: &state.settings.privacy.operator_contact,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_is_split_into_headings_lists_and_paragraphs() {
        let blocks = policy_blocks(PRIVACY_POLICY);
        assert_eq!(blocks[0].kind, "h1");
        assert!(
            blocks
                .iter()
                .any(|b| b.kind == "h2" && b.text == "6. Cookie Policy")
        );
        let list = blocks.iter().find(|b| b.kind == "li").unwrap();
        assert!(list.items[0].starts_with("Profile Information"));
    }

    /// The served policy's changes to the owner's text, each where the product changed.
    const POLICY_AMENDMENTS: &[(&str, &str)] = &[
        (
            "Last Updated: 11 April 2026",
            "Last Updated: 4 December 2026",
        ),
        (
            "(age ranges, gender distribution, and approximate location).\n",
            "(age ranges, gender distribution, and approximate location).\n- Public Profiles and Posts of Others (only if you turn on Competitors or Listening, which ask for their own permission): the public profiles you choose to compare with (follower counts, 7-day engagement totals and public posts) and public posts matching the keywords or topic tags you save (author, text and link). They are stored for your account only, encrypted, included in your export, and deleted when you remove them, disconnect the profile with its history, or delete your account.\n- Replies and Mentions (only for profiles whose Inbox you turn on): replies to your posts and public posts of other profiles that mention you, with their text, author's username and link. We ask for the threads_read_replies, threads_manage_replies and threads_manage_mentions permissions only when you turn the Inbox on.\n",
        ),
        (
            "to provide growth tracking over time.\n",
            "to provide growth tracking over time.\nReplies and mentions collected by the Inbox are stored encrypted with your account's key, are included when you export your data, and are deleted when you disconnect the profile or delete your account.\n",
        ),
    ];

    #[test]
    fn the_served_policy_is_the_product_owners_text() {
        // The canonical copy lives beside the repository when it is checked out with it.
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/seed/privacy-policy.txt"
        );
        if let Ok(canonical) = std::fs::read_to_string(shared) {
            // Where the product's behaviour changed, the served text says so (docs/privacy.md
            // lists each change); everything else is the owner's text.
            let amended = POLICY_AMENDMENTS
                .iter()
                .fold(canonical, |text, (from, to)| {
                    assert!(text.contains(from), "amended sentence not found: {from}");
                    text.replacen(from, to, 1)
                });
            assert_eq!(
                amended.trim(),
                PRIVACY_POLICY.trim(),
                "web/privacy-policy.txt drifted from the owner's policy"
            );
        }
    }
}
