//! The audit log: security-relevant and destructive actions, who did them and
//! when. Entries carry names and ids, never a password, token or session.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::actor::Actor;
use crate::backend::db::entities::audit_log;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::auth::ListAuditParams;
use crate::views::auth::AuditEntry;

/// Writes one entry (inside the caller's transaction when given one). A
/// failure to audit fails the action, so nothing destructive goes unrecorded.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: impl Into<String>,
    detail: impl Into<String>,
) -> Result<(), ServiceError> {
    let target = target.into();
    let detail = detail.into();
    tracing::info!(
        actor = %actor.username,
        action,
        target = %target,
        ip = actor.ip.as_deref().unwrap_or(""),
        "audit"
    );
    audit_log::ActiveModel {
        at: Set(chrono::Utc::now()),
        actor_id: Set(actor.user_id),
        actor_name: Set(truncate(&actor.username, 64)),
        action: Set(truncate(action, 64)),
        target: Set(truncate(&target, 255)),
        detail: Set(detail),
        ip: Set(truncate(actor.ip.as_deref().unwrap_or(""), 64)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes an entry for a caller who is not signed in (failed sign-ins).
pub async fn record_anonymous(
    db: &impl ConnectionTrait,
    claimed_name: &str,
    ip: &str,
    action: &str,
    detail: impl Into<String>,
) -> Result<(), ServiceError> {
    let actor = Actor::unauthenticated(
        format!("?{}", truncate(claimed_name, 60)),
        Some(ip.to_owned()),
    );
    record(db, &actor, action, format!("user:{claimed_name}"), detail).await
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

/// The newest entries first (admins only).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    params: &ListAuditParams,
) -> Result<Vec<AuditEntry>, ServiceError> {
    actor.require_admin()?;
    let limit = params.limit.unwrap_or(100).clamp(1, 500);
    let mut query = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .limit(u64::from(limit));
    if let Some(before) = params.before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    Ok(query
        .all(&state.db)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect())
}
