//! Server functions for user management, collection roles and the audit
//! log. The same services as `server/src/http/rest/users.rs` and the grants
//! routes in `server/src/http/rest/collections.rs`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::backend::auth::{audit, grants, users};
use crate::error::AppError;
use crate::params::auth::{
    CreateUserParams, ListAuditParams, ResetPasswordParams, SetGrantParams, UpdateUserParams,
};
use crate::views::auth::{AuditEntry, GrantView, UserView};

/// Every user (admins and collection admins).
#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(users::list_users(&state, &actor).await?)
}

/// Makes a user (admin).
#[server(endpoint = "create_user", input = Json)]
pub async fn create_user(params: CreateUserParams) -> Result<UserView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(users::create_user(&state, &actor, &params).await?)
}

/// Edits, disables or enables a user (admin).
#[server(endpoint = "update_user", input = Json)]
pub async fn update_user(id: i32, params: UpdateUserParams) -> Result<UserView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(users::update_user(&state, &actor, id, &params).await?)
}

/// Deletes a user (admin).
#[server(endpoint = "delete_user", input = Json)]
pub async fn delete_user(id: i32) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(users::delete_user(&state, &actor, id).await?)
}

/// Sets a new password for a user (admin).
#[server(endpoint = "reset_password", input = Json)]
pub async fn reset_password(id: i32, params: ResetPasswordParams) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(users::reset_password(&state, &actor, id, &params).await?)
}

/// Roles granted on a collection (collection admins).
#[server(endpoint = "list_grants", input = Json)]
pub async fn list_grants(collection_id: i32) -> Result<Vec<GrantView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(grants::list(&state, &actor, collection_id).await?)
}

/// Gives a user a role on a collection and its subtree.
#[server(endpoint = "set_grant", input = Json)]
pub async fn set_grant(
    collection_id: i32,
    params: SetGrantParams,
) -> Result<Vec<GrantView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(grants::set(&state, &actor, collection_id, &params).await?)
}

/// Takes a user's role on a collection away.
#[server(endpoint = "remove_grant", input = Json)]
pub async fn remove_grant(collection_id: i32, user_id: i32) -> Result<Vec<GrantView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(grants::remove(&state, &actor, collection_id, user_id).await?)
}

/// The audit log, newest first (admin).
#[server(endpoint = "list_audit", input = Json)]
pub async fn list_audit(params: ListAuditParams) -> Result<Vec<AuditEntry>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(audit::list(&state, &actor, &params).await?)
}
