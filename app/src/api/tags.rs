//! Server functions for tags: list with counts, create, rename, merge,
//! delete, and attach/detach many at once. The same services as
//! `server/src/http/rest/tags.rs`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::backend::services::tags as service;
use crate::error::AppError;
use crate::params::tags::TagModelsParams;
use crate::views::tags::TagView;

/// Every tag with how many live models carry it.
#[server(endpoint = "list_tags")]
pub async fn list_tags() -> Result<Vec<TagView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::list_tags(&state, &actor).await?)
}

/// Creates a tag.
#[server(endpoint = "create_tag", input = Json)]
pub async fn create_tag(name: String) -> Result<TagView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::create_tag(&state, &actor, &name).await?)
}

/// Renames a tag.
#[server(endpoint = "rename_tag", input = Json)]
pub async fn rename_tag(id: i32, name: String) -> Result<TagView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::rename_tag(&state, &actor, id, &name).await?)
}

/// Folds tag `id` into `into_tag_id` and returns the surviving tag.
#[server(endpoint = "merge_tag", input = Json)]
pub async fn merge_tag(id: i32, into_tag_id: i32) -> Result<TagView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::merge_tag(&state, &actor, id, into_tag_id).await?)
}

/// Deletes a tag (models keep existing, without it).
#[server(endpoint = "delete_tag", input = Json)]
pub async fn delete_tag(id: i32) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::delete_tag(&state, &actor, id).await?)
}

/// Attaches every tag to every model.
#[server(endpoint = "attach_tags", input = Json)]
pub async fn attach_tags(params: TagModelsParams) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::attach_tags(&state, &actor, &params.model_ids, &params.tag_ids).await?)
}

/// Detaches every tag from every model.
#[server(endpoint = "detach_tags", input = Json)]
pub async fn detach_tags(params: TagModelsParams) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::detach_tags(&state, &actor, &params.model_ids, &params.tag_ids).await?)
}
