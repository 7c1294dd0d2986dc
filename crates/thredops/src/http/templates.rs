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
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
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
            .render(context)
            .map_err(|e| anyhow::anyhow!("rendering {name}: {e:#}"))?;
        Ok(Html(html))
    }
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
}
