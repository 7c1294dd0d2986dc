//! Deterministic generation of a creator and their post history from a seed.

use std::collections::{HashMap, HashSet};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::engagement::{self, Metrics, Profile, normal};
use super::text::{creator_names, rng_for};
use super::traits::{CreatorTraits, Format, FormatWeights};
use super::{Creator, Post, QuotaLog, ReplyLink};
use crate::ids::ObjectRef;

/// Threads launched on 2023-07-05; nothing is older than the API's `since` floor.
const THREADS_LAUNCH: i64 = 1_688_540_400 + 86_400;

/// Follower counts of the default creators, from tiny to large.
pub const DEFAULT_FOLLOWERS: [u64; 6] = [50, 950, 12_000, 48_000, 120_000, 500_000];

/// Traits of the default creators (index -> traits).
pub fn default_traits(index: usize) -> CreatorTraits {
    let followers = DEFAULT_FOLLOWERS[index % DEFAULT_FOLLOWERS.len()];
    let mut t = CreatorTraits {
        followers: Some(followers),
        posts: Some([120, 600, 1_500, 2_500, 2_000, 4_000][index % 6]),
        ..CreatorTraits::default()
    };
    match index % 6 {
        3 => {
            t.best_hours = Some(vec![18, 19, 20, 21, 22]);
            t.hour_boost = Some(2.0);
        }
        4 => {
            t.audience_utc_offset = Some(9);
            t.top_country = Some("JP".to_owned());
            t.top_country_share = Some(0.8);
        }
        5 => {
            t.format_multipliers.video = Some(3.0);
            t.is_verified = true;
        }
        _ => {}
    }
    t
}

