//! `blobs`: content-addressed stored bytes with a reference count. A blob
//! whose count dropped to zero records since when, so GC is a query plus a
//! grace period.

use sea_orm::entity::prelude::*;

/// One blob row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub sha256: String,
    pub size_bytes: i64,
    pub storage_key: String,
    pub ref_count: i32,
    pub created_at: DateTimeUtc,
    pub unreferenced_since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
