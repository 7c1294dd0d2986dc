//! Ids that only publishing uses.

crate::domain::id_type!(
    /// A hosted media upload.
    UploadId
);

/// An empty id, which no upload has: what a media item without one reads as.
impl Default for UploadId {
    fn default() -> Self {
        Self::new(String::new())
    }
}