/// Builds creator `index` from the world seed and traits, with history ending at `now`.
pub fn creator(index: usize, world_seed: u64, traits: CreatorTraits, now: i64) -> Creator {
    let seed = traits
        .seed
        .unwrap_or_else(|| world_seed ^ (index as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let mut rng = rng_for(seed, 0);
    let (gen_username, gen_name) = creator_names(index, seed);
    let followers = traits.followers.unwrap_or(1_000) as f64;
    let n_posts = traits
        .posts
        .unwrap_or_else(|| (40.0 + followers.log10() * 150.0) as usize);
    let days = i64::from(traits.history_days.unwrap_or(900));
    let start = (now - days * 86_400).max(THREADS_LAUNCH).min(now - 86_400);
    let profile = resolve_profile(&traits, &mut rng);
    let timestamps = post_times(&traits, &profile, &mut rng, n_posts, start, now);
    let mix = traits.format_mix.clone().unwrap_or_default();

    let mut posts = Vec::with_capacity(n_posts);
    for (i, ts) in timestamps.into_iter().enumerate() {
        let post_seed = seed ^ (i as u64 + 7).wrapping_mul(0xE703_7ED1_A0B4_28DB);
        let mut format = pick_format(&mix, &mut rng);
        if i == 0 && matches!(format, Format::Quote | Format::Repost) {
            format = Format::Text;
        }
        let target = matches!(format, Format::Quote | Format::Repost).then(|| {
            ObjectRef::Post {
                creator: index,
                post: rng.random_range(0..i),
            }
            .id()
        });
        let text_len = match format {
            Format::Repost => 0.0,
            Format::Text | Format::Quote => {
                (140.0 * (0.7 * normal(&mut rng)).exp()).clamp(8.0, 500.0)
            }
            _ => (60.0 * (0.8 * normal(&mut rng)).exp()).clamp(0.0, 500.0),
        } as usize;
        let is_text = format == Format::Text;
        let has_link = is_text && rng.random::<f64>() < 0.15;
        let has_poll = is_text && !has_link && rng.random::<f64>() < 0.06;
        let has_topic = format != Format::Repost && rng.random::<f64>() < 0.3;
        let growth = ((i + 1) as f64 / n_posts.max(1) as f64).powf(1.5);
        let followers_then = followers * (0.15 + 0.85 * growth);
        let fin = profile.draw(&mut rng, format, ts, text_len, followers_then, has_link);
        posts.push(Post {
            ts,
            format,
            seed: post_seed,
            text_len: text_len as u16,
            has_link,
            has_poll,
            has_topic,
            children: if format == Format::Carousel {
                rng.random_range(2..=6)
            } else {
                0
            },
            target,
            reply: None,
            fin,
            extra_replies: 0,
            planted: None,
            deleted: false,
            live: None,
        });
    }

    // Growth reacts to posts, but never adds up to more than half of today's audience.
    let total: u64 = posts.iter().map(|p| p.fin.follows).sum();
    let cap = followers * 0.5;
    if total as f64 > cap {
        let scale = cap / total as f64;
        for p in &mut posts {
            p.fin.follows = (p.fin.follows as f64 * scale) as u64;
        }
    }
    let (replies, replies_by_root) = owner_replies(index, &mut posts, &mut rng, now);
    let mut cum_follows = Vec::with_capacity(posts.len() + 1);
    cum_follows.push(0);
    for p in &posts {
        cum_follows.push(cum_follows.last().copied().unwrap_or(0) + p.fin.follows);
    }
    let gained: u64 = posts
        .iter()
        .map(|p| engagement::accrued(p.fin.follows, now - p.ts))
        .sum();
    let top_country = (
        traits
            .top_country
            .clone()
            .unwrap_or_else(|| "US".to_owned()),
        traits.top_country_share.unwrap_or(0.45).clamp(0.0, 1.0),
    );
    Creator {
        index,
        user_id: 17_841_400_000_000_000
            + rng.random_range(0..1_000_000_000_000u64) / 1_000 * 1_000
            + index as u64,
        username: traits.username.clone().unwrap_or(gen_username),
        name: traits.name.clone().unwrap_or(gen_name),
        biography: traits
            .biography
            .clone()
            .unwrap_or_else(|| "Making things in public. Synthetic sandbox creator.".to_owned()),
        is_verified: traits.is_verified,
        base_followers: followers as i64 - gained as i64,
        profile,
        created_at: now,
        posts,
        cum_follows,
        replies,
        replies_by_root,
        hidden: HashSet::new(),
        quota_log: QuotaLog::default(),
        top_country,
        traits,
    }
}

fn resolve_profile(traits: &CreatorTraits, rng: &mut ChaCha8Rng) -> Profile {
    let fm = &traits.format_multipliers;
    Profile {
        audience_utc_offset: traits
            .audience_utc_offset
            .unwrap_or(if rng.random::<bool>() { 0 } else { -5 }),
        best_hours: traits
            .best_hours
            .clone()
            .unwrap_or_else(|| vec![12, 13, 19, 20, 21]),
        hour_boost: traits.hour_boost.unwrap_or(1.3),
        best_weekdays: traits.best_weekdays.clone().unwrap_or_default(),
        weekday_boost: traits.weekday_boost.unwrap_or(1.0),
        weekend_factor: traits.weekend_factor.unwrap_or(0.9),
        format_multipliers: Format::ALL.map(|f| {
            let default = match f {
                Format::Image => 1.2,
                Format::Video => 1.4,
                Format::Carousel => 1.3,
                Format::Quote => 0.9,
                _ => 1.0,
            };
            fm.get(f, default)
        }),
        length_effect: traits.length_effect.unwrap_or(-0.3),
    }
}

fn pick_format(mix: &FormatWeights, rng: &mut ChaCha8Rng) -> Format {
    let defaults = [0.45, 0.2, 0.1, 0.08, 0.07, 0.1];
    let weights: Vec<f64> = Format::ALL
        .iter()
        .zip(defaults)
        .map(|(f, d)| mix.get(*f, d).max(0.0))
        .collect();
    let total: f64 = weights.iter().sum::<f64>().max(1e-9);
    let mut x = rng.random::<f64>() * total;
    for (f, w) in Format::ALL.iter().zip(&weights) {
        if x < *w {
            return *f;
        }
        x -= w;
    }
    Format::Text
}

/// Sorted publication times: uniform over active days (skipping gaps) at posting hours.
fn post_times(
    traits: &CreatorTraits,
    profile: &Profile,
    rng: &mut ChaCha8Rng,
    n: usize,
    start: i64,
    now: i64,
) -> Vec<i64> {
    let total_days = ((now - start) / 86_400).max(1);
    let active: Vec<i64> = (0..total_days)
        .filter(|ago| {
            !traits.gaps.iter().any(|g| {
                *ago >= i64::from(g.ends_days_ago) && *ago < i64::from(g.ends_days_ago + g.days)
            })
        })
        .collect();
    let active = if active.is_empty() { vec![0] } else { active };
    let hours: Vec<u8> = traits
        .posting_hours
        .clone()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| (7..24).collect());
    let offset = i64::from(profile.audience_utc_offset) * 3_600;
    let today = now - now.rem_euclid(86_400);
    let mut out: Vec<i64> = (0..n)
        .map(|_| {
            let ago = active[rng.random_range(0..active.len())];
            let hour = i64::from(hours[rng.random_range(0..hours.len())] % 24);
            let local = hour * 3_600 + rng.random_range(0..3_600);
            let mut ts = today - ago * 86_400 + local - offset;
            while ts > now {
                ts -= 86_400;
            }
            ts
        })
        .collect();
    out.sort_unstable();
    out
}

/// The creator answers the first reply on about a third of their posts.
fn owner_replies(
    index: usize,
    posts: &mut [Post],
    rng: &mut ChaCha8Rng,
    now: i64,
) -> (Vec<Post>, HashMap<usize, Vec<usize>>) {
    let mut out = Vec::new();
    for (i, p) in posts.iter_mut().enumerate() {
        if p.fin.replies == 0 || rng.random::<f64>() >= 0.3 {
            continue;
        }
        let ts = p.ts + engagement::age_of_unit(p.fin.replies, 1) + rng.random_range(600..7_200);
        if ts > now {
            continue;
        }
        p.extra_replies += 1;
        let root = ObjectRef::Post {
            creator: index,
            post: i,
        }
        .id();
        let replied_to = ObjectRef::Incoming {
            creator: index,
            post: i,
            reply: 0,
        }
        .id();
        let likes = (p.fin.likes as f64 * 0.02).round() as u64;
        out.push((
            i,
            Post {
                ts,
                format: Format::Text,
                seed: p.seed ^ 0x5EED,
                text_len: rng.random_range(10..120),
                has_link: false,
                has_poll: false,
                has_topic: false,
                children: 0,
                target: None,
                reply: Some(ReplyLink { replied_to, root }),
                fin: Metrics {
                    views: likes * 20 + 1,
                    likes,
                    ..Metrics::default()
                },
                extra_replies: 0,
                planted: None,
                deleted: false,
                live: None,
            },
        ));
    }
    out.sort_by_key(|(_, p)| p.ts);
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for (ri, (pi, _)) in out.iter().enumerate() {
        by_root.entry(*pi).or_default().push(ri);
    }
    (out.into_iter().map(|(_, p)| p).collect(), by_root)
}
