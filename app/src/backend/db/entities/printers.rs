//! `printers`: a configured printer; its API key or access code is stored
//! encrypted (`secret_ciphertext`, see `backend::crypto`).

use sea_orm::entity::prelude::*;

/// One printer row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "printers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// `moonraker` or `bambu`.
    pub provider: String,
    pub host: String,
    pub port: Option<i32>,
    pub serial: Option<String>,
    pub secret_ciphertext: Option<String>,
    pub enabled: bool,
    pub model: Option<String>,
    pub nozzle_diameter_mm: Option<f64>,
    pub bed_x_mm: Option<f64>,
    pub bed_y_mm: Option<f64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
