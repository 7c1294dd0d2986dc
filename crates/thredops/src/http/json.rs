//! A JSON body extractor whose failures use our error shape and name the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Like `axum::Json`, but a bad body is a 400/413/415/422 in ThredOps' error shape. The body
/// must not be an array: serde would otherwise read a struct from an array of its fields in
/// order (`[null, null]`), which no client means.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

/// Like [`ApiJson`], for the bodies that are a JSON array of items.
#[derive(Debug, Clone)]
pub struct ApiJsonList<T>(pub Vec<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_body(req, state).await?;
        parse_shaped(&bytes, Shape::Object).map(ApiJson)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJsonList<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_body(req, state).await?;
        parse_shaped(&bytes, Shape::Array).map(ApiJsonList)
    }
}

/// The body's bytes, when it is declared as JSON.
async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
        });
    if !is_json {
        return Err(AppError::UnsupportedMediaType(
            "Send the body as JSON (Content-Type: application/json).",
        ));
    }
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("The request body could not be read.".into())
        }
    })
}

/// The top-level JSON value a body must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Object,
    Array,
}

fn parse_shaped<T: DeserializeOwned>(bytes: &[u8], shape: Shape) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest(format!("The body is not valid JSON: {e}")))?;
    match shape {
        // null stays possible: a few bodies are an optional object (null clears a setting).
        Shape::Object if value.is_array() => Err(AppError::BadRequest(
            "The body must be a JSON object.".into(),
        )),
        Shape::Array if !value.is_array() => Err(AppError::BadRequest(
            "The body must be a JSON array.".into(),
        )),
        _ => from_value(value),
    }
}

/// Reads a parsed body, turning serde's error into a field-level message. Numbers written with a zero
/// fraction (`34.0`) count as the integers they are, as JSON Schema's `integer` says.
fn from_value<T: DeserializeOwned>(mut value: serde_json::Value) -> Result<T, AppError> {
    integral(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::BadRequest(format!("The body is not valid JSON: {inner}"));
        }
        let message = inner.to_string();
        // serde reports a missing field at the parent path; pull the name out of its message.
        let field = match message.strip_prefix("missing field `") {
            Some(rest) => rest.split('`').next().unwrap_or_default().to_owned(),
            None if path == "." => String::new(),
            None => path,
        };
        let cleaned = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        if field.is_empty() {
            AppError::BadRequest(format!(
                "The body does not have the expected shape: {cleaned}"
            ))
        } else {
            AppError::field(&field, cleaned)
        }
    })
}

/// Rewrites floats without a fraction that fit an `i64` as integers.
fn integral(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[expect(dead_code, reason = "the field exists to be deserialised")]
        email: String,
        age: u8,
    }

    fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
        parse_shaped(bytes, Shape::Object)
    }

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation { fields, .. } => fields.into_keys().collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn names_missing_and_mistyped_fields() {
        assert_eq!(
            fields(parse::<Body>(br#"{"age": 3}"#).unwrap_err()),
            ["email"]
        );
        assert_eq!(
            fields(parse::<Body>(br#"{"email": "a", "age": "x"}"#).unwrap_err()),
            ["age"]
        );
    }

    #[test]
    fn whole_numbers_with_a_zero_fraction_are_integers() {
        assert_eq!(
            parse::<Body>(br#"{"email": "a", "age": 34.0}"#)
                .unwrap()
                .age,
            34
        );
        assert_eq!(
            fields(parse::<Body>(br#"{"email": "a", "age": 34.5}"#).unwrap_err()),
            ["age"]
        );
    }

    #[test]
    fn a_struct_is_not_read_from_an_array_of_its_fields() {
        assert!(matches!(
            parse::<Body>(br#"["a", 3]"#).unwrap_err(),
            AppError::BadRequest(_)
        ));
        let slots: Vec<u8> = parse_shaped(b"[1, 2]", Shape::Array).unwrap();
        assert_eq!(slots, [1, 2]);
        assert!(parse_shaped::<Vec<u8>>(br#"{"a": 1}"#, Shape::Array).is_err());
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse::<Body>(b"{not json").unwrap_err(),
            AppError::BadRequest(_)
        ));
    }
}
