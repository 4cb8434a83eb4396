//! Browser sessions: a random secret in an `HttpOnly` cookie, its SHA-256 as
//! the row key, idle and absolute expiry, and revocation by deleting rows.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::secrets::{new_secret, secret_digest};
use crate::backend::config::AuthSettings;
use crate::backend::db::entities::{sessions, users};
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "printstash_session";

/// How stale `last_seen_at` may get before a request refreshes it (keeps
/// reads from turning into writes on every request).
const TOUCH_AFTER_SECONDS: i64 = 60;

/// Starts a session for `user` and returns the cookie secret.
pub async fn start(
    db: &impl ConnectionTrait,
    settings: &AuthSettings,
    user: &users::Model,
    ip: &str,
    user_agent: &str,
) -> Result<String, ServiceError> {
    let secret = new_secret("")?;
    let now = Utc::now();
    sessions::ActiveModel {
        token_hash: Set(secret_digest(&secret)),
        user_id: Set(user.id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + Duration::days(i64::from(settings.session_max_days))),
        ip: Set(ip.chars().take(64).collect()),
        user_agent: Set(user_agent.chars().take(255).collect()),
    }
    .insert(db)
    .await?;
    Ok(secret)
}

/// The user of a live session, or `None` when the secret is unknown, the
/// session expired (idle or absolute) or the user is disabled.
pub async fn resolve(state: &AppState, secret: &str) -> Result<Option<users::Model>, ServiceError> {
    let digest = secret_digest(secret);
    let Some(session) = sessions::Entity::find_by_id(digest.clone())
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let idle = Duration::hours(i64::from(state.settings.auth.session_idle_hours));
    if session.expires_at <= now || session.last_seen_at + idle <= now {
        sessions::Entity::delete_by_id(digest)
            .exec(&state.db)
            .await?;
        return Ok(None);
    }
    let Some(user) = users::Entity::find_by_id(session.user_id)
        .one(&state.db)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    if (now - session.last_seen_at).num_seconds() >= TOUCH_AFTER_SECONDS {
        // Best effort: a missed refresh only shortens the idle window.
        if let Err(err) = sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(now))
            .filter(sessions::Column::TokenHash.eq(digest))
            .exec(&state.db)
            .await
        {
            tracing::warn!(error = %err, "could not refresh a session's last-seen time");
        }
    }
    Ok(Some(user))
}

/// Ends one session (sign-out).
pub async fn end(db: &impl ConnectionTrait, secret: &str) -> Result<(), ServiceError> {
    sessions::Entity::delete_by_id(secret_digest(secret))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (password change, disable, delete).
pub async fn end_all_for(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, ServiceError> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// The `Set-Cookie` value that stores `secret` in the browser.
pub fn cookie(settings: &AuthSettings, secret: &str, secure: bool) -> String {
    let max_age = i64::from(settings.session_max_days) * 86_400;
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The session secret in a `Cookie` request header, if any.
pub fn secret_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_when_asked() {
        let settings = crate::backend::config::Settings::from_lookup(|_| None)
            .expect("defaults")
            .auth;
        let c = cookie(&settings, "abc", true);
        assert!(c.starts_with("printstash_session=abc; Path=/; HttpOnly; SameSite=Lax"));
        assert!(c.ends_with("; Secure"));
        assert!(!cookie(&settings, "abc", false).contains("Secure"));
        assert_eq!(
            secret_from_cookie_header("a=1; printstash_session=xyz ; b=2"),
            Some("xyz")
        );
        assert_eq!(secret_from_cookie_header("printstash_session="), None);
    }
}
