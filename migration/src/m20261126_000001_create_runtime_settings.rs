//! The runtime settings overlay (ADR 0002): admin-changed values that take
//! precedence over the frozen `VAULT_*` settings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RuntimeSettings::Table)
                    .if_not_exists()
                    .col(string(RuntimeSettings::Key).primary_key())
                    .col(json(RuntimeSettings::Value))
                    .col(timestamp_with_time_zone(RuntimeSettings::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RuntimeSettings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RuntimeSettings {
    Table,
    Key,
    Value,
    UpdatedAt,
}
