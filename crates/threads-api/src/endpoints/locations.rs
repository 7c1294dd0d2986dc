//! `GET /location_search` (§5.3): places to tag in a post's `location_id`.
//!
//! Needs `threads_location_tagging`; Meta allows 500 searches per 24 h, whose usage
//! [`Session::publishing_limit`] reports as `location_search_quota_usage`.

use reqwest::Method;

use crate::error::Result;
use crate::models::{LOCATION_FIELDS, Location};
use crate::paging::Page;
use crate::session::Session;
use crate::validation::ValidationError;

/// What to search for: a name, a position, or a name near a position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationQuery {
    query: Option<String>,
    point: Option<(f64, f64)>,
}

impl LocationQuery {
    /// Places whose name (or city) contains `query`.
    pub fn named(query: impl Into<String>) -> Self {
        Self {
            query: Some(query.into()),
            point: None,
        }
    }

    /// Places near a position, nearest first.
    pub fn near(latitude: f64, longitude: f64) -> Self {
        Self {
            query: None,
            point: Some((latitude, longitude)),
        }
    }

    /// Narrows a position search to places named `query`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    fn to_pairs(&self) -> std::result::Result<Vec<(String, String)>, ValidationError> {
        let query = self
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty());
        if query.is_none() && self.point.is_none() {
            return Err(ValidationError::MissingParam("query or latitude/longitude"));
        }
        let mut pairs = vec![("fields".to_owned(), LOCATION_FIELDS.join(","))];
        if let Some(q) = query {
            pairs.push(("query".to_owned(), q.to_owned()));
        }
        if let Some((lat, lon)) = self.point {
            if !(lat.is_finite() && lat.abs() <= 90.0) {
                return Err(ValidationError::OutOfRange("latitude"));
            }
            if !(lon.is_finite() && lon.abs() <= 180.0) {
                return Err(ValidationError::OutOfRange("longitude"));
            }
            pairs.push(("latitude".to_owned(), lat.to_string()));
            pairs.push(("longitude".to_owned(), lon.to_string()));
        }
        Ok(pairs)
    }
}

impl Session {
    /// `GET /location_search`: matching places (Meta returns one page).
    pub async fn location_search(&self, query: &LocationQuery) -> Result<Vec<Location>> {
        let call = self
            .call(Method::GET, &["location_search"])
            .queries(query.to_pairs()?);
        let page: Page<Location> = self.client().call(&call).await?;
        Ok(page.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_needs_a_name_or_a_valid_position() {
        assert!(matches!(
            LocationQuery::default().to_pairs(),
            Err(ValidationError::MissingParam(_))
        ));
        assert_eq!(
            LocationQuery::near(91.0, 0.0).to_pairs(),
            Err(ValidationError::OutOfRange("latitude"))
        );
        assert_eq!(
            LocationQuery::near(0.0, f64::NAN).to_pairs(),
            Err(ValidationError::OutOfRange("longitude"))
        );
        assert!(LocationQuery::named("cafe").to_pairs().is_ok());
    }
}
