//! The JSON context of pages not yet given a view struct: the chrome as a JSON object and a
//! merge of objects. Goes away with the last such page.

use serde_json::{Value, json};

use super::view::Chrome;
use crate::http::session::AuthUser;
use crate::http::state::WebState;

/// The chrome as a JSON object, for pages that still merge a `json!` context into it.
pub fn base(state: &WebState, auth: &AuthUser, active: &str) -> Value {
    json!(Chrome::new(state, auth, active))
}

/// `a` with the fields of `b` added (those of `b` win).
pub fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}
