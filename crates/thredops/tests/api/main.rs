//! Black-box tests: a real server on a loopback port, driven over HTTP.

mod helpers;

mod auth;
mod cli;
mod csrf;
mod ops;
mod pages;
mod tokens;
