//! The plan limits other areas ask about: the strategist switch, deep audits per calendar month
//! (UTC), how many days of history analytics show, and the past-due notice of the app pages.
//!
//! Each answer costs one query when billing is on (the audit count one more) and none when it
//! is off, where every limit is open.

use crate::domain::{AuditId, WorkspaceId};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use super::entitlements::{self, Standing};
use super::notify::local_date;
use crate::app::AppState;
use crate::clock::now_unix;
use crate::error::{AppError, AppResult, UPGRADE_URL};
use crate::store::users::UserRecord;

fn refusal(limit: &'static str, plan: &str, message: String) -> AppError {
    AppError::PlanLimit {
        limit,
        plan: plan.to_owned(),
        message,
    }
}

/// Refuses the strategist when the user's plan does not include it.
pub async fn require_strategist(state: &AppState, user_id: &WorkspaceId) -> AppResult<()> {
    let entitlement = entitlements::of_user(state, user_id, now_unix()).await?;
    if entitlement.limits().strategist {
        return Ok(());
    }
    let plan = entitlement.plan.name;
    Err(refusal(
        "strategist",
        plan,
        format!(
            "The AI strategist is not included in your {plan} plan. Upgrade on the Billing page ({UPGRADE_URL}) to get recommendations, experiments and a weekly plan."
        ),
    ))
}

/// The deep audits of the current calendar month (UTC) against the plan's allowance.
#[derive(Debug, Clone, Serialize)]
pub struct AuditAllowance {
    /// The plan in force.
    pub plan: String,
    /// Audits a month.
    pub limit: u32,
    /// Audits started this month (failed ones do not count).
    pub used: i64,
    /// The first day of next month, when the count starts again, e.g. "1 August 2026".
    pub resets_on: String,
}

impl AuditAllowance {
    /// Whether no audit is left this month.
    pub fn reached(&self) -> bool {
        self.used >= i64::from(self.limit)
    }

    /// Why another audit is refused, and the ways out.
    pub fn message(&self) -> String {
        let noun = if self.limit == 1 { "audit" } else { "audits" };
        format!(
            "Your {} plan includes {} deep {noun} a month, and you have run {} this month. Upgrade on the Billing page ({UPGRADE_URL}) to run more now, or run the next one from {} (UTC).",
            self.plan, self.limit, self.used, self.resets_on
        )
    }
}

/// The user's audit allowance at `now`; `None` when the plan has no monthly limit.
pub async fn audit_allowance(
    state: &AppState,
    user_id: &WorkspaceId,
    now: i64,
) -> AppResult<Option<AuditAllowance>> {
    let entitlement = entitlements::of_user(state, user_id, now).await?;
    let Some(limit) = entitlement.limits().audits_per_month else {
        return Ok(None);
    };
    let (start, next) = month_bounds(now);
    let used = state.store.audits_started_since(user_id, start).await?;
    Ok(Some(AuditAllowance {
        plan: entitlement.plan.name.to_owned(),
        limit,
        used,
        resets_on: local_date(next, None),
    }))
}

/// Counts audit `audit_id` against the month's allowance, or refuses it when none is left. The
/// check and the count are one step: two audits started at once cannot both take the last one.
/// Every audit is counted, even on plans without a limit, so a later downgrade in the same
/// month sees what was used.
pub async fn count_audit(
    state: &AppState,
    user_id: &WorkspaceId,
    audit_id: &AuditId,
) -> AppResult<()> {
    let now = now_unix();
    let entitlement = entitlements::of_user(state, user_id, now).await?;
    let limit = entitlement.limits().audits_per_month;
    let (start, _) = month_bounds(now);
    if state
        .store
        .count_audit(audit_id, user_id, now, start, limit)
        .await?
    {
        return Ok(());
    }
    match audit_allowance(state, user_id, now).await? {
        Some(a) => Err(refusal("audits", &a.plan, a.message())),
        // The plan changed in between: the next start counts under the new plan.
        None => Err(AppError::Conflict(
            "Your plan just changed. Try again.".into(),
        )),
    }
}

