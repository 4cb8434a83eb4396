//! `print_jobs`: a revision sent to a printer — who, what, where, when, and
//! how far it got.

use sea_orm::entity::prelude::*;

/// One print job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "print_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub printer_id: Option<i32>,
    pub printer_name: String,
    pub model_id: i32,
    pub file_id: i32,
    pub user_id: Option<i32>,
    pub remote_name: String,
    pub sha256: String,
    /// `uploaded`, `printing`, `complete`, `cancelled` or `failed`.
    pub state: String,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub outcome_recorded: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
