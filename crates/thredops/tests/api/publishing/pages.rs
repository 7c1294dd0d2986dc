//! The schedule pages: composer form, calendar and post page.

use super::support::{get_post, setup};
use crate::connect::csrf_in;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(the_composer_form_schedules_and_shows_problems_beside_fields);

async fn the_composer_form_schedules_and_shows_problems_beside_fields(app: TestApp) {
    let (profile, _) = setup(&app, "former").await;
    let page = app.get("/app/schedule/new").await.text().await.unwrap();
    assert!(
        page.contains("/static/publishing.js") && !page.contains("style="),
        "script, no inline styles"
    );
    let csrf = csrf_in(&page);
    let too_long = "a".repeat(505);
    let r = app
        .client
        .post(app.url("/app/schedule/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("profile_id", &profile),
            ("text", &too_long),
            ("topic_tag", "R&D"),
            ("local_time", "2030-05-06T09:30"),
            ("action", "schedule"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Remove 5 characters"),
        "length problem beside the text"
    );
    assert!(
        html.contains("cannot contain &#x22;&amp;&#x22;")
            || html.contains("cannot contain &quot;&amp;&quot;"),
        "topic problem shown"
    );
    assert!(html.contains(&too_long), "nothing typed is lost");
    let r = app
        .client
        .post(app.url("/app/schedule/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("profile_id", &profile),
            ("text", "From the form"),
            ("text2", "and its reply"),
            ("poll", ""),
            ("local_time", "2030-05-06T09:30"),
            ("action", "schedule"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap().to_owned();
    let post = get_post(&app, &id).await;
    assert_eq!(post["kind"], "text chain");
    assert_eq!(post["local_time"], "2030-05-06T09:30");
    let calendar = app
        .get("/app/schedule?view=month&date=2030-05-01")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        calendar.contains("May 2030") && calendar.contains(&format!("/app/schedule/posts/{id}"))
    );
    assert!(calendar.contains("09:30") && calendar.contains("From the form"));
    let week = app
        .get("/app/schedule?view=week&date=2030-05-06")
        .await
        .text()
        .await
        .unwrap();
    assert!(week.contains("From the form"));
    let detail = app.get(&location).await.text().await.unwrap();
    assert!(
        detail.contains("Scheduled for Mon 6 May 2030, 09:30 UTC"),
        "timeline on the post page"
    );
    let r = app
        .client
        .post(app.url(&format!("/app/schedule/posts/{id}/cancel")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let forged = app
        .client
        .post(app.url(&format!("/app/schedule/posts/{id}/duplicate")))
        .form(&[("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "forms need the CSRF token");
}
