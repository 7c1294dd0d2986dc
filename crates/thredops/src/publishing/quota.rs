//! The profile's 24-hour post quota, read once per profile per short window instead of once per
//! post.
//!
//! Meta allows 250 posts per profile per 24 hours and counts them itself. ThredOps keeps one
//! shared row per profile (`publishing_quota`): the last reading of `threads_publishing_limit`
//! and how many posts may still be reserved on its strength. The post's top-level publishing call
//! is made only after a reservation, taken in the same transaction that stores "publish call
//! started" on the post, so the count is exact for everything ThredOps does:
//!
//! - **Every worker and instance shares the row**, and a reservation is one conditional
//!   `UPDATE ... WHERE remaining > keep`: two workers can never both take the last post.
//! - **Calls in flight are subtracted from each new reading.** Meta may not have counted a call
//!   that had not returned when the reading was asked for, so the reading leaves
//!   `Meta's count - (reservations - calls returned before asking)`. A call lost in a crash never
//!   returns; once no call has started for [`QUIET`], none can be in flight and the difference is
//!   forgotten.
//! - **A reading serves for [`FRESH_FOR`] only, and never for the last [`MARGIN`] posts**: those
//!   are reserved only against a reading asked for after the reservation was wanted (one read per
//!   post, as before the cache). What the row cannot see is posts other apps publish on the
//!   profile; they can matter only if another app publishes more than [`MARGIN`] posts within
//!   [`FRESH_FOR`], and even then Meta refuses the publish and the post is deferred as below.
//! - **Mistakes only ever err towards fewer posts**: a call that fails keeps its reservation until
//!   the next reading, and posts leaving the 24-hour window show up at the next reading.
//!
//! With no post left the publisher defers by an hour and says why; Meta's own quota error does the
//! same and empties the row, so the next post reads again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use threads_api::ErrorClass;

use super::publisher::Run;
use super::recover::Outcome;
use super::store::quota::{Ask, QuotaRow, Reading};
use crate::clock::now_ms;
use crate::domain::ProfileId;
use crate::jobs::JobError;

/// How long a reading serves reservations.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// Posts at the end of the quota that are only reserved against a reading taken for them.
pub const MARGIN: i64 = 10;
/// With no call started for this long, none can still be in flight (four attempts at the
/// request timeout, backoff and `Retry-After` included).
pub const QUIET: Duration = Duration::from_secs(300);

/// Readings taken again, [`SETTLE_WAIT`] apart, before a post is deferred for want of quota: a
/// call whose return is not yet recorded makes a reading leave one post too few.
pub const SETTLE_TRIES: u32 = 2;
/// How long calls in flight are given to settle between those readings.
pub const SETTLE_WAIT: Duration = Duration::from_millis(500);

/// One reader of `threads_publishing_limit` per profile at a time in this process, so a burst of
/// due posts reads a profile's quota once, not once per worker.
#[derive(Debug, Default)]
pub struct Gate {
    readers: Mutex<HashMap<ProfileId, Arc<tokio::sync::Mutex<()>>>>,
}

impl Gate {
    fn reader(&self, profile_id: &ProfileId) -> Arc<tokio::sync::Mutex<()>> {
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        readers.entry(profile_id.clone()).or_default().clone()
    }
}

/// Which readings a reservation may use right now: a recent one with more than [`MARGIN`]
/// posts left.
pub(super) fn cached(now: i64) -> Ask {
    Ask {
        read_after_ms: now - FRESH_FOR.as_millis() as i64,
        keep: MARGIN,
    }
}

/// Only a reading asked for at or after `asked` (Unix ms), down to the last post.
pub(super) fn fresh(asked: i64) -> Ask {
    Ask {
        read_after_ms: asked,
        keep: 0,
    }
}

/// Before a post's first call (during the few seconds before it is due): makes sure the profile
/// has a recent reading, and defers the post when that reading leaves nothing.
pub(super) async fn check(run: &Run<'_>) -> Result<Option<Outcome>, JobError> {
    let asked = now_ms();
    let row = run.first_reading.unwrap_or_default();
    if row.read_at_ms >= cached(asked).read_after_ms && row.remaining > 0 {
        return Ok(None);
    }
    Ok(match read(run, asked).await? {
        Some(row) if row.remaining == 0 => Some(used_up(&row)),
        _ => None,
    })
}

/// A reading asked for at or after `asked`: taken now, or by another worker while this one
/// waited for its turn. None when Threads does not say (the publish itself will tell).
pub(super) async fn read(run: &Run<'_>, asked: i64) -> Result<Option<QuotaRow>, JobError> {
    let profile = &run.post.profile_id;
    let reader = run.quota.reader(profile);
    let _turn = reader.lock().await;
    let row = run.state.store.quota_row(profile).await?;
    if row.read_at_ms >= asked {
        return Ok(Some(row));
    }
    let started = now_ms();
    let limit = match run
        .session
        .publishing_limit_fields(&["quota_usage", "config"])
        .await
    {
        Ok(l) => l,
        Err(e) if matches!(e.class(), ErrorClass::RetryLater { .. }) => {
            return Err(JobError::retry(e.to_string()));
        }
        Err(_) => return Ok(None),
    };
    let Some(left) = limit.posts_remaining() else {
        return Ok(None);
    };
    let reading = Reading {
        left: i64::try_from(left).unwrap_or(i64::MAX),
        total: limit
            .config
            .map(|c| i64::try_from(c.quota_total).unwrap_or(i64::MAX)),
        asked_ms: started,
        finished_before: row.finished,
        quiet_since_ms: started - QUIET.as_millis() as i64,
    };
    Ok(Some(
        run.state
            .store
            .record_quota_reading(profile, &reading)
            .await?,
    ))
}

/// The deferral when the quota is used up.
pub(super) fn used_up(row: &QuotaRow) -> Outcome {
    let total = row.total.unwrap_or(250);
    Outcome::Defer(format!(
        "Threads allows {total} posts per 24 hours and this profile has none left (posts being published right now count too). ThredOps will try again in an hour, as posts from a day ago drop out of the count."
    ))
}