/// Gives back an audit counted by [`count_audit`] (it failed, or never started).
pub async fn uncount_audit(state: &AppState, audit_id: &AuditId) -> AppResult<()> {
    Ok(state.store.uncount_audit(audit_id).await?)
}

/// How far back analytics show under the user's plan.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryLimit {
    /// Days shown, today included.
    pub days: u32,
    /// The plan in force.
    pub plan: String,
}

impl HistoryLimit {
    /// What the pages say when a period was shortened.
    pub fn note(&self) -> String {
        format!(
            "Your {} plan shows the last {} days of history. Older data is kept and shows again when you upgrade on the Billing page.",
            self.plan, self.days
        )
    }

    /// The refusal of something entirely older than the limit (one old post).
    pub fn refusal(&self) -> AppError {
        refusal(
            "history_days",
            &self.plan,
            format!(
                "Your {} plan shows the last {} days of history and this is older. It is kept: upgrade on the Billing page ({UPGRADE_URL}) to see it.",
                self.plan, self.days
            ),
        )
    }
}

/// The user's history limit; `None` when the plan shows all of it.
pub async fn history_limit(
    state: &AppState,
    user_id: &WorkspaceId,
) -> AppResult<Option<HistoryLimit>> {
    let entitlement = entitlements::of_user(state, user_id, now_unix()).await?;
    Ok(entitlement.limits().history_days.map(|days| HistoryLimit {
        days,
        plan: entitlement.plan.name.to_owned(),
    }))
}

/// The warning the app pages show while a payment has failed and the plan holds for its grace
/// period.
#[derive(Debug, Clone, Serialize)]
pub struct PastDueNotice {
    /// The plan kept until then.
    pub plan: String,
    /// The day the grace period ends, in the user's time zone.
    pub until: String,
}

/// The past-due notice of `user`, if their subscription is in its grace period.
pub async fn past_due_notice(
    state: &AppState,
    user: &UserRecord,
) -> AppResult<Option<PastDueNotice>> {
    let entitlement =
        entitlements::of_user(state, &WorkspaceId::owned_by(&user.id), now_unix()).await?;
    Ok(match (entitlement.standing, entitlement.grace_until) {
        (Standing::Grace, Some(until)) => Some(PastDueNotice {
            plan: entitlement.plan.name.to_owned(),
            until: local_date(until, user.timezone.as_deref()),
        }),
        _ => None,
    })
}

/// The first second (UTC) of the calendar month holding `now`, and of the next month.
pub fn month_bounds(now: i64) -> (i64, i64) {
    let day = DateTime::<Utc>::from_timestamp(now, 0)
        .unwrap_or_default()
        .date_naive();
    let first = |y: i32, m: u32| {
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(0, |t| t.and_utc().timestamp())
    };
    let (y, m) = (day.year(), day.month());
    let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (first(y, m), first(next.0, next.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn a_month_runs_from_its_first_midnight_utc_to_the_next() {
        assert_eq!(
            month_bounds(utc("2026-03-31T23:59:59Z")),
            (utc("2026-03-01T00:00:00Z"), utc("2026-04-01T00:00:00Z"))
        );
        assert_eq!(
            month_bounds(utc("2026-12-01T00:00:00Z")),
            (utc("2026-12-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn the_audit_message_names_the_plan_the_count_and_the_way_out() {
        let a = AuditAllowance {
            plan: "Free".into(),
            limit: 1,
            used: 1,
            resets_on: "1 April 2026".into(),
        };
        assert!(a.reached());
        let m = a.message();
        assert!(m.contains("Free plan includes 1 deep audit a month"), "{m}");
        assert!(
            m.contains("/app/billing") && m.contains("1 April 2026"),
            "{m}"
        );
    }
}
