//! The schedule page's layouts (month, week and day time grids, queue), the move a drag makes,
//! and the posting-slots editor.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::setup;
use crate::connect::csrf_in;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    the_time_grids_place_posts_at_their_local_hour_and_the_queue_lists_what_is_next,
    the_slots_editor_saves_rows_and_keeps_a_wrong_row_as_typed,
);

async fn plan(app: &TestApp, profile: &str, text: &str, action: &str, local: &str) -> String {
    let mut body =
        json!({"profile_id": profile, "content": {"parts": [{"text": text}]}, "action": action});
    if !local.is_empty() {
        body["local_time"] = json!(local);
    }
    let r = app.post_json("/api/v1/publishing/posts", &body).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn page(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The HTML of the grid cell of `date` at `hour`.
fn cell<'a>(html: &'a str, date: &str, hour: u32) -> &'a str {
    let marker = format!("data-drop-date=\"{date}\" data-drop-hour=\"{hour}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no cell {date} {hour}:00"));
    let end = html[start..].find("</td>").unwrap() + start;
    &html[start..end]
}

async fn the_time_grids_place_posts_at_their_local_hour_and_the_queue_lists_what_is_next(
    app: TestApp,
) {
    let (profile, _) = setup(&app, "gridder").await;
    let r = app
        .client
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": "Europe/Berlin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let afternoon = plan(
        &app,
        &profile,
        "Tuesday afternoon",
        "schedule",
        "2030-05-07T14:20",
    )
    .await;
    let dawn = plan(
        &app,
        &profile,
        "Tuesday dawn",
        "schedule",
        "2030-05-07T05:10",
    )
    .await;
    let wednesday = plan(
        &app,
        &profile,
        "Wednesday morning",
        "schedule",
        "2030-05-08T09:00",
    )
    .await;
    let draft = plan(&app, &profile, "Someday maybe", "draft", "").await;

    let week = page(&app, "/app/schedule?view=week&date=2030-05-08").await;
    assert!(week.contains("Week of 6 May 2030"));
    assert!(
        cell(&week, "2030-05-07", 14).contains(&afternoon),
        "14:20 Berlin sits in the 14:00 row of Tuesday"
    );
    assert!(!cell(&week, "2030-05-07", 12).contains(&afternoon));
    assert!(
        cell(&week, "2030-05-07", 5).contains(&dawn),
        "the grid starts early enough for an early post"
    );
    assert!(cell(&week, "2030-05-08", 9).contains(&wednesday));
    assert!(
        week.contains(&format!("data-post=\"{afternoon}\" data-time=\"14:20\"")),
        "scheduled posts can be dragged"
    );

    let day = page(&app, "/app/schedule?view=day&date=2030-05-07").await;
    assert!(day.contains("Tuesday 7 May 2030"));
    assert!(day.contains(&afternoon) && day.contains(&dawn));
    let (grid, _) = day.split_once("<h2>Drafts</h2>").unwrap();
    assert!(!grid.contains(&wednesday), "the day view shows its own day");
    assert!(
        day.contains("date=2030-05-06") && day.contains("date=2030-05-08"),
        "previous and next day"
    );

    let queue = page(&app, "/app/schedule?view=queue").await;
    let (upcoming, drafts) = queue.split_once("<h2>Drafts</h2>").unwrap();
    let at = |id: &str| {
        upcoming
            .find(id)
            .unwrap_or_else(|| panic!("{id} queued in {upcoming}"))
    };
    assert!(at(&dawn) < at(&afternoon) && at(&afternoon) < at(&wednesday));
    assert!(upcoming.contains("Tuesday 7 May 2030") && upcoming.contains("Wednesday 8 May 2030"));
    assert!(!upcoming.contains(&draft), "drafts are not queued");
    assert!(
        drafts.contains(&format!("data-post=\"{draft}\"")),
        "drafts can be dragged onto the calendar"
    );

    // A drop posts the post page's own reschedule form.
    let csrf = csrf_in(&queue);
    let r = app
        .client
        .post(app.url(&format!("/app/schedule/posts/{afternoon}/reschedule")))
        .form(&[("csrf", csrf.as_str()), ("local_time", "2030-05-09T16:20")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let week = page(&app, "/app/schedule?view=week&date=2030-05-08").await;
    assert!(cell(&week, "2030-05-09", 16).contains(&afternoon));
    assert!(!cell(&week, "2030-05-07", 14).contains(&afternoon));
    let r = app
        .client
        .post(app.url(&format!("/app/schedule/posts/{draft}/reschedule")))
        .form(&[("csrf", csrf.as_str()), ("local_time", "2030-05-10T09:00")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a dropped draft is scheduled"
    );
    let month = page(&app, "/app/schedule?view=month&date=2030-05-01").await;
    let (_, drafts) = month.split_once("<h2>Drafts</h2>").unwrap();
    assert!(!drafts.contains(&draft));
    assert!(month.contains("May 2030") && month.contains(&draft));
}

async fn the_slots_editor_saves_rows_and_keeps_a_wrong_row_as_typed(app: TestApp) {
    let (profile, _) = setup(&app, "slotter").await;
    let html = page(&app, "/app/schedule").await;
    assert!(
        html.contains("<input type=\"time\" name=\"time\""),
        "times are picked, not typed as text"
    );
    let csrf = csrf_in(&html);
    let save = |rows: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf".to_owned(), csrf.clone())];
        for (day, time) in rows {
            form.push(("day".into(), day.into()));
            form.push(("time".into(), time.into()));
        }
        let url = app.url(&format!("/app/schedule/slots/{profile}"));
        let client = app.client.clone();
        async move { client.post(url).form(&form).send().await.unwrap() }
    };
    let slots = || async {
        app.get(&format!("/api/v1/publishing/profiles/{profile}/slots"))
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    let before = slots().await;

    let r = save(vec![
        ("weekdays", "09:00"),
        ("sat", "11:30"),
        ("", ""),
        ("tue", ""),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Slot 4: choose a time."),
        "the wrong row is named"
    );
    assert!(
        html.contains("<option value=\"weekdays\" selected>") && html.contains("value=\"11:30\""),
        "the rows come back as typed"
    );
    assert_eq!(slots().await, before, "nothing saved");

    let r = save(vec![("weekdays", "09:00"), ("sat", "11:30"), ("", "17:00")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = slots().await.to_string();
    assert_eq!(saved.matches("09:00").count(), 5, "{saved}");
    assert!(
        saved.contains("11:30") && !saved.contains("17:00"),
        "{saved}"
    );
    let html = page(&app, "/app/schedule?done=slots").await;
    assert!(html.contains("Posting slots saved."));
    assert!(
        html.contains("<span class=\"pub-slot-chip\">11:30</span>"),
        "the week at a glance"
    );

    let other = crate::helpers::client();
    crate::helpers::sign_up_with(&app, &other, "eve@example.com", crate::connect::PASSWORD).await;
    let page = other
        .get(app.url("/app/schedule"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = other
        .post(app.url(&format!("/app/schedule/slots/{profile}")))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("day", "mon"),
            ("time", "08:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "another account's profile"
    );
}
