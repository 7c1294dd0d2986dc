//! The inactivity purge.

use thredops::with_pool;

use super::super::{Traces, creator_account, outbox, remaining_traces};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(inactive_accounts_are_purged_after_twelve_months,);

async fn inactive_accounts_are_purged_after_twelve_months(app: TestApp) {
    use thredops::privacy::retention::{self, Sweep};
    let (user_id, profile, threads_id) =
        creator_account(&app, "idle@example.com", "idle_posts", 6).await;
    let last = app
        .state
        .store
        .user_by_id(&thredops::domain::UserId::from(user_id.as_str()))
        .await
        .unwrap()
        .unwrap()
        .last_active_at;
    let day = 86_400;
    // Injected clock: 334 days of silence is fine; 335 (30 days before a year) warns once.
    assert_eq!(
        retention::sweep(&app.state, last + 334 * day)
            .await
            .unwrap(),
        Sweep::default()
    );
    assert_eq!(
        retention::sweep(&app.state, last + 335 * day)
            .await
            .unwrap(),
        Sweep {
            warned: 1,
            purged: 0
        }
    );
    assert_eq!(
        retention::sweep(&app.state, last + 340 * day)
            .await
            .unwrap(),
        Sweep::default(),
        "warned once"
    );
    let mail = outbox(&app).pop().unwrap();
    assert!(
        mail.contains("To: idle@example.com") && mail.contains("Unless you sign in before"),
        "{mail}"
    );
    assert_eq!(
        app.state
            .store
            .pending_purge_at(&thredops::domain::UserId::from(user_id.as_str()))
            .await
            .unwrap(),
        Some(last + 365 * day)
    );
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(profile.as_str()))
            .await
            .unwrap(),
        6,
        "nothing purged before the year is up"
    );
    assert_eq!(
        retention::sweep(&app.state, last + 365 * day)
            .await
            .unwrap(),
        Sweep {
            warned: 0,
            purged: 1
        }
    );
    let traces = Traces {
        user_ids: vec![],
        profile_ids: vec![profile],
        threads_user_ids: vec![threads_id],
    };
    assert_eq!(remaining_traces(&app, &traces).await, Vec::<String>::new());
    assert!(outbox(&app).pop().unwrap().contains("was deleted"));
    let page = app.get("/settings/privacy").await.text().await.unwrap();
    assert!(
        page.contains("Unless you sign in before")
            && page.contains("the Threads data it held was deleted"),
        "in-app notices"
    );

    // The daily job does the same with the real clock: backdate the activity a year and run it.
    let (user2, profile2, _) = creator_account(&app, "idle2@example.com", "idle2_posts", 3).await;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE users SET last_active_at = $1 WHERE id = $2"
    )
    .bind(thredops::clock::now().timestamp() - 366 * day)
    .bind(&user2)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    retention::ensure_scheduled(&app.state).await.unwrap();
    crate::connect::run_due_now(&app, retention::KIND).await;
    assert!(
        app.state
            .store
            .profile(&thredops::domain::ProfileId::from(profile2.as_str()))
            .await
            .unwrap()
            .is_none(),
        "the daily job purged it"
    );
    let next: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'queued'"
    )
    .bind(retention::KIND)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(next, 1, "tomorrow's run is scheduled");
}
