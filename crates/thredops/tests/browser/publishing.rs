//! Publishing as a creator does it: compose a post in the composer, schedule it a couple of
//! minutes ahead, and see it published with its Threads link on the calendar and the post page.

use std::time::Duration;

use chrono::{Datelike, Timelike, Utc};

use crate::publishing_support::{make_due_now, png, publish_everything};
use crate::setup::{Journey, creator};

const TEXT: &str = "Shipping browser journeys today. What do you test in a real browser?";

/// Types a wall-clock time into the `datetime-local` field the way a person does: Chromium's
/// en-US field takes month, day, year, then hour, minute and AM/PM.
pub(crate) async fn type_local_time(j: &Journey, css: &str, at: chrono::DateTime<Utc>) {
    let field = j.element(css).await;
    field.clear().await.unwrap();
    field.click().await.unwrap();
    let keys = format!("{}\u{E004}{}", at.format("%m%d%Y"), at.format("%I%M%p"));
    field.send_keys(&keys).await.unwrap();
    let value = field.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(value, at.format("%Y-%m-%dT%H:%M").to_string(), "typed time");
}

/// Goes back to the calendar and on to the month of `at` (the next one, a minute before midnight
/// at a month's end).
async fn open_calendar_at(j: &Journey, at: chrono::DateTime<Utc>) {
    j.click_link("← Schedule").await;
    j.wait_for_text("Posting slots").await;
    if at.format("%m").to_string() != thredops::clock::now().format("%m").to_string() {
        j.click_link("Next →").await;
    }
    j.wait_for_text(&at.format("%B %Y").to_string()).await;
}

