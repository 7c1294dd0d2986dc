//! Support API (being built).

use super::registry::Endpoint;

pub fn endpoints() -> Vec<Endpoint> {
    Vec::new()
}
