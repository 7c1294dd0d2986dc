//! Server-rendered HTML: minijinja templates embedded in the binary, auto-escaped.

use axum::response::Html;
use serde::Serialize;

use minijinja::value::{Value, ValueKind};

use super::error::AppError;
use crate::domain::format;

macro_rules! embedded_templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../web/templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded_templates!(
    "base.html",
    "app_layout.html",
    "landing.html",
    "signup.html",
    "login.html",
    "dashboard.html",
    "area.html",
    "settings.html",
    "privacy.html",
    "cookies.html",
    "error.html",
    "profiles.html",
    "profile.html",
    "profile_delete.html",
    "connect_failed.html",
);

/// The reader's time zone: the `user_tz` a signed-in page passes, UTC elsewhere.
fn reader_zone(state: &minijinja::State) -> chrono_tz::Tz {
    let name = state.lookup("user_tz");
    format::zone(name.as_ref().and_then(|v| v.as_str()))
}

/// A number of a template value: `None` for text, none and anything else.
fn as_number(v: &Value) -> Option<f64> {
    (v.kind() == ValueKind::Number)
        .then(|| f64::try_from(v.clone()).ok())
        .flatten()
}

/// Formats what is a number and leaves text as it is ("—" for none), so a table can pass every
/// cell through the same filter.
fn formatted(v: &Value, f: impl Fn(f64) -> String) -> Value {
    match as_number(v) {
        Some(n) => Value::from(f(n)),
        None if v.is_none() || v.is_undefined() => Value::from("—"),
        None => v.clone(),
    }
}

/// The shared formats, in the request's locale and the reader's time zone:
/// `number` (1,598,672; `number(1)` keeps at most one decimal, two by default), `compact`
/// (12.3k), `percent` (12.5%, from a value already in percent), `datetime` (Wed 4 Mar 2026,
/// 09:05 CET, from Unix seconds; a wall-clock 2026-03-04T09:05 without a zone) and `date`
/// (4 Mar 2026, from Unix seconds, an ISO date or an RFC 3339 instant); `evidence(key)` spells
/// out a JSON value.
fn add_format_filters(env: &mut minijinja::Environment<'static>) {
    env.add_filter("number", |v: Value, decimals: Option<usize>| {
        let decimals = decimals.unwrap_or(2);
        formatted(&v, |n| format::number(n, decimals))
    });
    env.add_filter(
        "evidence",
        |state: &minijinja::State, v: Value, key: Option<String>| {
            let json = serde_json::to_value(&v).unwrap_or_default();
            evidence_text(key.as_deref().unwrap_or(""), &json, reader_zone(state))
        },
    );
    env.add_filter("compact", |v: Value| formatted(&v, format::compact));
    env.add_filter("percent", |v: Value| formatted(&v, format::percent));
    env.add_filter("datetime", |state: &minijinja::State, v: Value| {
        match (v.as_i64(), v.as_str()) {
            (Some(unix), _) => Value::from(format::datetime(unix, reader_zone(state))),
            (None, Some(local)) => Value::from(format::wall_clock(local)),
            _ if v.is_none() || v.is_undefined() => Value::from("—"),
            _ => v,
        }
    });
    env.add_filter("date", |state: &minijinja::State, v: Value| {
        if let Some(unix) = v.as_i64() {
            return Value::from(format::date(unix, reader_zone(state)));
        }
        match v.as_str() {
            Some(s) => match (
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d"),
                chrono::DateTime::parse_from_rfc3339(s),
            ) {
                (Ok(day), _) => Value::from(day.format("%-d %b %Y").to_string()),
                (_, Ok(t)) => Value::from(format::date(t.timestamp(), reader_zone(state))),
                _ => v,
            },
            None if v.is_none() || v.is_undefined() => Value::from("—"),
            None => v,
        }
    });
}

