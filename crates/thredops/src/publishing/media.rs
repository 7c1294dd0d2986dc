//! Hosted media: uploads checked against Threads' media specs, stored under
//! `<data_dir>/media/<user_id>/`, and served at an unguessable URL only while Threads needs to
//! download them. Files are deleted once their post is published, and with the user's data.

use std::path::PathBuf;

use anyhow::Context;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use crate::app::AppState;
use crate::clock::now_unix;
use crate::error::{AppError, AppResult};
use crate::store::StoreResult;

/// Largest image Threads accepts (§5.5: 8 MB).
pub const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;
/// Largest video Threads accepts (§5.5: 1 GB).
pub const MAX_VIDEO_BYTES: u64 = 1024 * 1024 * 1024;
/// How long a media URL stays public once a container asks Threads to fetch it.
pub const URL_LIFETIME_SECS: i64 = 2 * 3600;

/// What an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A JPEG or PNG image.
    Image,
    /// An MP4 or MOV video.
    Video,
}

impl MediaKind {
    /// The stored and shown name (`image`, `video`).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }
}

impl std::fmt::Display for MediaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MediaKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [MediaKind::Image, MediaKind::Video]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown media kind {s:?}"))
    }
}

impl TryFrom<String> for MediaKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// One stored upload.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Upload {
    /// Id the composer refers to.
    pub id: String,
    /// Owner.
    #[serde(skip)]
    pub user_id: String,
    /// Secret path segment of the public URL (never shown before a container needs it).
    #[serde(skip)]
    pub token: String,
    /// Image or video.
    #[sqlx(try_from = "String")]
    pub kind: MediaKind,
    /// MIME type.
    pub content_type: String,
    /// Cleaned original file name.
    pub file_name: String,
    /// Size.
    pub bytes: i64,
    /// Pixel width, when known.
    pub width: Option<i64>,
    /// Pixel height, when known.
    pub height: Option<i64>,
    /// Public until then (UTC seconds); None: not public.
    #[serde(skip)]
    pub expires_at: Option<i64>,
    /// Deleted (after publication).
    #[serde(skip)]
    pub deleted_at: Option<i64>,
}

/// Where a user's files live.
pub fn user_dir(state: &AppState, user_id: &str) -> PathBuf {
    state.settings.data_dir.join("media").join(user_id)
}

fn path_of(state: &AppState, u: &Upload) -> PathBuf {
    user_dir(state, &u.user_id).join(&u.id)
}

/// The public URL Threads downloads the file from.
pub fn public_url(state: &AppState, u: &Upload) -> String {
    format!(
        "{}/media/{}/{}",
        state.settings.public_url.as_str().trim_end_matches('/'),
        u.token,
        u.file_name
    )
}

/// What the first bytes say the file is: (kind, MIME type).
pub fn sniff(head: &[u8]) -> Option<(MediaKind, &'static str)> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some((MediaKind::Image, "image/jpeg"))
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some((MediaKind::Image, "image/png"))
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        if &head[8..10] == b"qt" {
            Some((MediaKind::Video, "video/quicktime"))
        } else {
            Some((MediaKind::Video, "video/mp4"))
        }
    } else {
        None
    }
}

/// Keeps letters, digits, `-`, `_` and `.` of a file name, so it is safe in a URL and a path.
pub fn clean_name(name: &str, content_type: &str) -> String {
    let cleaned: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(80)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        let ext = match content_type {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "video/quicktime" => "mov",
            _ => "mp4",
        };
        format!("upload.{ext}")
    } else {
        cleaned
    }
}

/// The reason a file that is not JPEG, PNG, MP4 or MOV is refused.
const NOT_ACCEPTED: &str =
    "Threads accepts JPEG or PNG images and MP4 or MOV videos; this file is none of those.";

/// Largest file of a kind.
fn max_bytes(kind: MediaKind) -> u64 {
    match kind {
        MediaKind::Image => MAX_IMAGE_BYTES,
        MediaKind::Video => MAX_VIDEO_BYTES,
    }
}

fn too_large(kind: MediaKind) -> AppError {
    AppError::field(
        "file",
        format!(
            "Threads accepts {kind}s up to {} MB; this one is larger.",
            max_bytes(kind) / 1024 / 1024
        ),
    )
}

/// Why a complete image is refused, whatever it was uploaded for (a post or a support chat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageProblem {
    /// Its header cannot be read.
    Unreadable,
    /// Zero width or height.
    NoPixels,
    /// Longer than 10:1 in either direction.
    TooElongated {
        /// Pixel width.
        width: i64,
        /// Pixel height.
        height: i64,
    },
}

