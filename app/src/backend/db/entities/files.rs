//! `files`: artifacts — one stored blob per row with a version unique within
//! its model. G-code artifacts are revisions (label, status, notes,
//! recommended marker). Soft-deleted through `deleted_at` via `db::scopes`.

use sea_orm::entity::prelude::*;

/// One artifact row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub model_id: i32,
    pub blob_id: i32,
    pub version: i32,
    /// `stl`, `obj`, `3mf`, `gcode`, `bgcode` or `gcode_3mf`.
    pub kind: String,
    pub original_filename: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub mesh_sha256: Option<String>,
    pub revision_label: Option<String>,
    /// `needs_test`, `known_good`, `failed`, `archived` (G-code only).
    pub revision_status: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub revision_notes: String,
    pub is_recommended: bool,
    pub thumbnail_key: Option<String>,
    pub thumbnail_grid_key: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub processing_error: Option<String>,
    pub uploaded_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
