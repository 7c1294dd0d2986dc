//! Discovery endpoints against the sandbox's public profiles: keyword search and mentions.

use futures_util::TryStreamExt;

use threads_api::{
    ErrorClass, KeywordSearchQuery, ListQuery, MediaType, SearchMediaType, SearchMode, SearchType,
};

use crate::helpers::{assert_class, invalid, spawn};

#[tokio::test]
async fn keyword_search_finds_public_posts_containing_the_keyword() {
    let h = spawn().await;
    let me = h.session(h.creator(0));
    let hits = me
        .keyword_search(&KeywordSearchQuery::new("Coffee").limit(100))
        .await
        .unwrap();
    assert!(!hits.is_empty());
    let creators: Vec<String> = h
        .sandbox
        .creators()
        .into_iter()
        .map(|c| c.username)
        .collect();
    for m in &hits {
        let text = m.text.as_deref().expect("text");
        assert!(text.to_lowercase().contains("coffee"), "{text}");
        let author = m.username.as_deref().expect("username");
        assert!(
            !creators.iter().any(|c| c == author),
            "{author} is a creator"
        );
        assert!(m.owner.is_none(), "owner is for one's own posts only");
        assert!(m.permalink.is_some() && m.timestamp.is_some());
    }
}

#[tokio::test]
async fn recent_tag_search_is_newest_first_and_matches_the_tag() {
    let h = spawn().await;
    let me = h.session(h.creator(0));
    let query = KeywordSearchQuery::new("#travel")
        .mode(SearchMode::Tag)
        .search_type(SearchType::Recent)
        .limit(100);
    let hits = me.keyword_search(&query).await.unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|m| m.topic_tag.as_deref() == Some("travel"))
    );
    let times: Vec<_> = hits
        .iter()
        .map(|m| m.timestamp.expect("timestamp"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[tokio::test]
async fn keyword_search_filters_by_media_type_author_and_limit() {
    let h = spawn().await;
    let me = h.session(h.creator(0));
    let images = me
        .keyword_search(
            &KeywordSearchQuery::new("on")
                .media_type(SearchMediaType::Image)
                .limit(100),
        )
        .await
        .unwrap();
    assert!(!images.is_empty());
    assert!(
        images
            .iter()
            .all(|m| m.media_type == Some(MediaType::Image))
    );
    let author = images[0].username.clone().expect("username");
    let theirs = me
        .keyword_search(
            &KeywordSearchQuery::new("on")
                .author_username(&author)
                .limit(100),
        )
        .await
        .unwrap();
    assert!(
        theirs
            .iter()
            .all(|m| m.username.as_deref() == Some(author.as_str()))
    );
    let three = me
        .keyword_search(&KeywordSearchQuery::new("on").limit(3))
        .await
        .unwrap();
    assert_eq!(three.len(), 3);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_search_answers_and_creators_are_untouched() {
    let (a, b) = (spawn().await, spawn().await);
    let before = a.sandbox.creators();
    let query = KeywordSearchQuery::new("running").limit(100);
    let ids = |v: Vec<threads_api::Media>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let from_a = ids(a
        .session(a.creator(0))
        .keyword_search(&query)
        .await
        .unwrap());
    let from_b = ids(b
        .session(b.creator(0))
        .keyword_search(&query)
        .await
        .unwrap());
    assert!(!from_a.is_empty());
    assert_eq!(from_a, from_b);
    let after = a.sandbox.creators();
    assert_eq!(before.len(), after.len());
    for (x, y) in before.iter().zip(&after) {
        assert_eq!(
            (x.user_id, x.posts_count, x.followers_count),
            (y.user_id, y.posts_count, y.followers_count)
        );
    }
}

#[tokio::test]
async fn keyword_search_needs_its_scope_and_a_query() {
    let h = spawn().await;
    let user = h.creator(0);
    let basic = h.session_with(&h.client(), user, &["threads_basic"]);
    let err = basic
        .keyword_search(&KeywordSearchQuery::new("coffee"))
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Permission);
    let err = h
        .session(user)
        .keyword_search(&KeywordSearchQuery::new(" "))
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
}

#[tokio::test]
async fn keyword_search_allows_2200_queries_a_day_and_empty_ones_are_free() {
    let h = spawn().await;
    let me = h.session(h.creator(1));
    let hit = KeywordSearchQuery::new("coffee").limit(1);
    let miss = KeywordSearchQuery::new("no-such-word-anywhere");
    for _ in 0..2_200 {
        me.keyword_search(&hit).await.unwrap();
    }
    // Searches that find nothing still answer: they never count.
    assert!(me.keyword_search(&miss).await.unwrap().is_empty());
    let err = me.keyword_search(&hit).await.unwrap_err();
    assert_class(&err, &ErrorClass::QuotaExhausted);
    h.advance(std::time::Duration::from_secs(86_401));
    me.keyword_search(&hit).await.unwrap();
}

/// The creator the most public posts mention, with those posts (one page of 100).
async fn most_mentioned(h: &crate::helpers::Harness) -> (usize, Vec<threads_api::Media>) {
    let mut best = (0, Vec::new());
    for i in 0..h.sandbox.creators().len() {
        let page: Vec<_> = h
            .session(h.creator(i))
            .mentions(&ListQuery::new().limit(100))
            .try_collect()
            .await
            .unwrap();
        if page.len() > best.1.len() {
            best = (i, page);
        }
    }
    best
}

#[tokio::test]
async fn mentions_are_public_posts_naming_the_user_newest_first_across_pages() {
    let h = spawn().await;
    let (index, all) = most_mentioned(&h).await;
    assert!(all.len() > 3, "only {} mentions", all.len());
    let username = h.sandbox.creators()[index].username.clone();
    for m in &all {
        let text = m.text.as_deref().expect("text");
        assert!(text.contains(&format!("@{username}")), "{text}");
        assert_ne!(m.username.as_deref(), Some(username.as_str()));
    }
    let times: Vec<_> = all
        .iter()
        .map(|m| m.timestamp.expect("timestamp"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // Walking two at a time gives the same posts in the same order.
    let paged: Vec<_> = h
        .session(h.creator(index))
        .mentions(&ListQuery::new().limit(2))
        .try_collect()
        .await
        .unwrap();
    let ids = |v: &[threads_api::Media]| v.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&all));
}

#[tokio::test]
async fn mentions_need_their_scope() {
    let h = spawn().await;
    let basic = h.session_with(&h.client(), h.creator(0), &["threads_basic"]);
    let err = basic
        .mentions(&ListQuery::new())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Permission);
}

#[tokio::test]
async fn creators_added_before_the_first_search_do_not_change_the_answers() {
    let (a, b) = (spawn().await, spawn().await);
    a.add_creator(threads_sandbox::CreatorTraits {
        username: Some("late.arrival".to_owned()),
        ..Default::default()
    });
    let query = KeywordSearchQuery::new("Inspired by").limit(100);
    let texts = |v: Vec<threads_api::Media>| v.into_iter().map(|m| m.text).collect::<Vec<_>>();
    let from_a = texts(
        a.session(a.creator(0))
            .keyword_search(&query)
            .await
            .unwrap(),
    );
    let from_b = texts(
        b.session(b.creator(0))
            .keyword_search(&query)
            .await
            .unwrap(),
    );
    assert!(!from_a.is_empty());
    assert_eq!(from_a, from_b);
}

#[tokio::test]
async fn a_search_result_reads_back_by_its_id() {
    let h = spawn().await;
    let me = h.session(h.creator(0));
    let hit = me
        .keyword_search(&KeywordSearchQuery::new("coffee").limit(1))
        .await
        .unwrap()
        .remove(0);
    let media = me.media(&hit.id).await.unwrap();
    assert_eq!(media.text, hit.text);
    assert_eq!(media.username, hit.username);
    assert_eq!(media.permalink, hit.permalink);
    assert!(media.owner.is_none());
}
