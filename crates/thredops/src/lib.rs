//! ThredOps: a strategic command centre for creators on Meta's Threads.
//!
//! The binary is a thin shell over [`startup::Application`]; everything else lives here so the
//! black-box tests can start real servers.

pub mod auth;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod services;
pub mod startup;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod threads;
