//! `models`: the logical asset ("the thing you printed"), deduplicated by
//! `identity_hash` (canonical mesh SHA-256, or byte SHA-256 for G-code-only
//! models). Soft-deleted through `deleted_at` — query it via `db::scopes` only.

use sea_orm::entity::prelude::*;

/// One model row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "models")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(unique)]
    pub identity_hash: String,
    /// `mesh` or `bytes`.
    pub identity_kind: String,
    pub collection_id: Option<i32>,
    pub thumbnail_file_id: Option<i32>,
    /// Sum of live artifact sizes (denormalised for the size sort).
    pub total_size_bytes: i64,
    /// Print time of the recommended revision (denormalised for the sort).
    pub print_time_s: Option<i64>,
    /// Whether a live G-code artifact exists (denormalised for the filter).
    pub has_gcode: bool,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