/// Evidence of an audit section as a sentence fragment: times in the reader's zone, shares and
/// rates (stored as fractions) in percent, counts grouped, yes/no, lists and nested values
/// spelled out, never raw JSON.
fn evidence_text(key: &str, v: &serde_json::Value, tz: chrono_tz::Tz) -> String {
    use serde_json::Value as J;
    let k = key.to_ascii_lowercase();
    match v {
        J::Null => "—".to_owned(),
        J::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        J::String(s) => s.replace('_', " "),
        J::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            match n.as_i64() {
                Some(unix) if k.ends_with("_at") => format::datetime(unix, tz),
                _ if ["share", "rate", "change", "variation"]
                    .iter()
                    .any(|w| k.contains(w))
                    && !k.contains("per_")
                    && x.abs() <= 10.0 =>
                {
                    let sign = if k.contains("change") && x > 0.0 {
                        "+"
                    } else {
                        ""
                    };
                    format!("{sign}{}", format::percent(x * 100.0))
                }
                _ => format::number(x, 2),
            }
        }
        J::Array(items) => {
            let nested = items.iter().any(|i| i.is_object());
            let parts: Vec<String> = items.iter().map(|i| evidence_text(key, i, tz)).collect();
            if parts.is_empty() {
                "none".to_owned()
            } else {
                parts.join(if nested { " · " } else { ", " })
            }
        }
        J::Object(map) => map
            .iter()
            .map(|(k2, x)| format!("{} {}", k2.replace('_', " "), evidence_text(k2, x, tz)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The template set.
pub struct Templates {
    env: minijinja::Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

impl Default for Templates {
    fn default() -> Self {
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        // Debug builds (every test run) refuse to print, loop over or look into a variable the
        // handler did not pass, so a misspelt name fails a test instead of rendering as nothing;
        // `if` and `default` still work on optional values. Release builds render what they can.
        env.set_undefined_behavior(if cfg!(debug_assertions) {
            minijinja::UndefinedBehavior::SemiStrict
        } else {
            minijinja::UndefinedBehavior::Chainable
        });
        add_format_filters(&mut env);
        let areas = super::pages::AREA_TEMPLATES
            .iter()
            .flat_map(|list| list.iter());
        for (name, source) in TEMPLATES.iter().chain(areas) {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        Self { env }
    }
}

impl Templates {
    /// Renders a page.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<Html<String>, AppError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        let html = template
            .render(with_form_defaults(context))
            .map_err(|e| anyhow::anyhow!("rendering {name}: {e:#}"))?;
        Ok(Html(html))
    }
}

/// Every page may show a form: its field errors (`fields`), the values to keep (`form`,
/// `email`) and a form-level `error` are present, empty, unless the handler passes them.
fn with_form_defaults(context: impl Serialize) -> minijinja::Value {
    let defaults = minijinja::context! {
        fields => minijinja::Value::from_serialize(std::collections::BTreeMap::<String, String>::new()),
        form => minijinja::Value::from_serialize(std::collections::BTreeMap::<String, String>::new()),
        email => "",
        error => minijinja::Value::from(()),
        user_tz => minijinja::Value::from(()),
    };
    minijinja::context! { ..minijinja::Value::from_serialize(context), ..defaults }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_evidence_reads_as_words_not_json() {
        let tz = format::zone(Some("Europe/Berlin"));
        let text = |key: &str, v: serde_json::Value| evidence_text(key, &v, tz);
        assert_eq!(text("best_format_share", serde_json::json!(0.423)), "42.3%");
        assert_eq!(text("change", serde_json::json!(0.05)), "+5%");
        assert_eq!(
            text("median_engagement_rate", serde_json::json!(0.03456)),
            "3.5%"
        );
        assert_eq!(
            text("replies_per_1000_views", serde_json::json!(4.25)),
            "4.25"
        );
        assert_eq!(
            text("previous_created_at", serde_json::json!(1_772_611_500)),
            "Wed 4 Mar 2026, 09:05 CET"
        );
        assert_eq!(text("links_hurt", serde_json::json!(false)), "no");
        assert_eq!(
            text("weekly_counts", serde_json::json!([3, 4, 1200])),
            "3, 4, 1,200"
        );
        assert_eq!(
            text(
                "recent_formats",
                serde_json::json!({"text_post": 12, "image": 3})
            ),
            "image 3, text post 12"
        );
        assert_eq!(
            text(
                "top_cities",
                serde_json::json!([{"city": "Berlin", "share_of_all_followers": 0.25}])
            ),
            "city Berlin, share of all followers 25%"
        );
    }

    #[test]
    fn dates_read_alike_from_unix_seconds_iso_days_and_instants() {
        let t = Templates::default();
        let mut env = t.env.clone();
        env.add_template(
            "d",
            "{{ unix | date }}|{{ day | date }}|{{ instant | date }}|{{ other | date }}",
        )
        .unwrap();
        let html = env
            .get_template("d")
            .unwrap()
            .render(with_form_defaults(serde_json::json!({
                "unix": 1_772_611_500,
                "day": "2026-03-04",
                // 23:30 UTC is already the next day in Berlin.
                "instant": "2026-03-04T23:30:00+00:00",
                "other": "the newest posts",
                "user_tz": "Europe/Berlin",
            })))
            .unwrap();
        assert_eq!(html, "4 Mar 2026|4 Mar 2026|5 Mar 2026|the newest posts");
    }

    #[test]
    fn every_template_parses_and_user_text_is_escaped() {
        let t = Templates::default();
        let html = t
            .render(
                "error.html",
                serde_json::json!({"title": "<script>x</script>", "message": "m"}),
            )
            .unwrap()
            .0;
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>x"), "{html}");
    }

    #[test]
    fn a_misspelt_variable_fails_the_render_and_passed_values_beat_the_defaults() {
        let t = Templates::default();
        // `login.html` prints `email`: the handler's value wins over the empty default.
        let html = t
            .render(
                "login.html",
                serde_json::json!({"email": "kept@example.com", "csrf": "c"}),
            )
            .unwrap()
            .0;
        assert!(html.contains("kept@example.com"), "{html}");
        // A name no handler passes, printed: an error in debug builds (and so in tests).
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        env.add_template("t", "{{ usr.email }}").unwrap();
        let render = env.get_template("t").unwrap().render(with_form_defaults(
            serde_json::json!({"user": {"email": "x"}}),
        ));
        assert!(render.is_err());
    }
}
