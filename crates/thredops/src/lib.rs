//! ThredOps: a strategic command centre for creators on Meta's Threads.
//!
//! The binary is a thin shell over [`startup::Application`]; everything else lives here so the
//! black-box tests can start real servers.

pub mod analytics;
pub mod api_tokens;
pub mod app;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod clock;
pub mod competitors;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod error;
pub(crate) mod home;
pub mod http;
pub mod inbox;
pub mod jobs;
pub mod keys;
pub mod listening;
pub mod mail;
pub mod notifications;
pub mod privacy;
pub mod publishing;
pub mod services;
pub mod startup;
pub mod store;
pub mod strategy;
pub mod support;
pub mod sync;
pub mod telemetry;
pub mod threads;
pub mod webhooks;
pub mod workspaces;
