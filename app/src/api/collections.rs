//! Server functions for the collection tree: list, one subtree, create,
//! rename/move, recursive delete. The same services as
//! `server/src/http/rest/collections.rs`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::backend::services::collections as service;
use crate::error::AppError;
use crate::params::collections::{CreateCollectionParams, UpdateCollectionParams};
use crate::views::collections::{CollectionDeleted, CollectionNode};

/// The whole tree with model counts.
#[server(endpoint = "list_collections")]
pub async fn list_collections() -> Result<Vec<CollectionNode>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::list_collections(&state, &actor).await?)
}

/// One collection with its subtree.
#[server(endpoint = "get_collection", input = Json)]
pub async fn get_collection(id: i32) -> Result<CollectionNode, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::get_collection(&state, &actor, id).await?)
}

/// Creates a collection (at the root or under `parent_id`).
#[server(endpoint = "create_collection", input = Json)]
pub async fn create_collection(params: CreateCollectionParams) -> Result<CollectionNode, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::create_collection(&state, &actor, params).await?)
}

/// Renames and/or moves a collection with its subtree.
#[server(endpoint = "update_collection", input = Json)]
pub async fn update_collection(
    id: i32,
    params: UpdateCollectionParams,
) -> Result<CollectionNode, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::update_collection(&state, &actor, id, params).await?)
}

/// Deletes a collection and its subtree; their models go to the trash.
#[server(endpoint = "delete_collection", input = Json)]
pub async fn delete_collection(id: i32) -> Result<CollectionDeleted, AppError> {
    let (state, actor) = super::context().await?;
    Ok(service::delete_collection(&state, &actor, id).await?)
}
