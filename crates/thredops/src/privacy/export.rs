//! "Export my data": a tar archive with every row ThredOps holds about the user, as CSV per table
//! (found from the schema, so tables other features add later are included without changes), and
//! JSON files with the encrypted values opened (profiles, post contents, demographics).

use serde_json::{Value, json};

use super::tar::Tar;
use crate::app::AppState;
use crate::clock::now_unix;
use crate::crypto::DataKey;
use crate::domain::{UserId, WorkspaceId};
use crate::services::profiles as profile_service;
use crate::store::Store;

/// Columns never exported: secrets that protect the account rather than describe it.
const WITHHELD: &[&str] = &[
    "password_hash",
    "wrapped_key",
    "token_enc",
    "state_hash",
    "token_hash",
    "secret_enc",
    "code_hash",
];

/// Tables never exported: key material.
const WITHHELD_TABLES: &[&str] = &["data_keys", "signing_keys"];

/// The archive's file name for a download.
pub fn file_name(now: i64) -> String {
    let day = chrono::DateTime::from_timestamp(now, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    format!("thredops-export-{day}.tar")
}

/// Builds the archive for `user_id`: their own rows and their own workspace's data.
pub async fn build(state: &AppState, user_id: &UserId) -> anyhow::Result<Vec<u8>> {
    let now = now_unix();
    let mut tar = Tar::default();
    let workspace_id = WorkspaceId::owned_by(user_id);
    let key = state.vault.existing_key(&workspace_id).await?;
    let mut listing = Vec::new();
    for table in state.store.table_names().await? {
        if WITHHELD_TABLES.contains(&table.as_str()) {
            continue;
        }
        if let Some(csv) = table_csv(&state.store, &table, user_id).await? {
            let name = format!("thredops-export/tables/{table}.csv");
            listing.push(name.clone());
            tar.add(&name, csv.as_bytes(), now);
        }
    }
    let opened = opened_data(state, &workspace_id, key.as_ref()).await?;
    tar.add(
        "thredops-export/threads-data.json",
        serde_json::to_vec_pretty(&opened)?.as_slice(),
        now,
    );
    let content = super::export_content::content(state, user_id, key.as_ref()).await?;
    tar.add(
        "thredops-export/content.json",
        serde_json::to_vec_pretty(&content)?.as_slice(),
        now,
    );
    for image in state.store.support_attachments_of_user(user_id).await? {
        let bytes = crate::support::attachments::unseal(state, &image)?;
        let name = format!(
            "thredops-export/{}",
            super::export_content::support_image_path(&image.id, &image.file_name)
        );
        listing.push(name.clone());
        tar.add(&name, &bytes, now);
    }
    let readme = format!(
        "Everything {} holds about your account, exported {}.\n\ntables/*.csv: every stored row that belongs to you, one file per table. Encrypted columns appear as [encrypted]; their readable content is in threads-data.json and content.json. Password hashes, access tokens and key material are withheld: they protect your account and are useless outside it.\nthreads-data.json: your Threads profiles, post contents and audience demographics, decrypted.\ncontent.json: your drafts and scheduled posts, audit reports and experiments, decrypted, and your support tickets and chats with every message.\nsupport-images/: the images sent in your support conversations, named in content.json beside their message.\n\nFiles:\n{}\n",
        state.settings.privacy.operator_name,
        file_name(now)
            .trim_start_matches("thredops-export-")
            .trim_end_matches(".tar"),
        listing.join("\n")
    );
    tar.add("thredops-export/README.txt", readme.as_bytes(), now);
    Ok(tar.finish())
}

async fn opened_data(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Value> {
    let mut profiles = Vec::new();
    for p in state.store.profiles_of(workspace_id).await? {
        let view = profile_service::view(key, &p, None, 0, state.threads.now().timestamp());
        let subject = |suffix: &str| format!("{}/{suffix}", p.id);
        let posts = state.store.export_post_contents(&p.id).await?;
        let posts: Vec<Value> = posts
            .iter()
            .map(|(media_id, sealed)| {
                let content = key
                    .and_then(|k| k.open_string("post", &subject(media_id), sealed).ok())
                    .and_then(|s| serde_json::from_str::<Value>(&s).ok());
                json!({"media_id": media_id, "content": content})
            })
            .collect();
        let demographics = state.store.export_demographics(&p.id).await?;
        let demographics: Vec<Value> = demographics
            .iter()
            .map(|(day, breakdown, sealed)| {
                let values = key
                    .and_then(|k| {
                        k.open_string(
                            "demographics",
                            &subject(&format!("{day}/{breakdown}")),
                            sealed,
                        )
                        .ok()
                    })
                    .and_then(|s| serde_json::from_str::<Value>(&s).ok());
                json!({"day": day, "breakdown": breakdown, "values": values})
            })
            .collect();
        profiles.push(json!({"profile": view, "posts": posts, "demographics": demographics}));
    }
    Ok(json!({"profiles": profiles}))
}

/// The user's rows of `table` as CSV, or `None` when the table holds nothing per user.
async fn table_csv(store: &Store, table: &str, user_id: &UserId) -> anyhow::Result<Option<String>> {
    let Some(table) = store.export_table(table, user_id, WITHHELD).await? else {
        return Ok(None);
    };
    let mut out = csv_line(table.columns.into_iter());
    for row in table.rows {
        out.push_str(&csv_line(row.into_iter()));
    }
    Ok(Some(out))
}

/// RFC 4180 quoting; cells starting with a formula character get a leading quote so a
/// spreadsheet shows them rather than running them.
fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let mut line = cells
        .map(|c| {
            let c = if c.starts_with(['=', '+', '-', '@']) && c.parse::<f64>().is_err() {
                format!("'{c}")
            } else {
                c
            };
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_separators_and_defuses_formulas() {
        let line = csv_line(
            [
                "a,b".to_owned(),
                "say \"hi\"".to_owned(),
                "=1+1".to_owned(),
                "-3".to_owned(),
            ]
            .into_iter(),
        );
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",'=1+1,-3\r\n");
    }
}
