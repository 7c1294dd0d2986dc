//! Plain features of a post used for aggregation, computed before its text is sealed.

use threads_api::{Media, MediaType};

/// Aggregatable facts about a post; the text itself is only stored encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// Characters of text.
    pub text_len: i64,
    /// Distinct links in the text and the link attachment.
    pub link_count: i64,
    /// Whether the text asks a question.
    pub has_question: bool,
    /// Whether the post carries a poll.
    pub has_poll: bool,
    /// Quote post.
    pub is_quote: bool,
    /// Repost facade.
    pub is_repost: bool,
    /// Carousel items.
    pub carousel_size: i64,
}

/// Computes the features of a post.
pub fn of(media: &Media) -> Features {
    let text = media.text.as_deref().unwrap_or("");
    let mut links: Vec<String> = text
        .split_whitespace()
        .map(|w| w.trim_end_matches(['.', ',', ')', '!', '?']).to_lowercase())
        .filter(|w| w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www."))
        .collect();
    if let Some(link) = &media.link_attachment_url {
        links.push(link.to_lowercase());
    }
    links.sort();
    links.dedup();
    Features {
        text_len: text.chars().count() as i64,
        link_count: links.len() as i64,
        has_question: text.contains('?'),
        has_poll: media.poll_attachment.is_some(),
        is_quote: media.is_quote_post.unwrap_or(false) || media.quoted_post.is_some(),
        is_repost: media.media_type == Some(MediaType::RepostFacade)
            || media.reposted_post.is_some(),
        carousel_size: media.children.as_ref().map_or(0, |c| c.data.len() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(json: serde_json::Value) -> Media {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn counts_distinct_links_questions_and_length() {
        let m = media(serde_json::json!({
            "id": "1", "media_type": "TEXT_POST",
            "text": "Read https://a.example/x and https://a.example/x, or www.b.example? Done.",
            "link_attachment_url": "https://c.example"
        }));
        let f = of(&m);
        assert_eq!(f.link_count, 3);
        assert!(f.has_question);
        assert_eq!(f.text_len, m.text.as_ref().unwrap().chars().count() as i64);
    }

    #[test]
    fn recognises_reposts_quotes_and_carousels() {
        let repost = of(&media(
            serde_json::json!({"id": "1", "media_type": "REPOST_FACADE", "reposted_post": {"id": "9"}}),
        ));
        assert!(repost.is_repost);
        let quote = of(&media(
            serde_json::json!({"id": "2", "media_type": "TEXT_POST", "is_quote_post": true, "quoted_post": {"id": "8"}}),
        ));
        assert!(quote.is_quote && !quote.is_repost);
        let carousel = of(&media(
            serde_json::json!({"id": "3", "media_type": "CAROUSEL_ALBUM", "children": {"data": [{"id": "a"}, {"id": "b"}]}}),
        ));
        assert_eq!(carousel.carousel_size, 2);
    }
}