/// Pixel size of a complete image, refusing shapes Threads does not accept (at most 10:1).
pub fn image_shape(bytes: &[u8]) -> Result<(i64, i64), ImageProblem> {
    let dim = imagesize::blob_size(bytes).map_err(|_| ImageProblem::Unreadable)?;
    let (w, h) = (dim.width as i64, dim.height as i64);
    if w == 0 || h == 0 {
        return Err(ImageProblem::NoPixels);
    }
    let ratio = w.max(h) as f64 / w.min(h) as f64;
    if ratio > 10.0 {
        return Err(ImageProblem::TooElongated {
            width: w,
            height: h,
        });
    }
    Ok((w, h))
}

/// Pixel size of a complete image, refusing shapes Threads does not accept.
fn image_dimensions(bytes: &[u8]) -> AppResult<(i64, i64)> {
    image_shape(bytes).map_err(|problem| {
        AppError::field(
            "file",
            match problem {
                ImageProblem::Unreadable => {
                    "This image could not be read. Export it again as JPEG or PNG.".to_owned()
                }
                ImageProblem::NoPixels => "This image has no pixels.".to_owned(),
                ImageProblem::TooElongated { width: w, height: h } => format!(
                    "Threads accepts images up to 10:1 in shape; this one is {w}x{h} pixels. Crop it."
                ),
            },
        )
    })
}

/// 256 random bits in hex: unguessable, and (having no letters past `f`) never spelling a word
/// that a downstream service might react to.
fn secret_token() -> String {
    use rand::RngCore;
    let mut buf = [0u8; 32];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The next piece of an upload, or `None` at its end. Uploads are exempt from the request
/// deadline; one that stalls for that long ends here instead.
pub async fn next_chunk<S, E>(
    state: &AppState,
    body: &mut std::pin::Pin<&mut S>,
) -> AppResult<Option<Bytes>>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<AppError>,
{
    let idle = state.settings.request_timeout;
    let Ok(next) = tokio::time::timeout(idle, body.next()).await else {
        return Err(AppError::BadRequest(format!(
            "No data arrived for {} seconds, so the upload was stopped. Try again.",
            idle.as_secs()
        )));
    };
    next.transpose().map_err(Into::into)
}

/// Bytes [`sniff`] needs to recognise a file.
const SNIFF_BYTES: usize = 12;

/// Removes a partly written upload unless it was kept: a refused file, a failed write or a
/// client that goes away mid-upload (the future is dropped) leave nothing behind.
struct Incoming {
    path: PathBuf,
    kept: bool,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Streams an upload to the user's media directory, checking it as it arrives: the type from
/// the first bytes, the size limit at every chunk (a 1 GB video never sits in memory), the
/// image shape once complete. A refused or interrupted upload leaves no file.
pub async fn store_stream<S, E>(
    state: &AppState,
    user_id: &str,
    name: &str,
    body: S,
) -> AppResult<Upload>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<AppError>,
{
    let mut body = std::pin::pin!(body);
    let dir = user_dir(state, user_id);
    tokio::fs::create_dir_all(&dir)
        .await
        .context("creating the media directory")?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut incoming = Incoming {
        path: dir.join(format!(".incoming-{id}")),
        kept: false,
    };
    let mut file = tokio::fs::File::create(&incoming.path)
        .await
        .context("creating an upload")?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut kind_mime = None;
    let mut size: u64 = 0;
    while let Some(chunk) = next_chunk(state, &mut body).await? {
        size += chunk.len() as u64;
        if kind_mime.is_none() {
            head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_BYTES - head.len())]);
            if head.len() == SNIFF_BYTES {
                kind_mime =
                    Some(sniff(&head).ok_or_else(|| AppError::field("file", NOT_ACCEPTED))?);
            }
        }
        if let Some((kind, _)) = kind_mime
            && size > max_bytes(kind)
        {
            return Err(too_large(kind));
        }
        file.write_all(&chunk).await.context("writing an upload")?;
    }
    file.flush().await.context("writing an upload")?;
    drop(file);
    let (kind, mime) = match kind_mime {
        Some(found) => found,
        None => sniff(&head).ok_or_else(|| AppError::field("file", NOT_ACCEPTED))?,
    };
    let (width, height) = if kind == MediaKind::Image {
        // At most 8 MB, and the dimensions can sit anywhere in a JPEG's header segments.
        let bytes = tokio::fs::read(&incoming.path)
            .await
            .context("reading an upload back")?;
        let (w, h) = image_dimensions(&bytes)?;
        (Some(w), Some(h))
    } else {
        (None, None)
    };
    let upload = Upload {
        id,
        user_id: user_id.to_owned(),
        token: secret_token(),
        kind,
        content_type: mime.to_owned(),
        file_name: clean_name(name, mime),
        bytes: size as i64,
        width,
        height,
        expires_at: None,
        deleted_at: None,
    };
    tokio::fs::rename(&incoming.path, path_of(state, &upload))
        .await
        .context("keeping an upload")?;
    incoming.kept = true;
    let recorded = state.store.insert_upload(&upload, now_unix()).await;
    if let Err(e) = recorded {
        if let Err(fs) = tokio::fs::remove_file(path_of(state, &upload)).await {
            tracing::warn!(error = %fs, "could not remove an upload whose record failed");
        }
        return Err(e.into());
    }
    Ok(upload)
}

