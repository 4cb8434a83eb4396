//! Server functions about the running server.

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::system::{Health, ServerInfo};

/// Which version runs on which database (shown in the footer).
#[server(endpoint = "get_server_info")]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    let state = crate::backend::state::expect_state()?;
    Ok(crate::backend::services::system::server_info(&state))
}

/// Probes the database now (the footer's "Check" button).
#[server(endpoint = "check_health")]
pub async fn check_health() -> Result<Health, AppError> {
    let state = crate::backend::state::expect_state()?;
    Ok(crate::backend::services::system::check_health(&state).await)
}
