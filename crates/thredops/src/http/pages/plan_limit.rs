//! The page shown instead of something the user's plan does not include: what is refused, under
//! which plan, and a link to upgrade.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::view::Chrome;
use crate::http::error::{AppError, AppResult};
use crate::http::session::AuthUser;
use crate::http::state::WebState;

/// Templates of this page, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "plan_limit.html",
    include_str!("../../../web/templates/plan_limit.html"),
)];

/// `plan_limit.html`: what the plan does not allow, and the way out.
#[derive(Serialize)]
struct PlanLimitView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    limit: &'static str,
    plan: String,
    message: String,
}

/// Turns a plan-limit refusal into the explanation page (402) under the `active` navigation
/// entry; anything else passes through.
pub fn explain<T: IntoResponse>(
    state: &WebState,
    auth: &AuthUser,
    active: &str,
    result: AppResult<T>,
) -> AppResult<Response> {
    match result {
        Ok(page) => Ok(page.into_response()),
        Err(AppError::PlanLimit {
            limit,
            plan,
            message,
        }) => {
            let view = PlanLimitView {
                chrome: Chrome::new(state, auth, active),
                limit,
                plan,
                message,
            };
            let html = state.templates.render("plan_limit.html", &view)?;
            Ok((StatusCode::PAYMENT_REQUIRED, html).into_response())
        }
        Err(e) => Err(e),
    }
}
