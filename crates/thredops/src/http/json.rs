//! A JSON body extractor whose failures use our error shape and name the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Like `axum::Json`, but a bad body is a 400/413/415/422 in ThredOps' error shape.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
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
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("The request body could not be read.".into())
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses JSON, turning serde's error into a field-level message. Numbers written with a zero
/// fraction (`34.0`) count as the integers they are, as JSON Schema's `integer` says.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest(format!("The body is not valid JSON: {e}")))?;
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
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse::<Body>(b"{not json").unwrap_err(),
            AppError::BadRequest(_)
        ));
    }
}
