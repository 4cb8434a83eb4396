//! `printer_files`: what PrintStash uploaded to each printer, by name and
//! SHA-256, so the printer's file list links back to vault revisions.

use sea_orm::entity::prelude::*;

/// One uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "printer_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub printer_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub remote_name: String,
    pub sha256: String,
    pub file_id: i32,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
