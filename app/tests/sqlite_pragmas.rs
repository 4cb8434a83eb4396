//! The SQLite pool is tuned as promised: WAL journal, foreign keys on, and a
//! busy timeout on every connection.

mod support;

use sea_orm::{ConnectionTrait, Statement};
use support::{Engine, TestDb};

async fn pragma(db: &sea_orm::DatabaseConnection, name: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("PRAGMA {name}"),
        ))
        .await
        .expect("pragma query")
        .expect("pragma row");
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .expect("pragma value")
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout() {
    let test = TestDb::empty(Engine::Sqlite)
        .await
        .expect("SQLite is always available");
    assert_eq!(pragma(&test.db, "journal_mode").await, "wal");
    assert_eq!(pragma(&test.db, "foreign_keys").await, "1");
    let timeout_ms: u64 = pragma(&test.db, "busy_timeout")
        .await
        .parse()
        .expect("number");
    assert_eq!(
        timeout_ms,
        app::backend::db::SQLITE_BUSY_TIMEOUT.as_millis() as u64
    );
    test.finish().await;
}
