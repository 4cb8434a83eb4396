//! Printers: their configuration (secrets encrypted at rest), the coarse
//! status snapshot the hub writes, print jobs, and the ledger of files
//! PrintStash put on each printer (matched back to revisions by SHA-256).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Printers::Table)
                    .col(pk_auto(Printers::Id))
                    .col(string_len(Printers::Name, 100))
                    .col(string_len(Printers::Provider, 16))
                    .col(string_len(Printers::Host, 255))
                    .col(integer_null(Printers::Port))
                    .col(string_len_null(Printers::Serial, 64))
                    .col(text_null(Printers::SecretCiphertext))
                    .col(boolean(Printers::Enabled).default(true))
                    .col(string_len_null(Printers::Model, 100))
                    .col(double_null(Printers::NozzleDiameterMm))
                    .col(double_null(Printers::BedXMm))
                    .col(double_null(Printers::BedYMm))
                    .col(timestamp_with_time_zone(Printers::CreatedAt))
                    .col(timestamp_with_time_zone(Printers::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PrinterSnapshots::Table)
                    .col(integer(PrinterSnapshots::PrinterId).primary_key())
                    .col(string_len(PrinterSnapshots::Connection, 16))
                    .col(string_len(PrinterSnapshots::State, 16))
                    .col(double_null(PrinterSnapshots::Progress))
                    .col(string_len_null(PrinterSnapshots::JobName, 255))
                    .col(double_null(PrinterSnapshots::NozzleC))
                    .col(double_null(PrinterSnapshots::BedC))
                    .col(timestamp_with_time_zone_null(PrinterSnapshots::LastSeenAt))
                    .col(text_null(PrinterSnapshots::LastError))
                    .col(timestamp_with_time_zone(PrinterSnapshots::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PrinterSnapshots::Table, PrinterSnapshots::PrinterId)
                            .to(Printers::Table, Printers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PrintJobs::Table)
                    .col(pk_auto(PrintJobs::Id))
                    .col(integer_null(PrintJobs::PrinterId))
                    .col(string_len(PrintJobs::PrinterName, 100))
                    .col(integer(PrintJobs::ModelId))
                    .col(integer(PrintJobs::FileId))
                    .col(integer_null(PrintJobs::UserId))
                    .col(string_len(PrintJobs::RemoteName, 255))
                    .col(string_len(PrintJobs::Sha256, 64))
                    .col(string_len(PrintJobs::State, 16))
                    .col(timestamp_with_time_zone(PrintJobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(PrintJobs::StartedAt))
                    .col(timestamp_with_time_zone_null(PrintJobs::EndedAt))
                    .col(boolean(PrintJobs::OutcomeRecorded).default(false))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PrintJobs::Table, PrintJobs::PrinterId)
                            .to(Printers::Table, Printers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PrintJobs::Table, PrintJobs::ModelId)
                            .to(Models::Table, Models::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PrintJobs::Table, PrintJobs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_print_jobs_printer", PrintJobs::PrinterId),
            ("ix_print_jobs_file", PrintJobs::FileId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PrintJobs::Table)
                        .col(column)
                        .col(PrintJobs::Id)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PrinterFiles::Table)
                    .col(integer(PrinterFiles::PrinterId))
                    .col(string_len(PrinterFiles::RemoteName, 255))
                    .col(string_len(PrinterFiles::Sha256, 64))
                    .col(integer(PrinterFiles::FileId))
                    .col(timestamp_with_time_zone(PrinterFiles::UploadedAt))
                    .primary_key(
                        Index::create()
                            .col(PrinterFiles::PrinterId)
                            .col(PrinterFiles::RemoteName),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PrinterFiles::Table, PrinterFiles::PrinterId)
                            .to(Printers::Table, Printers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PrinterFiles::Table.into_iden(),
            PrintJobs::Table.into_iden(),
            PrinterSnapshots::Table.into_iden(),
            Printers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Printers {
    Table,
    Id,
    Name,
    Provider,
    Host,
    Port,
    Serial,
    SecretCiphertext,
    Enabled,
    Model,
    NozzleDiameterMm,
    BedXMm,
    BedYMm,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PrinterSnapshots {
    Table,
    PrinterId,
    Connection,
    State,
    Progress,
    JobName,
    NozzleC,
    BedC,
    LastSeenAt,
    LastError,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PrintJobs {
    Table,
    Id,
    PrinterId,
    PrinterName,
    ModelId,
    FileId,
    UserId,
    RemoteName,
    Sha256,
    State,
    CreatedAt,
    StartedAt,
    EndedAt,
    OutcomeRecorded,
}

#[derive(DeriveIden)]
enum PrinterFiles {
    Table,
    PrinterId,
    RemoteName,
    Sha256,
    FileId,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Models {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
