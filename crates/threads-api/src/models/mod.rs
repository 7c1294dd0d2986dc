//! Response types, decoded from the JSON shapes in the reference.

mod enums;
mod insights;
mod location;
mod media;
mod profile;
mod public_profile;
mod publishing;
mod webhook;

pub use enums::{ContainerState, HideStatus, MediaType, ReplyAudience, ReplyControl};
pub use insights::{
    Breakdown, BreakdownResult, DemographicBreakdown, Demographics, InsightMetric, InsightValue,
    Insights, LinkTotal, MEDIA_METRICS, MediaMetrics, TotalValue,
};
pub use location::{LOCATION_FIELDS, Location};
pub use media::{Children, MEDIA_FIELDS, Media, MediaRef, PollResults, UserRef};
pub use profile::{PROFILE_FIELDS, Profile, SearchedKeyword};
pub use public_profile::PublicProfile;
pub use publishing::{
    ContainerStatus, Created, Deleted, PublishingLimit, QUOTA_FIELDS, QuotaConfig, Success,
};
pub use webhook::{WebhookDelivery, WebhookEvent, WebhookValues};
