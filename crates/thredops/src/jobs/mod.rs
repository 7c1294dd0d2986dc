//! Durable jobs stored in the database.
