//! `jobs`: durable background work (ingestion, thumbnail rebuilds, trash
//! expiry, GC) with status and progress that survive restarts.

use sea_orm::entity::prelude::*;

/// One job row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub progress_done: i64,
    pub progress_total: i64,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub payload: Option<Json>,
    pub result: Option<Json>,
    pub attempts: i32,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
