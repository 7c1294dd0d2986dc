//! Ids that only publishing uses.

crate::domain::id_type!(
    /// A hosted media upload.
    UploadId
);
