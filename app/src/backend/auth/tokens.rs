//! API tokens: made by a user for scripts and slicers, shown once, stored as
//! SHA-256, optionally expiring, revocable, with a last-used time.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use super::actor::Actor;
use super::audit;
use super::secrets::{new_secret, secret_digest};
use crate::backend::db::entities::{api_tokens, users};
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::auth::CreateTokenParams;
use crate::views::auth::{ApiTokenView, CreatedApiToken};

/// Every token starts with this, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "psk_";
const SHOWN_PREFIX_CHARS: usize = 12;
const TOUCH_AFTER_SECONDS: i64 = 60;

/// Makes a token for the caller; the only time its secret is returned.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    params: &CreateTokenParams,
) -> Result<CreatedApiToken, ServiceError> {
    let user_id = actor.require_user()?;
    let name = params.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: "Give the token a name of 1 to 100 characters, e.g. \"PrusaSlicer\".".into(),
        });
    }
    if params.expires_in_days == Some(0) {
        return Err(ServiceError::Invalid {
            field: "expires_in_days",
            reason: "Use at least 1 day, or leave it empty for a token that does not expire."
                .into(),
        });
    }
    let secret = new_secret(TOKEN_PREFIX)?;
    let now = Utc::now();
    let txn = state.begin_write().await?;
    let row = api_tokens::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        token_hash: Set(secret_digest(&secret)),
        prefix: Set(secret.chars().take(SHOWN_PREFIX_CHARS).collect()),
        created_at: Set(now),
        expires_at: Set(params
            .expires_in_days
            .map(|d| now + Duration::days(i64::from(d)))),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit::record(
        &*txn,
        actor,
        "token.create",
        format!("token:{}", row.id),
        format!("name \"{}\"", row.name),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedApiToken {
        token: secret,
        info: row.into(),
    })
}

/// The caller's own tokens, newest first (revoked ones included).
pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<ApiTokenView>, ServiceError> {
    let user_id = actor.require_user()?;
    Ok(api_tokens::Entity::find()
        .filter(api_tokens::Column::UserId.eq(user_id))
        .order_by_desc(api_tokens::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(ApiTokenView::from)
        .collect())
}

/// Revokes one of the caller's tokens (an admin may revoke anyone's).
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<ApiTokenView, ServiceError> {
    let txn = state.begin_write().await?;
    let row = api_tokens::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .filter(|t| actor.is_admin || Some(t.user_id) == actor.user_id)
        .ok_or(ServiceError::NotFound("API token"))?;
    let row = if row.revoked_at.is_none() {
        let mut active = row.into_active_model();
        active.revoked_at = Set(Some(Utc::now()));
        let row = active.update(&*txn).await?;
        audit::record(&*txn, actor, "token.revoke", format!("token:{id}"), "").await?;
        row
    } else {
        row
    };
    txn.commit().await?;
    Ok(row.into())
}

/// The user a presented token belongs to, or `None` when it is unknown,
/// revoked, expired or its user is disabled.
pub async fn resolve(state: &AppState, secret: &str) -> Result<Option<users::Model>, ServiceError> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let Some(token) = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(secret_digest(secret)))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|t| t <= now) {
        return Ok(None);
    }
    let Some(user) = users::Entity::find_by_id(token.user_id)
        .one(&state.db)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    let stale = token
        .last_used_at
        .is_none_or(|t| (now - t).num_seconds() >= TOUCH_AFTER_SECONDS);
    if stale
        && let Err(err) = api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now))
            .filter(api_tokens::Column::Id.eq(token.id))
            .exec(&state.db)
            .await
    {
        tracing::warn!(error = %err, "could not record an API token's last use");
    }
    Ok(Some(user))
}
