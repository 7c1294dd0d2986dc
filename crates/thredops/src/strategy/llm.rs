//! The optional language-model layer: phrases the strategist's findings and drafts post ideas
//! through any OpenAI-compatible `/v1/chat/completions` endpoint. Off unless configured AND the
//! user opted in. Only aggregates leave the server: recommendation titles and numbers, never
//! tokens, usernames, post text or anyone else's data.

use std::time::Duration;

use serde_json::{Value, json};

use super::report::StrategyReport;
use crate::app::AppState;
use crate::error::{AppError, AppResult};

/// Evidence keys that may carry post text or ids; they are dropped before anything is sent.
const PRIVATE_KEYS: &[&str] = &[
    "snippet",
    "permalink",
    "media_id",
    "starters",
    "top_post",
    "jumps",
];

/// The aggregates sent to the model: findings, their numbers and confidence, nothing else.
pub fn aggregates(report: &StrategyReport) -> Value {
    let findings: Vec<Value> = report
        .recommendations
        .iter()
        .filter(|r| r.status != "not_enough_data")
        .map(|r| {
            let mut evidence = r.evidence.clone();
            scrub(&mut evidence);
            json!({"area": r.key, "status": r.status, "finding": r.title, "confidence": r.confidence,
                   "expected_effect": r.expected_effect, "sample_size": r.sample_size, "numbers": evidence})
        })
        .collect();
    json!({"posts_analysed": report.posts_analysed, "audience_timezone": report.audience.timezone,
           "posts_per_week": report.cadence.posts_per_week, "findings": findings})
}

fn scrub(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !PRIVATE_KEYS.contains(&k.as_str()));
            map.values_mut().for_each(scrub);
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// Asks the configured model to phrase the findings and draft five post ideas.
pub async fn narrate(state: &AppState, report: &StrategyReport) -> AppResult<(String, String)> {
    let Some((base, model, key)) = &state.settings.llm else {
        return Err(AppError::Conflict(
            "No language model is configured on this server.".into(),
        ));
    };
    let url = completions_url(base.as_str());
    let body = json!({
        "model": model,
        "temperature": 0.3,
        "messages": [
            {"role": "system", "content": "You are a social media strategist for a Threads creator. Using ONLY the statistics given, write a short plain-language summary of what to do next week (cite the numbers and confidence; do not invent numbers), then five concrete post ideas that follow the findings."},
            {"role": "user", "content": aggregates(report).to_string()},
        ],
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut request = client.post(url).json(&body);
    if let Some(k) = key {
        request = request.bearer_auth(k.expose());
    }
    let failed = |why: String| {
        tracing::warn!(reason = %why, "language model call failed");
        AppError::Conflict(
            "The language model did not answer; the built-in findings above still apply.".into(),
        )
    };
    let response = request.send().await.map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("status {}", response.status())));
    }
    let answer: Value = response.json().await.map_err(|e| failed(e.to_string()))?;
    let text = answer["choices"][0]["message"]["content"]
        .as_str()
        .ok_or_else(|| failed("no choices[0].message.content".into()))?;
    Ok((text.trim().to_owned(), model.clone()))
}

/// `{base}/v1/chat/completions`, accepting a base given with or without its `/v1`.
fn completions_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1") {
        format!("{base}/chat/completions")
    } else {
        format!("{base}/v1/chat/completions")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_path_is_built_with_or_without_v1() {
        for base in [
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/v1",
            "http://127.0.0.1:9/v1/",
        ] {
            assert_eq!(
                completions_url(base),
                "http://127.0.0.1:9/v1/chat/completions"
            );
        }
    }

    #[test]
    fn scrubbing_drops_text_and_ids_at_any_depth() {
        let mut v = json!({"lift": 2.0, "starters": [{"snippet": "secret"}], "rows": [{"media_id": "1", "posts": 3}]});
        scrub(&mut v);
        assert_eq!(v, json!({"lift": 2.0, "rows": [{"posts": 3}]}));
    }
}
