//! Support black-box tests.
