//! Turning frozen settings into a ready `AppState`: data directory, database
//! connection, migrations, Leptos options.

use std::sync::Arc;

use anyhow::Context;
use app::backend::config::{Settings, redact_url};
use app::backend::state::AppState;
use leptos::config::LeptosOptions;
use migration::{Migrator, MigratorTrait};

/// Creates the data directory, connects, migrates and assembles the state.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create VAULT_DATA_DIR {}",
            settings.data_dir.display()
        )
    })?;
    let db = app::backend::db::connect(&settings.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {} (VAULT_DATABASE_URL)",
                redact_url(&settings.database_url)
            )
        })?;
    Migrator::up(&db, None)
        .await
        .context("database migration failed")?;
    tracing::info!(
        database = settings.database_kind().label(),
        "database ready"
    );
    let leptos_options = leptos_options(&settings);
    Ok(AppState {
        db,
        settings: Arc::new(settings),
        leptos_options,
    })
}

/// Leptos options derived from our settings (no Cargo.toml needed at run time).
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("printstash")
        .site_root(settings.site_dir.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(settings.bind)
        .build()
}
