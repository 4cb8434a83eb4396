//! Every schema change of PrintStash, in order. Runs at boot on SQLite and
//! PostgreSQL; migrations use string names only, never entity types.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_runtime_settings;
mod m20261126_000002_create_vault_core;
mod m20261127_000003_model_search;
mod m20261127_000004_browse_sort_indexes;
mod m20261129_000005_auth;
mod m20261129_000006_model_stars;
mod m20261129_000007_printers;

/// The ordered list of migrations applied by `Migrator::up`.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_runtime_settings::Migration),
            Box::new(m20261126_000002_create_vault_core::Migration),
            Box::new(m20261127_000003_model_search::Migration),
            Box::new(m20261127_000004_browse_sort_indexes::Migration),
            Box::new(m20261129_000005_auth::Migration),
            Box::new(m20261129_000006_model_stars::Migration),
            Box::new(m20261129_000007_printers::Migration),
        ]
    }
}
