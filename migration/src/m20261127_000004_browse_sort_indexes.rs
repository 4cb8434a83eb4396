//! Partial indexes over live models, one per browse sort, keyed exactly like
//! the browse service's ORDER BY: `lower(name)` and `coalesce(print_time_s,
//! -1)` (so keyset pagination is total) included. They replace the
//! `(deleted_at, key, id)` indexes of the core migration: PostgreSQL does not
//! treat `deleted_at IS NULL` as an equality, so it could not read those in
//! sort order and sorted all 100 k rows for a first page; SQLite could not
//! use them for the two expression sorts. Both engines accept the same DDL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (new partial index, its key, the core index it replaces, that one's columns)
const SORT_INDEXES: [(&str, &str, &str, &str); 5] = [
    (
        "ix_live_models_by_created",
        "created_at, id",
        "ix_models_live_created",
        "deleted_at, created_at, id",
    ),
    (
        "ix_live_models_by_updated",
        "updated_at, id",
        "ix_models_live_updated",
        "deleted_at, updated_at, id",
    ),
    (
        "ix_live_models_by_name",
        "lower(name), id",
        "ix_models_live_name",
        "deleted_at, name, id",
    ),
    (
        "ix_live_models_by_size",
        "total_size_bytes, id",
        "ix_models_live_size",
        "deleted_at, total_size_bytes, id",
    ),
    (
        "ix_live_models_by_print_time",
        "coalesce(print_time_s, -1), id",
        "ix_models_live_print_time",
        "deleted_at, print_time_s, id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for (name, key, old, _) in SORT_INDEXES {
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {old}"))
                .await?;
            conn.execute_unprepared(&format!(
                "CREATE INDEX {name} ON models ({key}) WHERE deleted_at IS NULL"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for (name, _, old, old_columns) in SORT_INDEXES {
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
            conn.execute_unprepared(&format!("CREATE INDEX {old} ON models ({old_columns})"))
                .await?;
        }
        Ok(())
    }
}
