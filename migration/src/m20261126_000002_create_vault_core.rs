//! The vault core: users (attribution only), collections, blobs, models,
//! files (artifacts and revisions), file metadata, tags and durable jobs,
//! with an index for every browse sort and filter.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Username, 64))
                    .col(string_len(Users::DisplayName, 128))
                    .col(boolean(Users::IsAdmin).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Collections::Table)
                    .col(pk_auto(Collections::Id))
                    .col(string_len(Collections::Name, 200))
                    .col(integer_null(Collections::ParentId))
                    .col(timestamp_with_time_zone(Collections::CreatedAt))
                    .col(timestamp_with_time_zone(Collections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Collections::Table, Collections::ParentId)
                            .to(Collections::Table, Collections::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_collections_parent")
                    .table(Collections::Table)
                    .col(Collections::ParentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Blobs::Table)
                    .col(pk_auto(Blobs::Id))
                    .col(string_len_uniq(Blobs::Sha256, 64))
                    .col(big_integer(Blobs::SizeBytes))
                    .col(string_len(Blobs::StorageKey, 255))
                    .col(integer(Blobs::RefCount).default(0))
                    .col(timestamp_with_time_zone(Blobs::CreatedAt))
                    .col(timestamp_with_time_zone(Blobs::UnreferencedSince).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_blobs_unreferenced")
                    .table(Blobs::Table)
                    .col(Blobs::RefCount)
                    .col(Blobs::UnreferencedSince)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Models::Table)
                    .col(pk_auto(Models::Id))
                    .col(string_len(Models::Name, 255))
                    .col(text(Models::Description).default(""))
                    .col(string_len_uniq(Models::IdentityHash, 64))
                    .col(string_len(Models::IdentityKind, 16))
                    .col(integer_null(Models::CollectionId))
                    .col(integer_null(Models::ThumbnailFileId))
                    .col(big_integer(Models::TotalSizeBytes).default(0))
                    .col(big_integer_null(Models::PrintTimeS))
                    .col(boolean(Models::HasGcode).default(false))
                    .col(integer_null(Models::CreatedBy))
                    .col(timestamp_with_time_zone(Models::CreatedAt))
                    .col(timestamp_with_time_zone(Models::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Models::DeletedAt))
                    .col(integer_null(Models::DeletedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Models::Table, Models::CollectionId)
                            .to(Collections::Table, Collections::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Models::Table, Models::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Models::Table, Models::DeletedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_models_live_name",
                vec![Models::DeletedAt, Models::Name, Models::Id],
            ),
            (
                "ix_models_live_created",
                vec![Models::DeletedAt, Models::CreatedAt, Models::Id],
            ),
            (
                "ix_models_live_updated",
                vec![Models::DeletedAt, Models::UpdatedAt, Models::Id],
            ),
            (
                "ix_models_live_size",
                vec![Models::DeletedAt, Models::TotalSizeBytes, Models::Id],
            ),
            (
                "ix_models_live_print_time",
                vec![Models::DeletedAt, Models::PrintTimeS, Models::Id],
            ),
            (
                "ix_models_collection",
                vec![Models::CollectionId, Models::DeletedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Models::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(pk_auto(Files::Id))
                    .col(integer(Files::ModelId))
                    .col(integer(Files::BlobId))
                    .col(integer(Files::Version))
                    .col(string_len(Files::Kind, 16))
                    .col(string_len(Files::OriginalFilename, 255))
                    .col(big_integer(Files::SizeBytes))
                    .col(string_len(Files::Sha256, 64))
                    .col(string_len_null(Files::MeshSha256, 64))
                    .col(string_len_null(Files::RevisionLabel, 200))
                    .col(string_len_null(Files::RevisionStatus, 16))
                    .col(text(Files::RevisionNotes).default(""))
                    .col(boolean(Files::IsRecommended).default(false))
                    .col(string_len_null(Files::ThumbnailKey, 255))
                    .col(string_len_null(Files::ThumbnailGridKey, 255))
                    .col(text_null(Files::ProcessingError))
                    .col(integer_null(Files::UploadedBy))
                    .col(timestamp_with_time_zone(Files::CreatedAt))
                    .col(timestamp_with_time_zone_null(Files::DeletedAt))
                    .col(integer_null(Files::DeletedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Files::Table, Files::ModelId)
                            .to(Models::Table, Models::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Files::Table, Files::BlobId)
                            .to(Blobs::Table, Blobs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Files::Table, Files::UploadedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_files_model_version")
                    .table(Files::Table)
                    .col(Files::ModelId)
                    .col(Files::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_files_sha256")
                    .table(Files::Table)
                    .col(Files::Sha256)
                    .to_owned(),
            )
            .await?;
        // At most one recommended live revision per model, enforced by the
        // database as well as by the service (DESIGN §3).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_files_one_recommended ON files (model_id) \
                 WHERE is_recommended AND deleted_at IS NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FileMetadata::Table)
                    .col(integer(FileMetadata::FileId).primary_key())
                    .col(string_len_null(FileMetadata::SlicerName, 64))
                    .col(string_len_null(FileMetadata::SlicerVersion, 64))
                    .col(string_len_null(FileMetadata::PrinterModel, 128))
                    .col(double_null(FileMetadata::NozzleDiameterMm))
                    .col(double_null(FileMetadata::LayerHeightMm))
                    .col(double_null(FileMetadata::FirstLayerHeightMm))
                    .col(double_null(FileMetadata::InfillPercent))
                    .col(integer_null(FileMetadata::WallLoops))
                    .col(integer_null(FileMetadata::TopShellLayers))
                    .col(integer_null(FileMetadata::BottomShellLayers))
                    .col(boolean_null(FileMetadata::SupportMaterial))
                    .col(double_null(FileMetadata::NozzleTemperatureC))
                    .col(double_null(FileMetadata::BedTemperatureC))
                    .col(big_integer_null(FileMetadata::EstimatedTimeS))
                    .col(double_null(FileMetadata::FilamentWeightG))
                    .col(double_null(FileMetadata::FilamentLengthMm))
                    .col(double_null(FileMetadata::FilamentCost))
                    .col(string_len_null(FileMetadata::MaterialType, 64))
                    .col(string_len_null(FileMetadata::MaterialBrand, 128))
                    .col(double_null(FileMetadata::BboxXMm))
                    .col(double_null(FileMetadata::BboxYMm))
                    .col(double_null(FileMetadata::BboxZMm))
                    .col(double_null(FileMetadata::VolumeMm3))
                    .col(big_integer_null(FileMetadata::TriangleCount))
                    .col(json_null(FileMetadata::Details))
                    .col(json_null(FileMetadata::SlicerConfig))
                    .col(timestamp_with_time_zone(FileMetadata::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FileMetadata::Table, FileMetadata::FileId)
                            .to(Files::Table, Files::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tags::Table)
                    .col(pk_auto(Tags::Id))
                    .col(string_len(Tags::Name, 64))
                    .col(string_len_uniq(Tags::NameKey, 64))
                    .col(timestamp_with_time_zone(Tags::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModelTags::Table)
                    .col(integer(ModelTags::ModelId))
                    .col(integer(ModelTags::TagId))
                    .primary_key(
                        Index::create()
                            .col(ModelTags::ModelId)
                            .col(ModelTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelTags::Table, ModelTags::ModelId)
                            .to(Models::Table, Models::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelTags::Table, ModelTags::TagId)
                            .to(Tags::Table, Tags::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_model_tags_tag")
                    .table(ModelTags::Table)
                    .col(ModelTags::TagId)
                    .col(ModelTags::ModelId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(pk_auto(Jobs::Id))
                    .col(string_len(Jobs::Kind, 32))
                    .col(string_len(Jobs::Status, 16))
                    .col(big_integer(Jobs::ProgressDone).default(0))
                    .col(big_integer(Jobs::ProgressTotal).default(0))
                    .col(text(Jobs::Message).default(""))
                    .col(text_null(Jobs::Error))
                    .col(json_null(Jobs::Payload))
                    .col(json_null(Jobs::Result))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer_null(Jobs::CreatedBy))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Jobs::Table.into_iden(),
            ModelTags::Table.into_iden(),
            Tags::Table.into_iden(),
            FileMetadata::Table.into_iden(),
            Files::Table.into_iden(),
            Models::Table.into_iden(),
            Blobs::Table.into_iden(),
            Collections::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    IsAdmin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Collections {
    Table,
    Id,
    Name,
    ParentId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Id,
    Sha256,
    SizeBytes,
    StorageKey,
    RefCount,
    CreatedAt,
    UnreferencedSince,
}

#[derive(DeriveIden)]
enum Models {
    Table,
    Id,
    Name,
    Description,
    IdentityHash,
    IdentityKind,
    CollectionId,
    ThumbnailFileId,
    TotalSizeBytes,
    PrintTimeS,
    HasGcode,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    DeletedBy,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    ModelId,
    BlobId,
    Version,
    Kind,
    OriginalFilename,
    SizeBytes,
    Sha256,
    MeshSha256,
    RevisionLabel,
    RevisionStatus,
    RevisionNotes,
    IsRecommended,
    ThumbnailKey,
    ThumbnailGridKey,
    ProcessingError,
    UploadedBy,
    CreatedAt,
    DeletedAt,
    DeletedBy,
}

#[derive(DeriveIden)]
enum FileMetadata {
    Table,
    FileId,
    SlicerName,
    SlicerVersion,
    PrinterModel,
    NozzleDiameterMm,
    LayerHeightMm,
    FirstLayerHeightMm,
    InfillPercent,
    WallLoops,
    TopShellLayers,
    BottomShellLayers,
    SupportMaterial,
    NozzleTemperatureC,
    BedTemperatureC,
    EstimatedTimeS,
    FilamentWeightG,
    FilamentLengthMm,
    FilamentCost,
    MaterialType,
    MaterialBrand,
    BboxXMm,
    BboxYMm,
    BboxZMm,
    VolumeMm3,
    TriangleCount,
    Details,
    SlicerConfig,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    Name,
    NameKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ModelTags {
    Table,
    ModelId,
    TagId,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Status,
    ProgressDone,
    ProgressTotal,
    Message,
    Error,
    Payload,
    Result,
    Attempts,
    CreatedBy,
    CreatedAt,
    StartedAt,
    FinishedAt,
}
