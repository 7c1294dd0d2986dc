//! Contract tests: the client against the sandbox over real HTTP.
//!
//! Each test starts its own sandbox on 127.0.0.1:0 with a frozen clock, drives it with the
//! client, and checks the answers against the sandbox's ground truth (`/_sandbox/truth`).
//! Fault tests use fixed seeds; time moves only when a test advances the sandbox clock.

mod clock;
mod discovery;
mod errors;
mod faults;
mod helpers;
mod locations;
mod oauth;
mod profiles;
mod props;
mod reads;
mod writes;
