//! Deterministic generation of the public profiles from the world seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{PublicPost, PublicProfile, PublicWorld};

/// How many public profiles a world has.
pub const PROFILE_COUNT: usize = 12;
/// Posts per profile written before the sandbox starts.
pub const POSTS_PER_PROFILE: usize = 30;
/// Posts per profile still to come after the start, one every few hours, so mentions (and
/// their webhooks) keep arriving as the clock moves.
pub const FUTURE_POSTS: usize = 4;
/// Public user ids start here, above every creator id (creators stay below
/// 17_841_401_000_000_000), so the two ranges never meet.
const USER_ID_BASE: u64 = 17_841_500_000_000_000;
/// Public media ids start here, above every creator, reply, container and carousel-item range.
pub const MEDIA_ID_BASE: u64 = 22_000_000_000_000_000;
/// Media ids per profile.
pub const MEDIA_STRIDE: u64 = 1_000_000;
/// Salt so this stream never repeats the creators' random stream for the same seed.
const SALT: u64 = 0x7075_626c_6963;

/// Topic words: each is used both as a topic tag and as a keyword in text, so a TAG and a
/// KEYWORD search for the same word find overlapping but different posts.
pub const TOPICS: &[&str] = &[
    "coffee",
    "running",
    "rustlang",
    "gardening",
    "photography",
    "travel",
    "cooking",
    "design",
];
const FIRST: &[&str] = &[
    "ada", "ben", "cleo", "dev", "elif", "finn", "gia", "hugo", "iris", "jon", "kai", "lena",
];
const LAST: &[&str] = &["moss", "vale", "north", "reed", "stone", "brook"];
const OPENERS: &[&str] = &[
    "Thinking about",
    "A small note on",
    "Today's lesson in",
    "Hot take on",
    "Slowly getting better at",
];

/// Builds the public world. `creators` are the creator usernames posts may mention; `anchor`
/// is where the history ends; a few posts per profile follow it.
pub fn public_world(seed: u64, creators: &[String], anchor: i64) -> PublicWorld {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ SALT);
    let profiles = (0..PROFILE_COUNT)
        .map(|i| profile(&mut rng, i, creators, anchor))
        .collect();
    PublicWorld { profiles }
}

fn profile(rng: &mut ChaCha8Rng, i: usize, creators: &[String], anchor: i64) -> PublicProfile {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[rng.random_range(0..LAST.len())];
    // Every third profile is small, so lookups below 1,000 followers are exercised; the last
    // one is a minor, so the age rule is exercised too.
    let followers = if i % 3 == 2 {
        rng.random_range(10..1_000)
    } else {
        rng.random_range(1_000..250_000)
    };
    let user_id = USER_ID_BASE + i as u64 * 1_000;
    let posts = (0..POSTS_PER_PROFILE + FUTURE_POSTS)
        .map(|n| post(rng, i, n, creators, anchor))
        .collect();
    PublicProfile {
        user_id,
        username: format!("{first}.{last}"),
        name: format!("{} {}", capital(first), capital(last)),
        biography: format!("Posts about {} and more.", TOPICS[i % TOPICS.len()]),
        is_verified: i.is_multiple_of(4),
        followers,
        adult: i + 1 != PROFILE_COUNT,
        posts,
    }
}

fn post(rng: &mut ChaCha8Rng, i: usize, n: usize, creators: &[String], anchor: i64) -> PublicPost {
    // Oldest first: post n sits (POSTS_PER_PROFILE - n) steps of 12 h from the anchor, less
    // up to a step, so the history ends at the anchor and the future posts follow it.
    let back = (POSTS_PER_PROFILE as i64 - n as i64) * 43_200 - rng.random_range(0..43_200);
    let topic = TOPICS[rng.random_range(0..TOPICS.len())];
    let opener = OPENERS[rng.random_range(0..OPENERS.len())];
    let mention = (!creators.is_empty() && rng.random::<f64>() < 0.3)
        .then(|| creators[rng.random_range(0..creators.len())].clone());
    let mut text = format!("{opener} {topic}.");
    if let Some(m) = &mention {
        text.push_str(&format!(" Inspired by @{m}."));
    }
    let media_type = match rng.random_range(0..10) {
        0..=5 => "TEXT_POST",
        6..=8 => "IMAGE",
        _ => "VIDEO",
    };
    let topic_tag = (rng.random::<f64>() < 0.5).then(|| TOPICS[rng.random_range(0..TOPICS.len())]);
    PublicPost {
        id: MEDIA_ID_BASE + i as u64 * MEDIA_STRIDE + n as u64,
        ts: anchor - back,
        media_type,
        text,
        topic_tag: topic_tag.map(str::to_owned),
        mentions: mention.into_iter().collect(),
        likes: rng.random_range(0..5_000),
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["alpha".to_owned(), "beta".to_owned()]
    }

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let a = public_world(7, &names(), 1_750_000_000);
        let b = public_world(7, &names(), 1_750_000_000);
        let texts = |w: &PublicWorld| {
            w.profiles
                .iter()
                .flat_map(|p| p.posts.iter().map(|x| (x.id, x.ts, x.text.clone())))
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(&a), texts(&b));
        assert_ne!(texts(&a), texts(&public_world(8, &names(), 1_750_000_000)));
    }

    #[test]
    fn some_profiles_are_findable_and_some_are_not() {
        let w = public_world(1, &names(), 1_750_000_000);
        assert!(w.profiles.iter().any(|p| p.followers >= 1_000 && p.adult));
        assert!(w.profiles.iter().any(|p| p.followers < 1_000));
        assert!(w.profiles.iter().any(|p| !p.adult));
        assert!(w.posts_at(i64::MAX).any(|(_, p)| !p.mentions.is_empty()));
        assert!(w.posts_at(1_750_000_000).count() >= PROFILE_COUNT * (POSTS_PER_PROFILE - 1));
        assert!(w.posts_at(i64::MAX).any(|(_, p)| p.ts > 1_750_000_000));
    }
}
