//! `GET /api/v1/openapi.json`.

use axum::Json;
use axum::http::Method;
use serde_json::Value;

use super::registry::{Endpoint, openapi};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/openapi.json",
            "This OpenAPI document",
            get_openapi,
        )
        .tag("meta")
        .response(200, "OpenAPI 3.1 document", None),
    ]
}

async fn get_openapi() -> Json<Value> {
    Json(openapi(&super::endpoints(), env!("CARGO_PKG_VERSION")))
}
