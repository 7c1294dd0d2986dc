//! Analytics black-box tests.
