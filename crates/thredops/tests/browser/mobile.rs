//! The app on a phone (390×844): every navigation item can be reached, calendar entries show
//! their whole time, and the "Chat with us" button never covers a link or a field.

use std::time::Duration;

use serde_json::{Value, json};

use crate::setup::{Journey, creator};

/// Nav items whose centre is off the screen or under something else (empty when all are
/// reachable), after scrolling to the top.
const NAV_UNREACHABLE: &str = r#"
window.scrollTo(0, 0);
var w = document.documentElement.clientWidth, h = window.innerHeight;
return Array.from(document.querySelectorAll('nav.app-nav a')).filter(function (a) {
  var r = a.getBoundingClientRect();
  var x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (r.width === 0 || r.left < 0 || r.right > w || y < 0 || y > h) { return true; }
  var hit = document.elementFromPoint(x, y);
  return !(hit && (hit === a || a.contains(hit)));
}).map(function (a) { return a.textContent.trim(); });
"#;

/// Links and fields whose centre the chat launcher covers once each is scrolled to the middle
/// of the window, as far as the page scrolls (so the footer's links sit at the bottom).
const COVERED: &str = r#"
var launcher = document.querySelector('[data-launcher]');
var widget = document.querySelector('[data-support-widget]');
if (!launcher || launcher.offsetParent === null) { return ['the chat launcher is not shown']; }
var covered = [];
document.querySelectorAll('a[href], input:not([type=hidden]), select, textarea, button').forEach(function (el) {
  if (widget.contains(el)) { return; }
  var r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') { return; }
  el.scrollIntoView({ block: 'center', inline: 'nearest' });
  r = el.getBoundingClientRect();
  var x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) { return; }
  var hit = document.elementFromPoint(x, y);
  if (hit && launcher.contains(hit)) {
    covered.push(el.tagName.toLowerCase() + ' ' + (el.textContent.trim() || el.name || el.id));
  }
});
window.scrollTo(0, 0);
return covered;
"#;

/// Calendar entries whose time is cut off (the text after it may end in "…").
const CUT_CHIPS: &str = r#"
return Array.from(document.querySelectorAll('.pub-chip')).filter(function (c) {
  var time = c.querySelector('time');
  return time && time.getBoundingClientRect().right > c.getBoundingClientRect().right - 2;
}).map(function (c) { return c.textContent.trim(); });
"#;

/// Creates and schedules a post through the JSON API with the browser's session.
pub(crate) const SCHEDULE: &str = r#"
var done = arguments[arguments.length - 1];
var profile = arguments[0], at = arguments[1];
var json = function (r) { return r.json().then(function (b) { return [r.status, b]; }); };
fetch('/api/v1/publishing/posts', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ profile_id: profile, content: { parts: [{ text: 'Phone calendar check: the time must stay readable' }] } }) })
  .then(json).then(function (r) {
    if (r[0] !== 201) { done([r[0], r[1]]); return; }
    return fetch('/api/v1/publishing/posts/' + r[1].id + '/schedule', { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'schedule', local_time: at }) })
      .then(json).then(done);
  }).catch(function (e) { done([0, String(e)]); });
"#;

async fn list(j: &Journey, script: &str) -> Vec<String> {
    let v: Value = j.client.execute(script, vec![]).await.unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn on_a_phone_every_nav_item_is_reachable_and_the_chat_button_covers_nothing() {
    let Some(j) = Journey::start_sized("phone-reach", 390, 844).await else {
        return;
    };
    j.sign_up("phone.reach@example.com").await;
    let id = j.connect(creator("pocket_reach", 60, 900)).await;
    // A post two days ahead, so the calendar has an entry.
    let day = (thredops::clock::now() + chrono::Duration::days(2)).date_naive();
    let at = format!("{day}T09:30");
    j.open("/app/schedule").await;
    let r = j
        .client
        .execute_async(SCHEDULE, vec![json!(id), json!(at)])
        .await
        .unwrap();
    assert_eq!(r[0], 200, "scheduled: {r}");
    for path in [
        "/app".to_owned(),
        format!("/app/profiles/{id}/analytics"),
        "/app/schedule".to_owned(),
        "/app/schedule/new".to_owned(),
        format!("/app/strategist/{id}"),
        "/app/billing".to_owned(),
        "/settings".to_owned(),
    ] {
        j.open(&path).await;
        // The chat launcher appears once support.js has run.
        j.wait_until(Duration::from_secs(20), |t| t.contains("Chat with us"))
            .await;
        if path.ends_with("/analytics") {
            let px = j.smallest_chart_text().await;
            assert!(px >= 11.0, "axis labels render at {px:.1} px on a phone");
        }
        let unreachable = list(&j, NAV_UNREACHABLE).await;
        assert!(
            unreachable.is_empty(),
            "{path}: nav items out of reach: {unreachable:?}"
        );
        assert_eq!(
            j.count("nav.app-nav a").await,
            13,
            "{path}: the whole navigation"
        );
        let covered = list(&j, COVERED).await;
        assert!(
            covered.is_empty(),
            "{path}: the chat button covers {covered:?}"
        );
        j.step(path.trim_start_matches('/').replace('/', "-").as_str())
            .await;
    }
    // The month and the week show the entry's whole time, not "0…".
    for view in [
        format!("/app/schedule?date={day}"),
        format!("/app/schedule?view=week&date={day}"),
    ] {
        j.open(&view).await;
        j.wait_for_text("09:30").await;
        let cut = list(&j, CUT_CHIPS).await;
        assert!(cut.is_empty(), "{view}: cut calendar entries {cut:?}");
    }
    // Every nav item leads somewhere, tapped like a person would.
    for label in ["Settings", "Billing", "Deep Audit", "Support", "Dashboard"] {
        j.click_link(label).await;
        j.wait_until(Duration::from_secs(20), |t| !t.is_empty())
            .await;
        let current = j
            .element("nav.app-nav a[aria-current=page]")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(current, label);
    }
    j.step("after-tapping").await;
    j.finish().await;
}
