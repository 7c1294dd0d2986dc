//! Publishing black-box tests.
