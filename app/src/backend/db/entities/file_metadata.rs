//! `file_metadata`: what the readers learned about one artifact — typed
//! columns for the common slicer and geometry fields, plus the full slicer
//! config map (for the revision settings diff) and other details as JSON.

use sea_orm::entity::prelude::*;

/// One metadata row (1:1 with `files`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "file_metadata")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub file_id: i32,
    pub slicer_name: Option<String>,
    pub slicer_version: Option<String>,
    pub printer_model: Option<String>,
    pub nozzle_diameter_mm: Option<f64>,
    pub layer_height_mm: Option<f64>,
    pub first_layer_height_mm: Option<f64>,
    pub infill_percent: Option<f64>,
    pub wall_loops: Option<i32>,
    pub top_shell_layers: Option<i32>,
    pub bottom_shell_layers: Option<i32>,
    pub support_material: Option<bool>,
    pub nozzle_temperature_c: Option<f64>,
    pub bed_temperature_c: Option<f64>,
    pub estimated_time_s: Option<i64>,
    pub filament_weight_g: Option<f64>,
    pub filament_length_mm: Option<f64>,
    pub filament_cost: Option<f64>,
    pub material_type: Option<String>,
    pub material_brand: Option<String>,
    pub bbox_x_mm: Option<f64>,
    pub bbox_y_mm: Option<f64>,
    pub bbox_z_mm: Option<f64>,
    pub volume_mm3: Option<f64>,
    pub triangle_count: Option<i64>,
    /// Everything else the readers found (colours, objects, plate, flavour…).
    pub details: Option<Json>,
    /// The slicer's full key → value config.
    pub slicer_config: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
