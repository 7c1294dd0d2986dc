//! A query-string extractor whose failures use our error shape and name the offending parameter.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Like `axum::extract::Query`, but a bad parameter is a 422 naming it (`{"fields": {"count":
/// ...}}`) instead of a plain-text 400.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Reads a query string as `T`.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = match message
            .strip_prefix("missing field `")
            .or_else(|| message.strip_prefix("duplicate field `"))
        {
            Some(rest) => rest.split('`').next().unwrap_or_default().to_owned(),
            None if path == "." => "query".to_owned(),
            None => path,
        };
        AppError::field(&field, format!("{field}: {message}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Paging {
        count: Option<u32>,
        #[expect(dead_code, reason = "the field exists to be deserialised")]
        to: Option<String>,
    }

    fn field(e: AppError) -> String {
        match e {
            AppError::Validation { fields, .. } => fields.into_keys().collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn names_the_parameter_that_is_wrong() {
        assert_eq!(parse::<Paging>("count=7").unwrap().count, Some(7));
        assert_eq!(field(parse::<Paging>("count=seven").unwrap_err()), "count");
        assert_eq!(field(parse::<Paging>("to=a&to=b").unwrap_err()), "to");
        assert_eq!(
            field(parse::<Paging>("count=99999999999").unwrap_err()),
            "count"
        );
    }
}
