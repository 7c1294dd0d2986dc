//! Creator traits: the knobs that shape a synthetic creator, so tests can rely on KNOWN facts
//! (e.g. "videos get 3x", "evenings are best", "audience is in Japan").

use serde::{Deserialize, Serialize};

/// Traits of a synthetic creator. Every field is optional; unset ones take defaults
/// derived from the seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreatorTraits {
    /// Handle (unique); generated when unset.
    pub username: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Biography text.
    pub biography: Option<String>,
    /// Whether the profile is verified.
    pub is_verified: bool,
    /// Follower count at creation time.
    pub followers: Option<u64>,
    /// Number of top-level posts (including reposts) in the history.
    pub posts: Option<usize>,
    /// How many days the history spans (clamped to Threads' launch, July 2023).
    pub history_days: Option<u32>,
    /// Engagement multipliers per format (1.0 = neutral); e.g. `{"video": 3.0}`.
    pub format_multipliers: FormatWeights,
    /// Share of each format when generating posts.
    pub format_mix: Option<FormatWeights>,
    /// Audience-local hours (0-23) that perform best.
    pub best_hours: Option<Vec<u8>>,
    /// Multiplier for posts in `best_hours` (default 1.3; e.g. 2.5 for a strong effect).
    pub hour_boost: Option<f64>,
    /// Weekdays that perform best, 0 = Monday .. 6 = Sunday.
    pub best_weekdays: Option<Vec<u8>>,
    /// Multiplier for posts on `best_weekdays` (default 1.0).
    pub weekday_boost: Option<f64>,
    /// Hours posts are written at, in audience-local time; default spreads over the waking day.
    pub posting_hours: Option<Vec<u8>>,
    /// UTC offset of the audience in hours (e.g. 9 for Japan); default 0 or -5.
    pub audience_utc_offset: Option<i32>,
    /// ISO country most followers live in (e.g. "JP").
    pub top_country: Option<String>,
    /// Share of followers in `top_country` (0-1).
    pub top_country_share: Option<f64>,
    /// Periods without posts.
    pub gaps: Vec<Gap>,
    /// Multiplier for text length: positive favours long posts, negative short ones.
    pub length_effect: Option<f64>,
    /// Multiplier for weekend posts that are not on `best_weekdays` (default 0.9); 1.0 makes a
    /// creator with no weekday effect at all, as a neutral control needs.
    pub weekend_factor: Option<f64>,
    /// Seed of this creator's history instead of the one derived from the world seed and its
    /// index, so a test suite can draw the same creator again, or many different ones.
    pub seed: Option<u64>,
}

/// A period with no posts, counted back from the creator's creation time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// Days before creation when the gap ends.
    pub ends_days_ago: u32,
    /// Length of the gap in days.
    pub days: u32,
}

/// One weight per post format.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FormatWeights {
    /// Plain text posts (including polls and link posts).
    pub text: Option<f64>,
    /// Single images.
    pub image: Option<f64>,
    /// Videos.
    pub video: Option<f64>,
    /// Carousels.
    pub carousel: Option<f64>,
    /// Quote posts.
    pub quote: Option<f64>,
    /// Reposts (REPOST_FACADE).
    pub repost: Option<f64>,
}

/// Post formats the generator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// TEXT_POST.
    Text,
    /// IMAGE.
    Image,
    /// VIDEO.
    Video,
    /// CAROUSEL_ALBUM.
    Carousel,
    /// A TEXT_POST quoting another post.
    Quote,
    /// REPOST_FACADE.
    Repost,
}

impl Format {
    /// All formats in a fixed order.
    pub const ALL: [Format; 6] = [
        Format::Text,
        Format::Image,
        Format::Video,
        Format::Carousel,
        Format::Quote,
        Format::Repost,
    ];

    /// Read-side `media_type`.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Text | Format::Quote => "TEXT_POST",
            Format::Image => "IMAGE",
            Format::Video => "VIDEO",
            Format::Carousel => "CAROUSEL_ALBUM",
            Format::Repost => "REPOST_FACADE",
        }
    }
}

impl FormatWeights {
    /// The weight of `format`, or `default` when unset.
    pub fn get(&self, format: Format, default: f64) -> f64 {
        let v = match format {
            Format::Text => self.text,
            Format::Image => self.image,
            Format::Video => self.video,
            Format::Carousel => self.carousel,
            Format::Quote => self.quote,
            Format::Repost => self.repost,
        };
        v.unwrap_or(default)
    }
}
