//! `printer_snapshots`: the coarse last-known status of each printer, written
//! by the hub so a restart (or the REST list) has something to show.

use sea_orm::entity::prelude::*;

/// One printer's snapshot.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "printer_snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub printer_id: i32,
    pub connection: String,
    pub state: String,
    pub progress: Option<f64>,
    pub job_name: Option<String>,
    pub nozzle_c: Option<f64>,
    pub bed_c: Option<f64>,
    pub last_seen_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
