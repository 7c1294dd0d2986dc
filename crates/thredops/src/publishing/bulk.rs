//! Bulk import of planned posts from CSV (an upload or pasted text), and the plan's export.
//!
//! Columns: `text`, `scheduled_time` (`2027-03-29 09:00`, a wall-clock time), `timezone`
//! (IANA, optional: the user's zone), `profile` (username or id, optional when the user has one
//! profile) and `media` (ids of the user's uploads, separated by spaces, optional). A header row
//! names them in any order; without one they are read in that order. Each row runs through the
//! composer's preflight. The preview stores nothing; the import re-reads the same text and stores
//! exactly the rows without problems, each as an ordinary scheduled post in its row's zone.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::compose::{Composition, MediaItem, Part};
use super::recurring::{announce, scheduled_record};
use super::{UploadId, media, service, when};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::{PostId, ProfileId};
use crate::error::{AppError, AppResult};

/// Most rows one import takes.
pub const MAX_ROWS: usize = 1000;
/// The columns, in their default order.
pub const COLUMNS: [&str; 5] = ["text", "scheduled_time", "timezone", "profile", "media"];

/// One row as checked.
#[derive(Debug, Clone, Serialize)]
pub struct RowCheck {
    /// Its line in the CSV (1 is the first line, the header when there is one).
    pub row: usize,
    /// The post's text.
    pub text: String,
    /// The profile's username (or what the row named).
    pub profile: String,
    /// The wall-clock time as read, `2027-03-29T09:00`.
    pub local_time: String,
    /// Its zone.
    pub timezone: String,
    /// For people.
    pub at_display: String,
    /// Problems by column (empty: it will be imported).
    pub problems: BTreeMap<String, String>,
    #[serde(skip)]
    plan: Option<Plan>,
}

#[derive(Debug, Clone)]
struct Plan {
    profile_id: ProfileId,
    content: Composition,
    kind: super::PostKind,
    local: chrono::NaiveDateTime,
    tz: chrono_tz::Tz,
    at: DateTime<Utc>,
}

/// The preview of an import.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// Every row, in order.
    pub rows: Vec<RowCheck>,
    /// Rows that will be imported.
    pub good: usize,
    /// Rows with problems (not imported).
    pub bad: usize,
    /// A problem with the file itself (nothing can be imported).
    pub error: Option<String>,
}

/// What an import stored.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// The new posts' ids, in row order.
    pub posts: Vec<PostId>,
    /// The rows left out, with their problems.
    pub skipped: Vec<RowCheck>,
}

struct Profile {
    id: ProfileId,
    username: String,
}

async fn profiles(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<Profile>> {
    let mut out = Vec::new();
    for p in state.store.profiles_of(auth.workspace_id()).await? {
        let username = crate::services::profiles::get(state, auth, &p.id)
            .await
            .map(|v| v.username)
            .unwrap_or_default();
        out.push(Profile { id: p.id, username });
    }
    Ok(out)
}

fn column_of(name: &str) -> Option<usize> {
    let n = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let n = match n.as_str() {
        "time" | "scheduled_at" | "scheduled" | "when" | "local_time" => "scheduled_time",
        "zone" | "time_zone" | "tz" => "timezone",
        "profile_id" | "username" | "account" => "profile",
        "media_urls" | "media_ids" | "files" => "media",
        "post" | "content" => "text",
        other => other,
    };
    COLUMNS.iter().position(|c| *c == n)
}

/// Reads the CSV into rows of the five columns, with their line numbers.
fn read(csv_text: &str) -> Result<Vec<(usize, [String; 5])>, String> {
    // Browsers send CRLF line ends; line numbers are counted on plain ones.
    let csv_text = csv_text.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut order: Vec<Option<usize>> = (0..COLUMNS.len()).map(Some).collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("The file could not be read as CSV: {e}."))?;
        let line = record.position().map_or(i + 1, |p| p.line() as usize);
        if i == 0 && record.iter().any(|c| c.eq_ignore_ascii_case("text")) {
            order = record.iter().map(column_of).collect();
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut cells: [String; 5] = Default::default();
        for (value, column) in record.iter().zip(&order) {
            if let Some(c) = column {
                cells[*c] = value.to_owned();
            }
        }
        rows.push((line, cells));
        if rows.len() > MAX_ROWS {
            return Err(format!(
                "An import takes at most {MAX_ROWS} posts; split the file."
            ));
        }
    }
    if rows.is_empty() {
        return Err(
            "No posts found. Give one post per line: text, scheduled time, and optionally time zone, profile and media."
                .into(),
        );
    }
    Ok(rows)
}

