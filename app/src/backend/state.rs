//! `AppState`: the one context built in `main` and handed to axum (as state)
//! and to Leptos (as context) — no globals (ADR 0001).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::auth::Actor;
use super::auth::limiter::LoginLimiter;
use super::config::Settings;
use super::crypto::SecretBox;
use super::db::write::{WriteGate, WriteTxn, begin_write};
use super::jobs::worker::Background;
use super::printers::hub::PrinterHub;
use super::storage::Storage;

/// Everything a request, server function or background task needs.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The frozen settings.
    pub settings: Arc<Settings>,
    /// Leptos's rendering options (site root, output name).
    pub leptos_options: LeptosOptions,
    /// Serialises write transactions on SQLite (see `db::write`).
    pub write_gate: WriteGate,
    /// The vault itself, for maintenance jobs and command-line tools.
    pub system: Actor,
    /// Sign-in attempt limits (per account and per client address).
    pub login_limiter: Arc<LoginLimiter>,
    /// Where blobs and thumbnails live (local disk or S3; callers never branch).
    pub storage: Storage,
    /// Wake-ups and ingest slots for background work.
    pub background: Background,
    /// Seals and opens printer secrets (`VAULT_SECRET_KEY` or the key file).
    pub secrets: SecretBox,
    /// The printers' sessions and live statuses.
    pub printers: PrinterHub,
}

impl AppState {
    /// Begins a write transaction (through the SQLite write gate).
    pub async fn begin_write(&self) -> Result<WriteTxn, sea_orm::DbErr> {
        begin_write(&self.db, &self.write_gate).await
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state of the current server function, or an error explaining that
/// the server was wired wrongly.
pub fn expect_state() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        crate::error::AppError::internal()
    })
}