/// One of the user's uploads that still exists (None for other users' uploads).
pub async fn get(state: &AppState, user_id: &str, id: &str) -> StoreResult<Option<Upload>> {
    Ok(state
        .store
        .upload_by_id(id)
        .await?
        .filter(|u| u.user_id == user_id && u.deleted_at.is_none()))
}

/// Makes an upload public for [`URL_LIFETIME_SECS`] and returns its URL.
pub async fn publish_url(state: &AppState, u: &Upload) -> StoreResult<String> {
    state
        .store
        .set_upload_expiry(&u.id, now_unix() + URL_LIFETIME_SECS)
        .await?;
    Ok(public_url(state, u))
}

/// A file that is public right now, opened for streaming.
pub struct Hosted {
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The open file.
    pub file: tokio::fs::File,
}

/// The file behind a public URL, if it is public right now.
pub async fn serve(state: &AppState, token: &str) -> anyhow::Result<Option<Hosted>> {
    let Some(u) = state.store.upload_by_token(token).await? else {
        return Ok(None);
    };
    let live = u.deleted_at.is_none() && u.expires_at.is_some_and(|t| t > now_unix());
    if !live {
        return Ok(None);
    }
    open_file(state, u).await
}

/// One of the user's own uploads, for the composer's preview (None for anyone else's).
pub async fn open_own(state: &AppState, user_id: &str, id: &str) -> anyhow::Result<Option<Hosted>> {
    match get(state, user_id, id).await? {
        Some(u) => open_file(state, u).await,
        None => Ok(None),
    }
}

async fn open_file(state: &AppState, u: Upload) -> anyhow::Result<Option<Hosted>> {
    let Ok(file) = tokio::fs::File::open(path_of(state, &u)).await else {
        return Ok(None);
    };
    let bytes = file
        .metadata()
        .await
        .context("reading an upload's size")?
        .len();
    Ok(Some(Hosted {
        content_type: u.content_type,
        bytes,
        file,
    }))
}

/// Deletes an upload's file and marks it deleted (after its post was published).
pub async fn delete(state: &AppState, u: &Upload) -> StoreResult<()> {
    if let Err(e) = tokio::fs::remove_file(path_of(state, u)).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, "could not delete a published upload");
    }
    state.store.mark_upload_deleted(&u.id, now_unix()).await?;
    Ok(())
}

/// Removes the files of accounts that no longer exist (their rows went with the account).
/// Returns how many directories were removed.
pub async fn sweep_orphans(state: &AppState) -> anyhow::Result<usize> {
    let root = state.settings.data_dir.join("media");
    let Ok(mut dirs) = tokio::fs::read_dir(&root).await else {
        return Ok(0);
    };
    let mut removed = 0;
    while let Some(entry) = dirs.next_entry().await? {
        let name = entry.file_name().to_string_lossy().to_string();
        if state
            .store
            .user_by_id(&crate::domain::UserId::from(name.as_str()))
            .await?
            .is_none()
        {
            tokio::fs::remove_dir_all(entry.path()).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_their_bytes() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Some((MediaKind::Image, "image/png"))
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some((MediaKind::Image, "image/jpeg"))
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypmp42...."),
            Some((MediaKind::Video, "video/mp4"))
        );
        assert_eq!(sniff(b"GIF89a"), None);
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(
            clean_name("../../etc/pass wd.png", "image/png"),
            "passwd.png"
        );
        assert_eq!(clean_name("", "video/mp4"), "upload.mp4");
        assert_eq!(clean_name("...", "image/jpeg"), "upload.jpg");
    }
}
