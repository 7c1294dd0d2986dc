//! Migrations are embedded in the binary, one folder per backend with identical names.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

macro_rules! embedded {
    ($dir:literal: $($version:literal $name:literal),* $(,)?) => {
        vec![$(Migration::new(
            $version,
            Cow::Borrowed($name),
            MigrationType::Simple,
            sqlx::SqlStr::from_static(include_str!(concat!("../../migrations/", $dir, "/", $name, ".sql"))),
            false,
        )),*]
    };
}

/// Migrations for SQLite.
pub fn sqlite() -> Migrator {
    Migrator::with_migrations(
        embedded!("sqlite": 1 "0001_accounts", 2 "0002_jobs", 3 "0003_threads", 4 "0004_analytics", 5 "0005_publishing", 6 "0006_privacy", 7 "0007_strategy", 8 "0008_billing", 9 "0009_support", 10 "0010_publishing_quota", 11 "0011_analytics_version", 12 "0012_audit_usage", 13 "0013_job_instances", 14 "0014_meta_callbacks", 15 "0015_account_security", 16 "0016_billing_safety", 17 "0017_support_deletion_requests", 18 "0018_support_agent_names", 19 "0019_support_attachments", 20 "0020_notifications", 21 "0021_publishing_power_tools", 22 "0022_publishing_feeds", 23 "0023_publishing_followups", 24 "0024_publishing_evergreen", 25 "0025_competitors_listening", 26 "0026_inbox", 27 "0027_api_tokens", 28 "0028_webhooks", 29 "0029_workspaces"),
    )
}

/// Migrations for PostgreSQL.
pub fn postgres() -> Migrator {
    Migrator::with_migrations(
        embedded!("postgres": 1 "0001_accounts", 2 "0002_jobs", 3 "0003_threads", 4 "0004_analytics", 5 "0005_publishing", 6 "0006_privacy", 7 "0007_strategy", 8 "0008_billing", 9 "0009_support", 10 "0010_publishing_quota", 11 "0011_analytics_version", 12 "0012_audit_usage", 13 "0013_job_instances", 14 "0014_meta_callbacks", 15 "0015_account_security", 16 "0016_billing_safety", 17 "0017_support_deletion_requests", 18 "0018_support_agent_names", 19 "0019_support_attachments", 20 "0020_notifications", 21 "0021_publishing_power_tools", 22 "0022_publishing_feeds", 23 "0023_publishing_followups", 24 "0024_publishing_evergreen", 25 "0025_competitors_listening", 26 "0026_inbox", 27 "0027_api_tokens", 28 "0028_webhooks", 29 "0029_workspaces"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |m: sqlx::migrate::Migrator| {
            m.iter()
                .map(|x| (x.version, x.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(super::sqlite()), names(super::postgres()));
    }
}
