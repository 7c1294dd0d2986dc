//! One test per promise of the privacy policy, named after it; docs/privacy.md maps each
//! sentence of the policy to these tests.

mod access;
mod crawl;
mod deletion;
mod meta;
mod retention;
