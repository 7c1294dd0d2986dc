//! Privacy black-box tests.
