//! The API keeps its published contract at the edges: a wrong query parameter or an unknown
//! body field is a 422 in the JSON error shape naming it, never a plain-text 400 or a field
//! silently ignored. (CI also drives every operation with schemathesis: `.ci/fuzz-api`.)

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(bad_parameters_and_unknown_fields_are_named_in_the_error_shape);

async fn bad_parameters_and_unknown_fields_are_named_in_the_error_shape(app: TestApp) {
    app.signup("contract@example.com", crate::connect::PASSWORD)
        .await;
    let error = |r: reqwest::Response| async move {
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        r.json::<Value>().await.unwrap()["error"].clone()
    };

    let e = error(app.get("/api/v1/publishing/posts?from=soon&to=later").await).await;
    assert_eq!(e["code"], "validation_failed");
    assert!(
        e["fields"]["from"].as_str().unwrap().contains("from"),
        "{e}"
    );

    let e = error(
        app.get("/api/v1/support/chat/messages?after=99999999999999999999")
            .await,
    )
    .await;
    assert!(e["fields"].get("after").is_some(), "{e}");

    let e = error(
        app.client
            .put(app.url("/api/v1/me/timezone"))
            .json(&json!({"timezone": "Europe/Berlin", "zone": "typo"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `zone`"),
        "{e}"
    );
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(
        me["timezone"],
        Value::Null,
        "nothing saved from a refused body"
    );

    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let list = &doc["paths"]["/api/v1/publishing/posts"]["get"];
    let names: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["from", "to"], "query parameters are documented");
    assert!(list["responses"].get("422").is_some());
    let create = &doc["paths"]["/api/v1/publishing/posts"]["post"];
    assert!(create["responses"].get("415").is_some(), "415 documented");
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["additionalProperties"],
        false
    );
}