#[tokio::test]
async fn a_creator_composes_a_post_schedules_it_and_sees_it_published() {
    let Some(j) = Journey::start("publishing").await else {
        return;
    };
    j.sign_up("pablo.ortiz@example.com").await;
    j.connect(creator("daily_shipper", 20, 900)).await;

    // Compose: the live counter counts as Threads does; the topic tag is among the extras.
    j.click_link("Schedule").await;
    j.wait_for_text("Times are shown in your time zone, UTC.")
        .await;
    j.step("schedule-empty").await;
    j.click_link("New post").await;
    j.wait_for_text("Publish at (UTC)").await;
    assert!(
        j.text().await.contains("@daily_shipper"),
        "the profile is offered"
    );
    j.fill("#text", TEXT).await;
    j.wait_for_text(&format!("{} / 500 characters", TEXT.len()))
        .await;
    // A photo picked in the file chooser is uploaded by the script at once, and only once.
    let photo = std::env::temp_dir().join(format!("thredops-photo-{}.png", uuid::Uuid::new_v4()));
    std::fs::write(&photo, png(1080, 1350)).unwrap();
    j.element("#media-file")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    j.wait_for_text("1 image attached.").await;
    std::fs::remove_file(&photo).unwrap();
    j.click("details summary").await;
    j.fill("#topic_tag", "Testing").await;
    let at = (thredops::clock::now() + chrono::Duration::minutes(2))
        .with_second(0)
        .unwrap();
    type_local_time(&j, "#local_time", at).await;
    j.step("composed").await;
    j.click("button[value=schedule]").await;
    j.wait_for_text("Scheduled for").await;
    let post_page = j.path().await;
    let text = j.text().await;
    assert!(text.contains("scheduled") && text.contains(TEXT), "{text}");
    assert_eq!(
        j.element(".pub-state + .badge").await.text().await.unwrap(),
        "image",
        "the photo went with the post"
    );
    assert!(
        text.contains(&at.format("%H:%M UTC").to_string()),
        "the chosen time: {text}"
    );
    j.step("scheduled").await;

    // The calendar shows it on its day.
    open_calendar_at(&j, at).await;
    let chip = format!(".pub-chip[href='{post_page}']");
    assert_eq!(
        j.count(&format!("{chip}.pub-scheduled")).await,
        1,
        "the post is on the calendar"
    );
    j.show(&chip).await;
    j.step("calendar-scheduled").await;

    // The post's minute is made to come now (the publisher never publishes early); the post
    // page then shows the post live with its link.
    let post_id = post_page.rsplit('/').next().unwrap().to_owned();
    make_due_now(&j.app, &post_id).await;
    publish_everything(&j.app).await;
    j.open(&post_page).await;
    j.wait_until(Duration::from_secs(20), |t| t.contains("On Threads"))
        .await;
    assert_eq!(
        j.element(".pub-state").await.text().await.unwrap(),
        "published"
    );
    let permalink = j
        .element("dd a[href^='https://']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(permalink.contains("threads"), "{permalink}");
    let text = j.text().await;
    assert!(text.contains("Published on Threads"), "the ledger: {text}");
    j.step("published").await;
    open_calendar_at(&j, at).await;
    assert_eq!(
        j.count(&format!("{chip}.pub-published")).await,
        1,
        "the calendar marks it published"
    );
    j.show(&chip).await;
    j.step("calendar-published").await;
    j.finish().await;
}

/// Creates a post through the JSON API from the signed-in page (as the composer's script
/// would) and returns its id.
async fn plan_in_page(j: &Journey, profile: &str, text: &str, local_time: Option<&str>) -> String {
    let mut body = serde_json::json!({"profile_id": profile, "content": {"parts": [{"text": text}]}, "action": "draft"});
    if let Some(at) = local_time {
        body["action"] = "schedule".into();
        body["local_time"] = at.into();
    }
    let created = j
        .client
        .execute_async(
            "const [body, done] = arguments;
             fetch('/api/v1/publishing/posts', {method: 'POST', credentials: 'same-origin',
               headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
               .then(r => r.json()).then(p => done(p.id), e => done(String(e)));",
            vec![body],
        )
        .await
        .unwrap();
    created.as_str().unwrap().to_owned()
}

/// Drags `chip` onto `target` with the HTML5 drag events a mouse drag fires. ChromeDriver cannot
/// drive native HTML5 drag-and-drop, so the events are dispatched in the page; the page's own
/// handlers do the rest (the request, the reload).
async fn drag(j: &Journey, chip: &str, target: &str) {
    j.client
        .execute(
            "const [chip, target] = [document.querySelector(arguments[0]), document.querySelector(arguments[1])];
             const data = new DataTransfer();
             const fire = (el, type) => el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
             fire(chip, 'dragstart'); fire(target, 'dragenter'); fire(target, 'dragover'); fire(target, 'drop'); fire(chip, 'dragend');",
            vec![chip.into(), target.into()],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_creator_drags_posts_to_another_hour_and_a_draft_onto_a_day() {
    let Some(j) = Journey::start("calendar").await else {
        return;
    };
    j.sign_up("ines.moreau@example.com").await;
    let profile = j.connect(creator("grid_planner", 10, 700)).await;
    // Next week's Tuesday and Thursday, so the posts are always in the future.
    let today = thredops::clock::now().date_naive();
    let monday =
        today + chrono::Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let tuesday = monday + chrono::Duration::days(1);
    let thursday = monday + chrono::Duration::days(3);
    let post = plan_in_page(
        &j,
        &profile,
        "Move me to Thursday",
        Some(&format!("{tuesday}T10:15")),
    )
    .await;
    let draft = plan_in_page(&j, &profile, "A draft for Friday", None).await;

    j.open(&format!("/app/schedule?view=week&date={monday}"))
        .await;
    j.wait_for_text("Move me to Thursday").await;
    let chip = format!("[data-post='{post}']");
    let from = format!("[data-drop-date='{tuesday}'][data-drop-hour='10']");
    let to = format!("[data-drop-date='{thursday}'][data-drop-hour='16']");
    assert_eq!(
        j.count(&format!("{from} {chip}")).await,
        1,
        "on Tuesday at 10"
    );
    j.step("week-grid").await;
    drag(&j, &chip, &to).await;
    for _ in 0..60 {
        if j.count(&format!("{to} {chip}")).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        j.count(&format!("{to} {chip}")).await,
        1,
        "moved to Thursday at 16"
    );
    assert_eq!(j.count(&format!("{from} {chip}")).await, 0);
    assert_eq!(
        j.element(&chip)
            .await
            .attr("data-time")
            .await
            .unwrap()
            .as_deref(),
        Some("16:15"),
        "the minutes are kept"
    );
    j.step("week-grid-moved").await;

    // A draft dropped on a day of the month is scheduled there at 09:00.
    let friday = monday + chrono::Duration::days(4);
    j.open(&format!("/app/schedule?view=month&date={friday}"))
        .await;
    j.wait_for_text("A draft for Friday").await;
    drag(
        &j,
        &format!("[data-post='{draft}']"),
        &format!("[data-drop-date='{friday}']"),
    )
    .await;
    let placed = format!("[data-drop-date='{friday}'] [data-post='{draft}']");
    for _ in 0..60 {
        if j.count(&placed).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(j.count(&placed).await, 1, "the draft is on Friday");
    j.open(&format!("/app/schedule/posts/{draft}")).await;
    j.wait_for_text("Scheduled for").await;
    assert!(
        j.text()
            .await
            .contains(&format!("{}, 09:00", friday.format("%a %-d %b %Y"))),
        "scheduled at nine on Friday"
    );
    j.step("draft-scheduled").await;
    j.finish().await;
}

/// A real, decodable PNG of one colour (stored deflate blocks, so no compressor is needed).
pub fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(data);
        out.extend_from_slice(&typed);
        out.extend(crc32(&typed).to_be_bytes());
    }
    let row: Vec<u8> = std::iter::once(0)
        .chain(rgb.iter().copied().cycle().take(width as usize * 3))
        .collect();
    let raw = row.repeat(height as usize);
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The text of the element `css` matches.
async fn text_of(j: &Journey, css: &str) -> String {
    j.element(css).await.text().await.unwrap()
}

/// Pixel widths of the preview's thumbnails once every one has loaded.
async fn thumbnail_widths(j: &Journey) -> serde_json::Value {
    let script = "return Array.from(document.querySelectorAll('.pub-preview-media img')).map(function (i) { return i.complete ? i.naturalWidth : -1; });";
    for _ in 0..50 {
        let widths = j.client.execute(script, vec![]).await.unwrap();
        if widths
            .as_array()
            .is_some_and(|w| !w.contains(&serde_json::json!(-1)))
        {
            return widths;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the thumbnails never loaded");
}

#[tokio::test]
async fn the_composer_previews_the_post_as_it_is_typed_with_images_in_carousel_order() {
    let Some(j) = Journey::start("composer-preview").await else {
        return;
    };
    j.sign_up("lena.park@example.com").await;
    j.connect(creator("lena_makes", 5, 300)).await;
    j.open("/app/schedule/new").await;
    j.wait_for_text("Start writing and your post appears here.")
        .await;
    // One box for the post; the chain's parts wait behind "Add a part".
    assert!(j.element("#text").await.is_displayed().await.unwrap());
    assert!(!j.element("#text2").await.is_displayed().await.unwrap());
    assert_eq!(
        text_of(&j, "[data-add-part]").await,
        "Add a part (part 2 of 4)"
    );

    // The preview follows the typing: author, line breaks, and a card for the first link.
    j.fill(
        "#text",
        "Launch day!\nRead the story: https://www.example.com/launch.",
    )
    .await;
    j.wait_for_text("Read the story").await;
    let post = "[data-preview-part='1']";
    assert_eq!(
        text_of(&j, &format!("{post} .pub-preview-author")).await,
        "lena_makes"
    );
    assert_eq!(
        text_of(&j, &format!("{post} .pub-preview-text")).await,
        "Launch day!\nRead the story: https://www.example.com/launch.",
        "line breaks kept"
    );
    assert_eq!(
        text_of(&j, &format!("{post} .pub-preview-link-host")).await,
        "example.com"
    );
    assert_eq!(
        text_of(&j, &format!("{post} .pub-preview-link-url")).await,
        "https://www.example.com/launch",
        "the sentence's full stop is not part of the link"
    );
    j.fill("#text", " More soon.").await;
    j.wait_until(Duration::from_secs(10), |t| {
        t.contains("launch. More soon.")
    })
    .await;
    assert_eq!(text_of(&j, "[data-preview-summary]").await, "1 part");
    j.step("preview-text").await;

    // A refused file is explained beside the file input, error-styled; the text stays.
    let dir = std::env::temp_dir().join(format!("thredops-preview-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let gif = dir.join("anim.gif");
    std::fs::write(&gif, b"GIF89a-not-a-threads-image").unwrap();
    j.element("#media-file")
        .await
        .send_keys(gif.to_str().unwrap())
        .await
        .unwrap();
    j.wait_for_text("anim.gif: Threads accepts JPEG or PNG images")
        .await;
    let error = j.element("[data-upload-error]").await;
    assert!(error.is_displayed().await.unwrap());
    assert_eq!(
        error.attr("class").await.unwrap().as_deref(),
        Some("field-error")
    );
    assert_eq!(
        j.element("#media-file")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    j.step_refused("preview-refused-file", 422).await;

    // Two images picked together show as a carousel in the order they were picked.
    let first = dir.join("sunrise.png");
    let second = dir.join("harbour.png");
    std::fs::write(&first, solid_png(90, 60, [240, 160, 40])).unwrap();
    std::fs::write(&second, solid_png(60, 90, [30, 90, 200])).unwrap();
    let both = format!("{}\n{}", first.display(), second.display());
    j.element("#media-file")
        .await
        .send_keys(&both)
        .await
        .unwrap();
    j.wait_for_text("2 images attached (a carousel).").await;
    assert!(
        !j.element("[data-upload-error]")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    let images = j
        .client
        .find_all(fantoccini::Locator::Css(&format!(
            "{post} .pub-preview-media img"
        )))
        .await
        .unwrap();
    let mut alts = Vec::new();
    for img in &images {
        alts.push(img.attr("alt").await.unwrap().unwrap_or_default());
    }
    assert_eq!(alts, ["1 of 2: sunrise.png", "2 of 2: harbour.png"]);
    let widths = thumbnail_widths(&j).await;
    assert_eq!(
        widths,
        serde_json::json!([90, 60]),
        "the thumbnails are the images themselves"
    );
    assert_eq!(
        j.count(&format!("{post} .pub-preview-link")).await,
        0,
        "a post with media shows no link card, as on Threads"
    );

    // "Add a part" reveals the next box; the preview shows the chain as a connected thread.
    j.click("[data-add-part]").await;
    assert!(j.element("#text2").await.is_displayed().await.unwrap());
    j.fill("#text2", "Part two: what we learned.").await;
    j.wait_for_text("Part two: what we learned.").await;
    assert_eq!(j.count(".pub-thread .pub-preview-post").await, 2);
    assert_eq!(
        text_of(&j, "[data-preview-summary]").await,
        "2 parts, 2 images"
    );
    assert_eq!(
        text_of(&j, "[data-add-part]").await,
        "Add a part (part 3 of 4)"
    );
    j.show("[data-preview]").await;
    j.step("preview-chain").await;
    std::fs::remove_dir_all(&dir).unwrap();
    j.finish().await;
}
