//! Emails about payments, and dates shown in the user's own timezone.

use crate::domain::WorkspaceId;
use anyhow::Context;

use super::entitlements;
use crate::app::AppState;
use crate::clock::now_unix;
use crate::mail::Email;

/// Formats a Unix time as a date in `timezone` (IANA name; UTC when unset or unknown).
pub fn local_date(unix: i64, timezone: Option<&str>) -> String {
    let Some(utc) = chrono::DateTime::from_timestamp(unix, 0) else {
        return String::new();
    };
    match timezone.and_then(|tz| tz.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => utc.with_timezone(&tz).format("%-d %B %Y").to_string(),
        None => utc.format("%-d %B %Y").to_string(),
    }
}

/// Tells the user a payment failed or needs their action, and until when their plan holds.
pub async fn payment_problem(
    state: &AppState,
    user_id: &WorkspaceId,
    event_type: &str,
    invoice_url: Option<String>,
) -> anyhow::Result<()> {
    let Some(user) = state.store.user_by_id(&user_id.owner()).await? else {
        return Ok(());
    };
    let entitlement = entitlements::of_user(state, user_id, now_unix())
        .await
        .context("reading the entitlement")?;
    let (subject, first) = if event_type == "invoice.payment_action_required" {
        (
            "Action needed to pay for ThredOps",
            "Your bank asks you to confirm the latest ThredOps payment.",
        )
    } else {
        (
            "Your ThredOps payment failed",
            "We could not take the latest payment for your ThredOps subscription.",
        )
    };
    let until = match entitlement.grace_until {
        Some(t) => format!(
            "You keep your {} plan until {} while you sort it out; after that your account moves to the Free plan and profiles beyond its limit are paused (never deleted).",
            entitlement.plan.name,
            local_date(t, user.timezone.as_deref())
        ),
        None => "Until it is paid, your account has the Free plan's limits; profiles beyond them are paused, never deleted.".to_owned(),
    };
    let link = invoice_url.map_or_else(String::new, |u| format!("\nPay or confirm here: {u}\n"));
    let body = format!(
        "{first}\n\n{until}\n{link}\nUpdate your card or see your invoices: {}/app/billing\n",
        state.public_origin()
    );
    state
        .mailer
        .send(&Email {
            to: user.email,
            subject: subject.into(),
            body,
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_users_timezone() {
        // 2024-03-01 02:00 UTC is still 29 February in New York.
        let t = 1_709_258_400;
        assert_eq!(local_date(t, None), "1 March 2024");
        assert_eq!(local_date(t, Some("America/New_York")), "29 February 2024");
        assert_eq!(local_date(t, Some("Not/AZone")), "1 March 2024");
    }
}
