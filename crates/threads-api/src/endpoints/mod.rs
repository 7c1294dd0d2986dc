//! Endpoint methods, grouped by what they do. All are methods on [`crate::Session`] except the
//! OAuth calls, which live on [`crate::ThreadsClient`].

pub mod insights;
pub mod locations;
pub mod oauth;
pub mod profiles;
pub mod publish;
pub mod read;
pub mod search;
