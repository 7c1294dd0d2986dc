//! Black-box tests over real HTTP on 127.0.0.1:0.

mod discovery;
mod faults;
mod helpers;
mod insights;
mod listing;
mod oauth;
mod publish;
mod replies;
mod routing;
mod webhooks;
