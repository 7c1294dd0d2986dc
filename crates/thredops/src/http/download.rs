//! File downloads: the data export archive.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::clock::now_unix;
use crate::privacy::export;

/// The export archive as a file download that is never cached.
pub fn export_archive(archive: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", export::file_name(now_unix()));
    (
        [
            (header::CONTENT_TYPE, "application/x-tar".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        archive,
    )
        .into_response()
}
