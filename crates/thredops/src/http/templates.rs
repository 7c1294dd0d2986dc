//! Server-rendered HTML: minijinja templates embedded in the binary, auto-escaped.

use axum::response::Html;
use serde::Serialize;

use super::error::AppError;

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
        env.add_filter("datetime", |unix: i64| {
            chrono::DateTime::from_timestamp(unix, 0)
                .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        });
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
    };
    minijinja::context! { ..minijinja::Value::from_serialize(context), ..defaults }
}

#[cfg(test)]
mod tests {
    use super::*;

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
