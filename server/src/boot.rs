//! Turning frozen settings into a ready `AppState`: data directory, database
//! connection, migrations, Leptos options.

use std::sync::Arc;

use anyhow::Context;
use app::backend::auth::Actor;
use app::backend::auth::limiter::LoginLimiter;
use app::backend::config::{Settings, redact_url};
use app::backend::crypto::SecretBox;
use app::backend::db::write::WriteGate;
use app::backend::jobs::worker::Background;
use app::backend::printers::hub::PrinterHub;
use app::backend::state::AppState;
use app::backend::storage::{BlobStore, LocalStore, Storage};
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
    let write_gate = WriteGate::for_kind(settings.database_kind());
    let store = LocalStore::open(settings.data_dir.clone())
        .await
        .with_context(|| {
            format!(
                "cannot open file storage in {}",
                settings.data_dir.display()
            )
        })?;
    // Uploads interrupted by a crash or restart left temp files; nothing refers to them.
    match store.staging().sweep(std::time::Duration::ZERO).await {
        Ok(report) if report.removed_files > 0 => {
            tracing::info!(
                files = report.removed_files,
                size_bytes = report.removed_bytes,
                "removed interrupted uploads"
            );
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "could not sweep the staging directory"),
    }
    let storage: Storage = Arc::new(store);
    // Nothing runs yet, so unfinished jobs were interrupted by the last stop.
    match app::backend::jobs::recover_after_restart(&db).await {
        Ok(r) if r.failed_uploads + r.requeued > 0 => tracing::info!(
            failed_uploads = r.failed_uploads,
            requeued = r.requeued,
            "recovered jobs interrupted by the last stop"
        ),
        Ok(_) => {}
        Err(err) => anyhow::bail!("cannot recover interrupted jobs: {err}"),
    }
    let background = Background::new(settings.ingest_concurrency);
    let login_limiter = Arc::new(LoginLimiter::new(&settings.auth));
    let secrets = SecretBox::load(settings.secret_key.as_deref(), &settings.data_dir)
        .context("cannot load the key that encrypts printer secrets")?;
    let state = AppState {
        db,
        settings: Arc::new(settings),
        leptos_options,
        write_gate,
        system: Actor::system(),
        login_limiter,
        storage,
        background,
        secrets,
        printers: PrinterHub::new(),
    };
    app::backend::auth::users::bootstrap_admin(&state)
        .await
        .map_err(|err| {
            anyhow::anyhow!("cannot create the admin from VAULT_ADMIN_USERNAME: {err}")
        })?;
    Ok(state)
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
