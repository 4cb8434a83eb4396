//! Database connection: one pool per process, tuned per engine. SQLite runs
//! in WAL mode with foreign keys enforced and a busy timeout, so concurrent
//! readers never block the writer and a briefly held lock waits instead of
//! failing.

pub mod entities;
pub mod scopes;
pub mod write;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlxSqliteConnector};

use super::config::database_kind_of;
use crate::views::system::DatabaseKind;

/// How long a SQLite connection waits for a lock before giving up.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the pool for `url` (SQLite file created if missing).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    match database_kind_of(url) {
        Some(DatabaseKind::Postgres) => {
            let mut options = ConnectOptions::new(url.to_owned());
            options
                .max_connections(16)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            Database::connect(options).await
        }
        Some(DatabaseKind::Sqlite) | None => connect_sqlite(url).await,
    }
}

async fn connect_sqlite(url: &str) -> Result<DatabaseConnection, DbErr> {
    let options: SqliteConnectOptions = url
        .parse()
        .map_err(|err| DbErr::Custom(format!("invalid SQLite URL: {err}")))?;
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|err| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err.into())))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Which engine an open connection talks to.
pub fn kind_of(db: &DatabaseConnection) -> DatabaseKind {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => DatabaseKind::Postgres,
        _ => DatabaseKind::Sqlite,
    }
}
