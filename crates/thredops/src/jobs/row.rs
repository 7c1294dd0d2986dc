//! Column list and row decoding shared by every query that returns whole jobs.

/// The columns every whole-job query selects, in one place so `job_from_row!` stays in step.
macro_rules! job_columns {
    () => {
        "id, kind, payload, state, run_at, attempts, max_attempts, lease_owner, lease_expires_at, \
         last_error, dedup_key, user_id, subject, progress, created_at, updated_at, finished_at"
    };
}

/// Decodes a row of `job_columns!()` on either backend (the row types differ, the code does not).
macro_rules! job_from_row {
    ($row:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        let payload: String = row.try_get("payload")?;
        let state: String = row.try_get("state")?;
        let progress: Option<String> = row.try_get("progress")?;
        $crate::jobs::Job {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            payload: $crate::jobs::row::parse_json("payload", &payload)?,
            state: state
                .parse()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            run_at: row.try_get("run_at")?,
            attempts: row.try_get("attempts")?,
            max_attempts: row.try_get("max_attempts")?,
            lease_owner: row.try_get("lease_owner")?,
            lease_expires_at: row.try_get("lease_expires_at")?,
            last_error: row.try_get("last_error")?,
            dedup_key: row.try_get("dedup_key")?,
            user_id: row.try_get("user_id")?,
            subject: row.try_get("subject")?,
            progress: match progress {
                Some(p) => Some($crate::jobs::row::parse_json("progress", &p)?),
                None => None,
            },
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            finished_at: row.try_get("finished_at")?,
        }
    }};
}

/// Parses a JSON text column; only this module writes them, so a failure means corruption.
pub(crate) fn parse_json(column: &str, text: &str) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(e),
    })
}
