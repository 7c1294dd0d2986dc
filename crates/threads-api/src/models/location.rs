//! A place from `GET /location_search` (§5.3 of the reference).

use serde::{Deserialize, Serialize};

use crate::ids::LocationId;

/// Fields requested by [`crate::Session::location_search`].
pub const LOCATION_FIELDS: &[&str] = &[
    "id",
    "name",
    "address",
    "city",
    "country",
    "latitude",
    "longitude",
    "postal_code",
];

/// A taggable place; its id goes into a post's `location_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// The location id.
    pub id: LocationId,
    /// Name of the place.
    pub name: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// Postal code.
    pub postal_code: Option<String>,
}
