//! Browse sorts by `lower(name)` and by `coalesce(print_time_s, -1)` (so
//! keyset pagination is total); plain column indexes cannot serve those ORDER
//! BYs, so the first page of a 100 k-model vault sorted by name scanned and
//! sorted every row. These expression indexes match the browse service's sort
//! keys exactly (both engines accept the same DDL).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for sql in [
            "DROP INDEX IF EXISTS ix_models_live_name",
            "DROP INDEX IF EXISTS ix_models_live_print_time",
            "CREATE INDEX ix_models_live_name_key ON models (deleted_at, lower(name), id)",
            "CREATE INDEX ix_models_live_print_time_key \
             ON models (deleted_at, coalesce(print_time_s, -1), id)",
        ] {
            conn.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for sql in [
            "DROP INDEX IF EXISTS ix_models_live_name_key",
            "DROP INDEX IF EXISTS ix_models_live_print_time_key",
            "CREATE INDEX ix_models_live_name ON models (deleted_at, name, id)",
            "CREATE INDEX ix_models_live_print_time ON models (deleted_at, print_time_s, id)",
        ] {
            conn.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