/// Checks every row without storing anything.
pub async fn preview(state: &AppState, auth: &CurrentUser, csv_text: &str) -> AppResult<Preview> {
    let rows = match read(csv_text) {
        Ok(rows) => rows,
        Err(e) => {
            return Ok(Preview {
                rows: Vec::new(),
                good: 0,
                bad: 0,
                error: Some(e),
            });
        }
    };
    let profiles = profiles(state, auth).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (line, cells) in rows {
        out.push(check_row(state, auth, &profiles, line, cells).await?);
    }
    let good = out.iter().filter(|r| r.problems.is_empty()).count();
    Ok(Preview {
        bad: out.len() - good,
        good,
        rows: out,
        error: None,
    })
}

async fn check_row(
    state: &AppState,
    auth: &CurrentUser,
    profiles: &[Profile],
    line: usize,
    cells: [String; 5],
) -> AppResult<RowCheck> {
    let [text, time, zone, profile_cell, media_cell] = cells;
    // The export's guard against spreadsheet formulas comes off again.
    let text = match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_owned(),
        _ => text,
    };
    let mut problems = BTreeMap::new();
    let tz = if zone.is_empty() {
        service::user_zone(auth)
    } else {
        match zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                problems.insert(
                    "timezone".to_owned(),
                    format!(
                        "\"{zone}\" is not a time zone; use an IANA name such as Europe/Berlin."
                    ),
                );
                service::user_zone(auth)
            }
        }
    };
    let wanted = profile_cell.trim_start_matches('@');
    let profile = if wanted.is_empty() {
        match profiles {
            [only] => Some(only),
            [] => {
                problems.insert("profile".into(), "Connect a Threads profile first.".into());
                None
            }
            _ => {
                problems.insert(
                    "profile".into(),
                    "You have several profiles: name one (its username) in the profile column."
                        .into(),
                );
                None
            }
        }
    } else {
        let found = profiles
            .iter()
            .find(|p| p.id == wanted || p.username.eq_ignore_ascii_case(wanted));
        if found.is_none() {
            problems.insert(
                "profile".into(),
                format!("\"{profile_cell}\" is not one of your connected profiles."),
            );
        }
        found
    };
    let mut local_value = String::new();
    let mut at_display = String::new();
    let mut when_at = None;
    match when::parse_local(&time) {
        None if time.is_empty() => {
            problems.insert(
                "scheduled_time".into(),
                "Give the date and time to publish, e.g. 2027-03-29 09:00.".into(),
            );
        }
        None => {
            problems.insert(
                "scheduled_time".into(),
                format!("\"{time}\" is not a date and time like 2027-03-29 09:00."),
            );
        }
        Some(local) => {
            let at = when::to_utc(local, tz);
            local_value = local.format("%Y-%m-%dT%H:%M").to_string();
            at_display = when::show(at, tz);
            if at < crate::clock::now() - chrono::Duration::minutes(1) {
                problems.insert(
                    "scheduled_time".into(),
                    format!("{at_display} is in the past. Choose a later time."),
                );
            }
            when_at = Some((local, at));
        }
    }
    let mut items = Vec::new();
    for (m, id) in media_cell.split_whitespace().enumerate() {
        let id = UploadId::from(id.trim_matches(','));
        if media::get(state, auth.workspace_id(), &id).await?.is_none() {
            problems.entry("media".into()).or_insert_with(|| {
                format!(
                    "Media {} (\"{id}\") is not one of your uploads: give the ids of files uploaded to ThredOps, which hosts what Threads fetches.",
                    m + 1
                )
            });
        } else {
            items.push(MediaItem { id, alt_text: None });
        }
    }
    let content = Composition {
        parts: vec![Part {
            text: text.clone(),
            media: items,
            ..Part::default()
        }],
        ..Composition::default()
    };
    let (check, kind) = service::preflight(state, auth, &content).await?;
    for (field, message) in check.problems {
        let column = if field.contains("media") {
            "media"
        } else {
            "text"
        };
        problems.entry(column.to_owned()).or_insert(message);
    }
    let plan = match (profile, when_at) {
        (Some(p), Some((local, at))) if problems.is_empty() => Some(Plan {
            profile_id: p.id.clone(),
            content,
            kind,
            local,
            tz,
            at,
        }),
        _ => None,
    };
    Ok(RowCheck {
        row: line,
        text,
        profile: profile.map_or(profile_cell, |p| format!("@{}", p.username)),
        local_time: local_value,
        timezone: tz.name().to_owned(),
        at_display,
        problems,
        plan,
    })
}

