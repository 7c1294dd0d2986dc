//! HTTP behaviour over a real local server: paging, retries, classification, secrecy.

mod endpoints;
mod oauth;
mod paging;
mod retries;
mod secrets;
mod server;
