//! Stars: the models a user marked to keep at hand (the library's "Starred"
//! filter and the set the service worker keeps for offline viewing).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ModelStars::Table)
                    .col(integer(ModelStars::UserId))
                    .col(integer(ModelStars::ModelId))
                    .col(timestamp_with_time_zone(ModelStars::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ModelStars::UserId)
                            .col(ModelStars::ModelId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelStars::Table, ModelStars::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelStars::Table, ModelStars::ModelId)
                            .to(Models::Table, Models::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_model_stars_model")
                    .table(ModelStars::Table)
                    .col(ModelStars::ModelId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ModelStars::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ModelStars {
    Table,
    UserId,
    ModelId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Models {
    Table,
    Id,
}
