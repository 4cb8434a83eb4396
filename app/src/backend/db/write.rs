//! Write transactions that cannot fail with "database is locked".
//!
//! SQLite allows one writer at a time. A deferred transaction that read first
//! and then tries to write while another connection committed gets
//! `SQLITE_BUSY_SNAPSHOT` (517) at once — the busy timeout does not help
//! there. So on SQLite every write transaction first takes the process-wide
//! [`WriteGate`] (so they queue in the process, not in SQLite's sleep-and-retry
//! loop) and then begins `IMMEDIATE`: it takes SQLite's write lock up front,
//! waiting under the busy timeout for single-statement writes made outside the
//! gate (job bookkeeping), and reads a snapshot no one can invalidate. Readers
//! never wait for either (WAL). On PostgreSQL the gate is a no-op and row
//! locks do the work.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::views::system::DatabaseKind;

/// Serialises write transactions on SQLite; free on PostgreSQL.
#[derive(Clone, Debug, Default)]
pub struct WriteGate(Option<Arc<Mutex<()>>>);

impl WriteGate {
    /// The gate appropriate for `kind`.
    pub fn for_kind(kind: DatabaseKind) -> Self {
        match kind {
            DatabaseKind::Sqlite => Self(Some(Arc::new(Mutex::new(())))),
            DatabaseKind::Postgres => Self(None),
        }
    }
}

/// An open write transaction holding the gate until commit or drop (rollback).
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

impl WriteTxn {
    /// Commits and releases the gate.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

/// Takes the gate (SQLite) and begins a transaction.
pub async fn begin_write(db: &DatabaseConnection, gate: &WriteGate) -> Result<WriteTxn, DbErr> {
    let guard = match &gate.0 {
        Some(mutex) => Some(Arc::clone(mutex).lock_owned().await),
        None => None,
    };
    let txn = if guard.is_some() {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?
    } else {
        db.begin().await?
    };
    Ok(WriteTxn { txn, _gate: guard })
}
