use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::json;

use super::*;

const SECRET: &str = "sandbox-secret";
const NOW: i64 = 1_800_000_000;

fn payload(user: &str, algorithm: &str, issued_at: i64) -> serde_json::Value {
    json!({"algorithm": algorithm, "issued_at": issued_at, "user_id": user})
}

/// Signs an arbitrary payload text, padded or not.
fn signed_text(text: &[u8], padded: bool) -> String {
    let encoded = if padded {
        URL_SAFE.encode(text)
    } else {
        URL_SAFE_NO_PAD.encode(text)
    };
    format!("{}.{encoded}", sign(SECRET, &encoded))
}

#[test]
fn a_request_signed_like_meta_is_accepted() {
    let raw = encode(SECRET, &payload("1789", "HMAC-SHA256", NOW - 5));
    assert_eq!(
        parse(&raw, SECRET, NOW),
        Ok(SignedRequest {
            user_id: "1789".into(),
            issued_at: NOW - 5
        })
    );
}

#[test]
fn the_algorithm_name_is_compared_ignoring_case() {
    let raw = encode(SECRET, &payload("7", "hmac-sha256", NOW));
    assert!(parse(&raw, SECRET, NOW).is_ok());
}

#[test]
fn another_apps_secret_is_refused() {
    let raw = encode("someone-else", &payload("7", "HMAC-SHA256", NOW));
    assert_eq!(
        parse(&raw, SECRET, NOW),
        Err(SignedRequestError::BadSignature)
    );
}

#[test]
fn stale_and_future_requests_are_refused() {
    for at in [NOW - MAX_AGE_SECS - 1, NOW + MAX_AGE_SECS + 1] {
        let raw = encode(SECRET, &payload("7", "HMAC-SHA256", at));
        assert_eq!(parse(&raw, SECRET, NOW), Err(SignedRequestError::Stale));
    }
    let raw = encode(SECRET, &json!({"algorithm": "HMAC-SHA256", "user_id": "7"}));
    assert_eq!(parse(&raw, SECRET, NOW), Err(SignedRequestError::Stale));
}

#[test]
fn a_payload_without_a_user_is_refused() {
    let raw = encode(
        SECRET,
        &json!({"algorithm": "HMAC-SHA256", "issued_at": NOW}),
    );
    assert_eq!(
        parse(&raw, SECRET, NOW),
        Err(SignedRequestError::BadPayload)
    );
}

proptest! {
    #[test]
    fn padded_and_unpadded_encodings_both_verify(user in "[0-9]{1,20}", padded: bool) {
        let text = payload(&user, "HMAC-SHA256", NOW).to_string();
        let parsed = parse(&signed_text(text.as_bytes(), padded), SECRET, NOW).unwrap();
        prop_assert_eq!(parsed.user_id, user);
    }

    #[test]
    fn any_tampered_character_is_refused(user in "[0-9]{1,20}", at in any::<prop::sample::Index>(), c in "[A-Za-z0-9_=.-]") {
        let raw = encode(SECRET, &payload(&user, "HMAC-SHA256", NOW));
        let i = at.index(raw.len());
        let mut tampered = raw.clone();
        tampered.replace_range(i..=i, &c);
        prop_assume!(tampered != raw);
        prop_assert!(parse(&tampered, SECRET, NOW).is_err());
    }

    #[test]
    fn truncated_requests_are_refused(user in "[0-9]{1,20}", keep in any::<prop::sample::Index>()) {
        let raw = encode(SECRET, &payload(&user, "HMAC-SHA256", NOW));
        let cut = &raw[..keep.index(raw.len())];
        prop_assert!(parse(cut, SECRET, NOW).is_err());
    }

    #[test]
    fn other_algorithms_are_refused(alg in "[A-Za-z0-9-]{0,16}") {
        prop_assume!(!alg.eq_ignore_ascii_case("HMAC-SHA256"));
        let raw = encode(SECRET, &payload("7", &alg, NOW));
        prop_assert_eq!(parse(&raw, SECRET, NOW), Err(SignedRequestError::UnsupportedAlgorithm));
    }

    #[test]
    fn correctly_signed_non_json_is_refused(text in "[^{\\[0-9\"tfn -]\\PC{0,64}", padded: bool) {
        let raw = signed_text(text.as_bytes(), padded);
        prop_assert_eq!(parse(&raw, SECRET, NOW), Err(SignedRequestError::BadPayload));
    }

    #[test]
    fn arbitrary_input_never_panics(raw in "\\PC{0,200}") {
        let _ = parse(&raw, SECRET, NOW);
    }
}
