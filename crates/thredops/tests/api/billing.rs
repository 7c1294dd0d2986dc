//! Billing black-box tests.
