//! The API route table. The router and the OpenAPI document are both built from it, so a route
//! cannot exist without documentation.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Value, json};

use crate::http::state::WebState;

/// One documented API operation.
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Full path in axum/OpenAPI template form, e.g. `/api/v1/auth/sessions/{id}`.
    pub path: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Group.
    pub tag: &'static str,
    /// Whether the session cookie is required.
    pub auth: bool,
    /// JSON schema of the request body.
    pub request: Option<Value>,
    /// Optional query parameters: name, schema, description.
    pub queries: Vec<(&'static str, Value, &'static str)>,
    /// Status code -> (description, JSON schema of the body if any).
    pub responses: Vec<(u16, &'static str, Option<Value>)>,
    /// The handler.
    pub handler: MethodRouter<WebState>,
}

impl Endpoint {
    /// An operation served by `handler`.
    pub fn new<H, T>(method: Method, path: &'static str, summary: &'static str, handler: H) -> Self
    where
        H: Handler<T, WebState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        Self {
            method,
            path,
            summary,
            tag: "",
            auth: false,
            request: None,
            queries: Vec::new(),
            responses: Vec::new(),
            handler: on(filter, handler),
        }
    }

    /// Sets the group.
    pub fn tag(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
    }

    /// Requires a signed-in session (401 otherwise).
    pub fn authenticated(mut self) -> Self {
        self.auth = true;
        self.responses.push((
            401,
            "Not signed in, or the session ended",
            Some(error_schema()),
        ));
        self
    }

    /// Documents an optional query parameter.
    pub fn query(mut self, name: &'static str, schema: Value, description: &'static str) -> Self {
        if self.queries.is_empty() {
            self.responses.push((
                422,
                "A parameter is invalid (named in fields)",
                Some(error_schema()),
            ));
        }
        self.queries.push((name, schema, description));
        self
    }

    /// Documents the JSON request body.
    pub fn body(mut self, schema: Value) -> Self {
        self.request = Some(schema);
        self.responses
            .push((422, "A field is invalid", Some(error_schema())));
        self.responses
            .push((400, "The body is not valid JSON", Some(error_schema())));
        self.responses.push((
            415,
            "The body is not sent as JSON (Content-Type: application/json)",
            Some(error_schema()),
        ));
        self
    }

    /// Documents a response.
    pub fn response(
        mut self,
        status: u16,
        description: &'static str,
        schema: Option<Value>,
    ) -> Self {
        self.responses.push((status, description, schema));
        self
    }

    /// Documents the 402 answered when the user's plan does not allow `what`.
    pub fn plan_limited(self, what: &'static str) -> Self {
        self.response(402, what, Some(error_schema()))
    }
}

/// The error body every failure uses.
pub fn error_schema() -> Value {
    json!({"$ref": "#/components/schemas/Error"})
}

/// The JSON Schema of `T`, generated from the type the handler answers with (its doc comments
/// become descriptions), inlined so the document needs no shared definitions.
pub fn schema_of<T: schemars::JsonSchema>() -> Value {
    // Draft 2020-12 is OpenAPI 3.1's dialect; the schema describes what is serialized.
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.contract = schemars::generate::Contract::Serialize;
        })
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(map) = schema.as_object_mut() {
        // The dialect is the document's, and the type's name is not part of the contract.
        map.remove("$schema");
        map.remove("title");
    }
    schema
}

/// A JSON object schema with required string-ish properties.
pub fn object(props: &[(&str, Value)], required: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    json!({"type": "object", "properties": properties, "required": required})
}

/// Schema shorthands.
pub fn string() -> Value {
    json!({"type": "string"})
}

/// A string that is one of `values`.
pub fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// A calendar date, `YYYY-MM-DD`, or empty for none.
pub fn date() -> Value {
    json!({"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"})
}

/// `schema`, or null.
pub fn nullable(mut schema: Value) -> Value {
    if let Some(t) = schema.get("type").cloned() {
        schema["type"] = json!([t, "null"]);
    }
    if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
        values.push(Value::Null);
    }
    schema
}

/// Integer schema.
pub fn integer() -> Value {
    json!({"type": "integer", "format": "int64"})
}

/// Boolean schema.
pub fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// Marks every object of a request schema as closed: request bodies refuse fields they do not
/// know (`deny_unknown_fields`), so a typo is an error rather than a silently ignored field.
fn closed(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(closed);
        }
        Value::Array(items) => items.iter_mut().for_each(closed),
        _ => {}
    }
}

/// Builds the OpenAPI 3.1 document.
pub fn openapi(endpoints: &[Endpoint], version: &str) -> Value {
    let mut paths = serde_json::Map::new();
    for e in endpoints {
        let mut op = json!({
            "summary": e.summary,
            "tags": [e.tag],
            "operationId": format!("{}_{}", e.method.as_str().to_lowercase(), e.path.trim_start_matches("/api/v1/").replace(['/', '{', '}'], "_")),
            "responses": {},
        });
        if e.auth {
            // The same rule the extractor applies decides which operations take API tokens.
            match crate::api_tokens::required_scope(e.method.as_str(), e.path) {
                Some(scope) => {
                    op["security"] =
                        json!([{"sessionCookie": []}, {"bearerToken": [scope.as_str()]}]);
                    op["x-token-scope"] = json!(scope.as_str());
                    op["responses"]["403"] = json!({"description": "The API token lacks the scope this operation needs", "content": {"application/json": {"schema": error_schema()}}});
                    op["responses"]["429"] = json!({"description": "The API token's request budget is spent; Retry-After says for how long", "content": {"application/json": {"schema": error_schema()}}});
                }
                None => op["security"] = json!([{"sessionCookie": []}]),
            }
        }
        if let Some(schema) = &e.request {
            let mut schema = schema.clone();
            closed(&mut schema);
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": schema}}});
        }
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .chain(e.queries.iter().map(|(name, schema, description)| {
                json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
            }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        // A later description of a status wins: routes add the specific ones after the shared.
        for (status, description, schema) in &e.responses {
            let mut r = json!({"description": description});
            if let Some(s) = schema {
                r["content"] = json!({"application/json": {"schema": s}});
            }
            op["responses"][status.to_string()] = r;
        }
        let entry = paths.entry(e.path.to_owned()).or_insert_with(|| json!({}));
        entry[e.method.as_str().to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "ThredOps API", "version": version, "description": "JSON API of ThredOps. Authenticate with the session cookie set by /api/v1/auth/login, or with a personal API token as a bearer token. Errors are {\"error\":{\"code\",\"message\",\"fields\"?}}; a plan limit (402, code plan_limit) also names the limit, the plan and upgrade_url. Outgoing webhooks (the webhooks section) are signed with HMAC-SHA256 and a timestamp, like Stripe's."},
        "paths": paths,
        "webhooks": super::webhooks::outgoing(),
        "components": {
            "securitySchemes": {
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "thredops_session", "description": "Named __Host-thredops_session when served over https."},
                "bearerToken": {"type": "http", "scheme": "bearer", "description": "A personal API token (thr_...), made under Account > API tokens or POST /api/v1/tokens. It acts for its owner within its scopes (listed per operation, and in x-token-scope); account, billing, support and token operations take the session cookie only. 300 requests a minute per token after a burst of 60."}
            },
            "schemas": {"Error": object(&[("error", object(&[("code", string()), ("message", string()), ("fields", json!({"type": "object", "additionalProperties": {"type": "string"}})), ("limit", string()), ("plan", string()), ("upgrade_url", string())], &["code", "message"]))], &["error"])}
        }
    })
}
