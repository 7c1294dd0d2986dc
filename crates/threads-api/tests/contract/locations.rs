//! Location search against the sandbox's fixed table of places.

use threads_api::{ErrorClass, LocationQuery};

use crate::helpers::{assert_class, invalid, spawn};

#[tokio::test]
async fn location_search_by_name_returns_every_documented_field() {
    let h = spawn().await;
    let me = h.session(h.creator(0));
    let places = me
        .location_search(&LocationQuery::named("lisbon"))
        .await
        .unwrap();
    assert_eq!(places.len(), 3);
    for p in &places {
        assert_eq!(p.city.as_deref(), Some("Lisbon"));
        assert_eq!(p.country.as_deref(), Some("PT"));
        assert!(p.name.is_some() && p.address.is_some() && p.postal_code.is_some());
        assert!(p.latitude.is_some() && p.longitude.is_some());
    }
}

#[tokio::test]
async fn location_search_by_position_is_nearest_first_and_stays_local() {
    let h = spawn().await;
    let me = h.session(h.creator(0));
    // Beside the Berlin photo lab.
    let places = me
        .location_search(&LocationQuery::near(52.5011, 13.4179))
        .await
        .unwrap();
    let names: Vec<_> = places.iter().filter_map(|p| p.name.as_deref()).collect();
    assert_eq!(names, ["Berlin Photo Lab", "Kreuzberg Running Track"]);
    let narrowed = me
        .location_search(&LocationQuery::near(52.5011, 13.4179).query("running"))
        .await
        .unwrap();
    assert_eq!(narrowed.len(), 1);
    assert!(
        me.location_search(&LocationQuery::near(0.0, 0.0))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn location_search_needs_its_scope_and_valid_input() {
    let h = spawn().await;
    let basic = h.session_with(&h.client(), h.creator(0), &["threads_basic"]);
    let err = basic
        .location_search(&LocationQuery::named("tokyo"))
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Permission);
    let err = h
        .session(h.creator(0))
        .location_search(&LocationQuery::near(120.0, 0.0))
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
}

#[tokio::test]
async fn location_searches_are_counted_in_the_quota_and_stop_at_500() {
    let h = spawn().await;
    let me = h.session(h.creator(3));
    for _ in 0..500 {
        me.location_search(&LocationQuery::named("tokyo"))
            .await
            .unwrap();
    }
    let usage = me
        .publishing_limit_fields(&["location_search_quota_usage", "location_search_config"])
        .await
        .unwrap();
    assert_eq!(usage.location_search_quota_usage, Some(500));
    let err = me
        .location_search(&LocationQuery::named("tokyo"))
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::QuotaExhausted);
}