/// Checks the rows again and stores exactly those without problems.
pub async fn import(state: &AppState, auth: &CurrentUser, csv_text: &str) -> AppResult<Imported> {
    let checked = preview(state, auth, csv_text).await?;
    if let Some(e) = checked.error {
        return Err(AppError::field("csv", e));
    }
    let mut posts = Vec::new();
    let mut skipped = Vec::new();
    for row in checked.rows {
        let Some(plan) = &row.plan else {
            skipped.push(row);
            continue;
        };
        let post = scheduled_record(
            state,
            auth.workspace_id(),
            &plan.profile_id,
            plan.kind,
            &plan.content,
            plan.local,
            plan.tz,
            plan.at,
        )
        .await?;
        state.store.insert_planned_post(&post).await?;
        let message = format!(
            "Scheduled for {} (imported from line {} of a CSV file).",
            when::show(plan.at, plan.tz),
            row.row
        );
        announce(state, &post, &message).await?;
        posts.push(post.id);
    }
    Ok(Imported { posts, skipped })
}

/// The user's plan (posts waiting to publish, soonest first) as CSV in the import's columns.
pub async fn export(state: &AppState, auth: &CurrentUser) -> AppResult<String> {
    let profiles = profiles(state, auth).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| AppError::from(anyhow::anyhow!("writing CSV: {e}"));
    w.write_record(COLUMNS).map_err(csv_err)?;
    for p in state
        .store
        .planned_posts_of(auth.workspace_id(), None)
        .await?
    {
        if p.state != super::PostState::Scheduled {
            continue;
        }
        let content = service::open(state, &p).await?;
        let first = content.parts.first().cloned().unwrap_or_default();
        let profile = profiles
            .iter()
            .find(|x| x.id == p.profile_id)
            .map_or(p.profile_id.to_string(), |x| x.username.clone());
        let media: Vec<&str> = first.media.iter().map(|m| m.id.as_str()).collect();
        let time = p.local_time.clone().unwrap_or_default().replace('T', " ");
        w.write_record([
            defuse(&first.text),
            time,
            p.timezone.clone().unwrap_or_default(),
            profile,
            media.join(" "),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing CSV: {e}"))?;
    Ok(String::from_utf8(bytes).map_err(anyhow::Error::from)?)
}

/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@`; a leading `'` keeps it text.
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_any_order_and_rows_without_one() {
        let rows = read("Time,Text,Profile\n2027-01-02 09:00,\"Hello, world\",@me\n\n").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1[0], "Hello, world");
        assert_eq!(rows[0].1[1], "2027-01-02 09:00");
        assert_eq!(rows[0].1[3], "@me");
        let plain = read("Hi,2027-01-02 09:00,Europe/Berlin").unwrap();
        assert_eq!(plain[0].1[2], "Europe/Berlin");
        assert!(read("").is_err());
        let crlf = read("text,time\r\nA,2027-01-02 09:00\r\nB,2027-01-03 09:00\r\n").unwrap();
        assert_eq!((crlf[0].0, crlf[1].0), (2, 3));
        assert_eq!(defuse("=SUM(A1)"), "'=SUM(A1)");
    }
}
