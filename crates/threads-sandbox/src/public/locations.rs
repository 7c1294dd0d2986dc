//! The places `/location_search` knows (§5.3): a fixed table, so a search answers the same on
//! every sandbox and a test can name a place without reading any ground truth.

use serde_json::{Map, Value, json};

use crate::errors::{ApiError, ApiResult};

/// Location ids start here, apart from every media and user id range.
const LOCATION_ID_BASE: u64 = 106_000_000_000_000;

/// A taggable place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    /// Position in [`PLACES`]; the id is derived from it.
    pub index: usize,
    /// Name.
    pub name: &'static str,
    /// Street address.
    pub address: &'static str,
    /// City.
    pub city: &'static str,
    /// Country (ISO code).
    pub country: &'static str,
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
    /// Postal code.
    pub postal_code: &'static str,
}

macro_rules! place {
    ($i:expr, $name:expr, $addr:expr, $city:expr, $cc:expr, $lat:expr, $lon:expr, $zip:expr) => {
        Location {
            index: $i,
            name: $name,
            address: $addr,
            city: $city,
            country: $cc,
            latitude: $lat,
            longitude: $lon,
            postal_code: $zip,
        }
    };
}

/// Every known place. Several share a city so a query and a position both find more than one.
pub const PLACES: &[Location] = &[
    place!(
        0,
        "Harbour Coffee Roasters",
        "12 Quay Street",
        "Lisbon",
        "PT",
        38.7071,
        -9.1355,
        "1100-001"
    ),
    place!(
        1,
        "Alfama Lookout",
        "Largo das Portas do Sol",
        "Lisbon",
        "PT",
        38.7118,
        -9.1300,
        "1100-411"
    ),
    place!(
        2,
        "Lisbon Riverside Market",
        "Av. 24 de Julho 49",
        "Lisbon",
        "PT",
        38.7069,
        -9.1459,
        "1200-479"
    ),
    place!(
        3,
        "Canal Ring Bakery",
        "Prinsengracht 210",
        "Amsterdam",
        "NL",
        52.3759,
        4.8838,
        "1016 HD"
    ),
    place!(
        4,
        "Amsterdam Design Hall",
        "Oosterdok 2",
        "Amsterdam",
        "NL",
        52.3713,
        4.9124,
        "1011 VX"
    ),
    place!(
        5,
        "Kreuzberg Running Track",
        "Mehringdamm 32",
        "Berlin",
        "DE",
        52.4934,
        13.3883,
        "10961"
    ),
    place!(
        6,
        "Berlin Photo Lab",
        "Oranienstrasse 25",
        "Berlin",
        "DE",
        52.5010,
        13.4180,
        "10999"
    ),
    place!(
        7,
        "Shibuya Garden Terrace",
        "2-21-1 Shibuya",
        "Tokyo",
        "JP",
        35.6590,
        139.7036,
        "150-0002"
    ),
    place!(
        8,
        "Tokyo Noodle Counter",
        "1-1 Marunouchi",
        "Tokyo",
        "JP",
        35.6812,
        139.7671,
        "100-0005"
    ),
    place!(
        9,
        "Mission Street Tacos",
        "2400 Mission St",
        "San Francisco",
        "US",
        37.7585,
        -122.4189,
        "94110"
    ),
    place!(
        10,
        "Golden Gate Trailhead",
        "Lincoln Blvd",
        "San Francisco",
        "US",
        37.8078,
        -122.4750,
        "94129"
    ),
    place!(
        11,
        "Austin Rust Meetup Space",
        "600 Congress Ave",
        "Austin",
        "US",
        30.2686,
        -97.7428,
        "78701"
    ),
];

impl Location {
    /// The Graph id.
    pub fn id(&self) -> u64 {
        LOCATION_ID_BASE + self.index as u64
    }

    /// Great-circle distance to a point, in kilometres.
    pub fn distance_km(&self, latitude: f64, longitude: f64) -> f64 {
        let (la1, la2) = (self.latitude.to_radians(), latitude.to_radians());
        let dla = la2 - la1;
        let dlo = (longitude - self.longitude).to_radians();
        let a = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        6_371.0 * 2.0 * a.sqrt().asin()
    }

    /// Whether `query` (lowercase) names this place or its city.
    pub fn matches(&self, query: &str) -> bool {
        self.name.to_lowercase().contains(query) || self.city.to_lowercase().contains(query)
    }

    /// Renders the requested fields (`id` by default, as everywhere in Graph).
    pub fn render(&self, fields: &[String]) -> ApiResult<Map<String, Value>> {
        let mut out = Map::new();
        for f in fields {
            let v = match f.as_str() {
                "id" => json!(self.id().to_string()),
                "name" => json!(self.name),
                "address" => json!(self.address),
                "city" => json!(self.city),
                "country" => json!(self.country),
                "latitude" => json!(self.latitude),
                "longitude" => json!(self.longitude),
                "postal_code" => json!(self.postal_code),
                other => return Err(ApiError::nonexisting_field(other)),
            };
            out.insert(f.clone(), v);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_match_positions_and_distances_are_plausible() {
        assert!(PLACES.iter().enumerate().all(|(i, p)| p.index == i));
        let lisbon = &PLACES[0];
        assert!(lisbon.distance_km(38.7071, -9.1355) < 0.001);
        let to_berlin = lisbon.distance_km(52.52, 13.405);
        assert!((2_250.0..2_350.0).contains(&to_berlin), "{to_berlin}");
    }
}
