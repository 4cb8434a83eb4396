//! `AppState`: the one context built in `main` and handed to axum (as state)
//! and to Leptos (as context) — no globals (ADR 0001).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::config::Settings;

/// Everything a request, server function or background task needs.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The frozen settings.
    pub settings: Arc<Settings>,
    /// Leptos's rendering options (site root, output name).
    pub leptos_options: LeptosOptions,
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
