//! Server functions for models: browse, detail, edit, trash/restore/purge,
//! vault stats, export, and revision/artifact changes. The same services as
//! `server/src/http/rest/models.rs`. Uploading a model or a revision is not
//! here: the UI posts files to the REST multipart endpoints (see [`super`]).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::backend::services::{browse, export, models as service, revisions};
use crate::error::AppError;
use crate::params::models::{ListModelsParams, UpdateModelParams, UpdateRevisionParams};
use crate::views::models::{
    Facets, ModelCard, ModelDetail, ModelExport, Page, Purged, TrashItem, VaultStats,
};

/// One page of live models: filters, full-text search, sort, cursor.
#[server(endpoint = "list_models", input = Json)]
pub async fn list_models(params: ListModelsParams) -> Result<Page<ModelCard>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(browse::list_models(&state, &actor, &params).await?)
}

/// Facet counts for the browse filters under the same filters and search.
#[server(endpoint = "model_facets", input = Json)]
pub async fn model_facets(params: ListModelsParams) -> Result<Facets, AppError> {
    let (state, actor) = super::context().await?;
    Ok(browse::facets(&state, &actor, &params).await?)
}

/// A model's detail (live or trashed): artifacts, revisions, metadata.
#[server(endpoint = "get_model", input = Json)]
pub async fn get_model(id: i32) -> Result<ModelDetail, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::get_model(&state, &actor, id).await?)
}

/// Edits name, description, collection and/or tags.
#[server(endpoint = "update_model", input = Json)]
pub async fn update_model(id: i32, params: UpdateModelParams) -> Result<ModelDetail, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::update_model(&state, &actor, id, params).await?)
}

/// Moves a model to the trash.
#[server(endpoint = "trash_model", input = Json)]
pub async fn trash_model(id: i32) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::trash_model(&state, &actor, id).await?)
}

/// Brings a trashed model back intact.
#[server(endpoint = "restore_model", input = Json)]
pub async fn restore_model(id: i32) -> Result<ModelDetail, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::restore_model(&state, &actor, id).await?)
}

/// Deletes a trashed model for good.
#[server(endpoint = "purge_model", input = Json)]
pub async fn purge_model(id: i32) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::purge_model(&state, &actor, id).await?)
}

/// The trash, most recently trashed first, with days left.
#[server(endpoint = "list_trash")]
pub async fn list_trash() -> Result<Vec<TrashItem>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::list_trash(&state, &actor).await?)
}

/// Empties the whole trash.
#[server(endpoint = "purge_trash")]
pub async fn purge_trash() -> Result<Purged, AppError> {
    let (state, actor) = super::context().await?;
    Ok(Purged {
        purged: service::purge_trash(&state, &actor, None).await?,
    })
}

/// Vault-wide counts and sizes. (The generated struct is `GetVaultStats`
/// because `VaultStats` is the view.)
#[server(name = GetVaultStats, endpoint = "vault_stats")]
pub async fn vault_stats() -> Result<VaultStats, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::vault_stats(&state, &actor).await?)
}

/// A model with its files, metadata and slicer configs as one document.
#[server(endpoint = "export_model", input = Json)]
pub async fn export_model(id: i32) -> Result<ModelExport, AppError> {
    let (state, actor) = super::context().await?;
    Ok(export::export_model(&state, &actor, id).await?)
}

/// Sets a revision's outcome, label, notes or the recommended marker.
#[server(endpoint = "update_revision", input = Json)]
pub async fn update_revision(
    model_id: i32,
    file_id: i32,
    params: UpdateRevisionParams,
) -> Result<ModelDetail, AppError> {
    let (state, actor) = super::context().await?;
    Ok(revisions::update_revision(&state, &actor, model_id, file_id, params).await?)
}

/// Moves one artifact (or revision) to the trash; a recommended revision
/// hands its marker on.
#[server(endpoint = "trash_file", input = Json)]
pub async fn trash_file(model_id: i32, file_id: i32) -> Result<ModelDetail, AppError> {
    let (state, actor) = super::context().await?;
    Ok(revisions::trash_file(&state, &actor, model_id, file_id).await?)
}

/// Brings a trashed artifact back.
#[server(endpoint = "restore_file", input = Json)]
pub async fn restore_file(model_id: i32, file_id: i32) -> Result<ModelDetail, AppError> {
    let (state, actor) = super::context().await?;
    Ok(revisions::restore_file(&state, &actor, model_id, file_id).await?)
}

/// Stars or unstars a model for the caller (the "Starred" filter and the
/// set kept for offline viewing).
#[server(endpoint = "star_model", input = Json)]
pub async fn star_model(id: i32, starred: bool) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(crate::backend::services::stars::star_model(&state, &actor, id, starred).await?)
}
