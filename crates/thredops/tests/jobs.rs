//! The durable job runner, each test on SQLite and on PostgreSQL with a fresh database.

#[path = "jobs/running.rs"]
mod running;
#[path = "jobs/support.rs"]
mod support;

#[path = "jobs/concurrency.rs"]
mod concurrency;
#[path = "jobs/leases.rs"]
mod leases;
#[path = "jobs/queue.rs"]
mod queue;
#[path = "jobs/runner.rs"]
mod runner;
#[path = "jobs/schema.rs"]
mod schema;
#[path = "jobs/supervision.rs"]
mod supervision;
