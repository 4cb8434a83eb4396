//! Server functions for the admin-editable runtime settings (ADR 0002). The
//! same service as `server/src/http/rest/settings.rs`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::params::settings::UpdateSettingsParams;
use crate::views::settings::RuntimeSettings;

/// Every editable key with its effective and frozen value (admin).
#[server(endpoint = "get_runtime_settings")]
pub async fn get_runtime_settings() -> Result<RuntimeSettings, AppError> {
    let (state, actor) = super::context().await?;
    Ok(crate::backend::runtime_settings::list_settings(&state, &actor).await?)
}

/// Sets or clears (`null`) overrides, all or nothing (admin).
#[server(endpoint = "update_runtime_settings", input = Json)]
pub async fn update_runtime_settings(
    params: UpdateSettingsParams,
) -> Result<RuntimeSettings, AppError> {
    let (state, actor) = super::context().await?;
    Ok(crate::backend::runtime_settings::update_settings(&state, &actor, params).await?)
}
