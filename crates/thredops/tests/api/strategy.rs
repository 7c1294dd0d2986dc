//! Strategy black-box tests.
