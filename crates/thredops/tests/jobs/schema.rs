//! The two-backend promise at the schema level: after all migrations, SQLite and PostgreSQL have
//! the same tables, the same columns in each and the same named indexes, so a migration written
//! for one backend only cannot pass unnoticed.

use std::collections::BTreeSet;

use sqlx::Row;
use thredops::store::Pool;

use crate::support::{Backend, TestDb};

/// `table.column` and `index:name` entries of a migrated database.
async fn shape(db: &TestDb) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match db.store.pool_for_tests() {
        Pool::Sqlite(p) => {
            let tables = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for t in tables {
                let table: String = t.get(0);
                let columns = sqlx::query("SELECT name FROM pragma_table_info(?1)")
                    .bind(&table)
                    .fetch_all(p)
                    .await
                    .unwrap();
                for c in columns {
                    out.insert(format!("{table}.{}", c.get::<String, _>(0)));
                }
            }
            let indexes = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for i in indexes {
                out.insert(format!("index:{}", i.get::<String, _>(0)));
            }
        }
        Pool::Postgres(p) => {
            let columns = sqlx::query(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for c in columns {
                out.insert(format!(
                    "{}.{}",
                    c.get::<String, _>(0),
                    c.get::<String, _>(1)
                ));
            }
            // Indexes a migration names (primary keys and UNIQUE constraints are implicit on
            // both backends and named differently).
            let indexes = sqlx::query(
                "SELECT i.indexname::text FROM pg_indexes i \
                 WHERE i.schemaname = 'public' AND i.tablename NOT LIKE '\\_sqlx%' \
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for i in indexes {
                out.insert(format!("index:{}", i.get::<String, _>(0)));
            }
        }
    }
    out
}

#[tokio::test]
async fn sqlite_and_postgresql_have_the_same_tables_columns_and_indexes() {
    let Some(postgres) = TestDb::create(Backend::Postgres).await else {
        eprintln!("skipped: THREDOPS_TEST_DATABASE_URL is not set");
        return;
    };
    let sqlite = TestDb::create(Backend::Sqlite).await.unwrap();
    let (lite, pg) = (shape(&sqlite).await, shape(&postgres).await);
    assert!(lite.iter().any(|e| e == "jobs.lease_owner"), "{lite:?}");
    assert!(lite.iter().any(|e| e.starts_with("index:")), "{lite:?}");
    let only_sqlite: Vec<_> = lite.difference(&pg).collect();
    let only_postgres: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "schemas differ\nonly on SQLite: {only_sqlite:?}\nonly on PostgreSQL: {only_postgres:?}"
    );
}
