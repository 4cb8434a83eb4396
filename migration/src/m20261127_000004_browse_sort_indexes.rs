//! Indexes that let every browse sort read its first page in order instead
//! of sorting all live models. The browse service orders by `lower(name)` and
//! `coalesce(print_time_s, -1)` (so keyset pagination is total), which the
//! plain column indexes of the core migration cannot serve, and PostgreSQL
//! does not treat `deleted_at IS NULL` as an equality, so it could not read
//! the core `(deleted_at, key, id)` indexes in key order at all.
//!
//! - SQLite: `(deleted_at, key, id)` with the expression keys. Partial indexes
//!   (`WHERE deleted_at IS NULL`) were measured too: SQLite then drives tag
//!   and search filters from the `IN (…)` list and sorts every match, 3–4×
//!   slower at 100 k models (ADR 0008).
//! - PostgreSQL: partial indexes on `(key, id) WHERE deleted_at IS NULL`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (sort, its key expression, the core index over the plain column)
const SORTS: [(&str, &str, &str); 5] = [
    ("created", "created_at", "created_at"),
    ("updated", "updated_at", "updated_at"),
    ("name", "lower(name)", "name"),
    ("size", "total_size_bytes", "total_size_bytes"),
    ("print_time", "coalesce(print_time_s, -1)", "print_time_s"),
];

/// The core migration's index for `sort`.
fn core_index(sort: &str) -> String {
    format!("ix_models_live_{sort}")
}

/// The index this migration creates for `sort`.
fn sort_index(sort: &str) -> String {
    format!("ix_models_sort_{sort}")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (sort, key, column) in SORTS {
            if !postgres && key == column {
                continue; // the core index already serves a plain-column sort
            }
            let (old, new) = (core_index(sort), sort_index(sort));
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {old}"))
                .await?;
            let sql = if postgres {
                format!("CREATE INDEX {new} ON models ({key}, id) WHERE deleted_at IS NULL")
            } else {
                format!("CREATE INDEX {new} ON models (deleted_at, {key}, id)")
            };
            conn.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for (sort, _, column) in SORTS {
            let (old, new) = (core_index(sort), sort_index(sort));
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {new}"))
                .await?;
            conn.execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {old} ON models (deleted_at, {column}, id)"
            ))
            .await?;
        }
        Ok(())
    }
}
