//! Accounts: the one-time setup, the boot-time admin from config, sign-in,
//! password changes and the admin's user management. Disabling a user or
//! changing a password ends their sessions in the same transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use super::actor::Actor;
use super::audit;
use super::secrets::{check_password_rules, hash_password, verify_password};
use super::sessions;
use crate::backend::db::entities::{api_tokens, collection_grants, users};
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::auth::{
    ChangePasswordParams, CreateUserParams, CredentialsParams, ResetPasswordParams,
    UpdateUserParams,
};
use crate::views::auth::{SessionInfo, SetupStatus, UserView};

const WRONG_CREDENTIALS: &str = "Wrong username or password.";

/// Whether an enabled admin who can sign in exists.
async fn has_admin(db: &impl ConnectionTrait) -> Result<bool, ServiceError> {
    Ok(users::Entity::find()
        .filter(users::Column::IsAdmin.eq(true))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::PasswordHash.is_not_null())
        .count(db)
        .await?
        > 0)
}

/// Whether the one-time setup page should be offered.
pub async fn setup_status(state: &AppState) -> Result<SetupStatus, ServiceError> {
    Ok(SetupStatus {
        needs_setup: !has_admin(&state.db).await?,
    })
}

/// Checks a username: 1–64 of letters, digits, `.`, `_`, `-`.
fn clean_username(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(ServiceError::Invalid {
            field: "username",
            reason: "Use 1 to 64 letters, digits, dots, underscores or dashes for the username."
                .into(),
        })
    }
}

async fn find_by_name(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<users::Model>, ServiceError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    // Usernames are unique without regard to case.
    let lower_name = Expr::expr(Func::lower(Expr::col(users::Column::Username)));
    Ok(users::Entity::find()
        .filter(ExprTrait::eq(lower_name, username.to_lowercase()))
        .one(db)
        .await?)
}

/// Makes `username` an enabled admin with the password `hash`: the existing
/// account of that name (any case) or a new one.
async fn upsert_admin(
    db: &impl ConnectionTrait,
    username: &str,
    hash: String,
) -> Result<users::Model, ServiceError> {
    let now = Utc::now();
    Ok(match find_by_name(db, username).await? {
        Some(existing) => {
            let mut row = existing.into_active_model();
            row.password_hash = Set(Some(hash));
            row.is_admin = Set(true);
            row.disabled = Set(false);
            row.password_changed_at = Set(Some(now));
            row.update(db).await?
        }
        None => {
            users::ActiveModel {
                username: Set(username.to_owned()),
                display_name: Set(username.to_owned()),
                is_admin: Set(true),
                created_at: Set(now),
                password_hash: Set(Some(hash)),
                disabled: Set(false),
                password_changed_at: Set(Some(now)),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    })
}

/// Creates an admin, or gives a password to an old password-less admin row
/// of the same name. Only while no admin can sign in.
async fn create_first_admin(
    state: &AppState,
    params: &CredentialsParams,
    ip: Option<String>,
) -> Result<users::Model, ServiceError> {
    let username = clean_username(&params.username)?;
    check_password_rules("password", &params.password)?;
    let hash = hash_password(&state.settings.auth, &params.password).await?;
    let txn = state.begin_write().await?;
    if has_admin(&*txn).await? {
        return Err(ServiceError::Conflict(
            "Setup is already done; sign in instead.".into(),
        ));
    }
    let user = upsert_admin(&*txn, &username, hash).await?;
    let actor = Actor::unauthenticated(user.username.clone(), ip);
    audit::record(
        &*txn,
        &actor,
        "setup.admin_created",
        format!("user:{}", user.id),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// The one-time setup: creates the first admin (no one is signed in yet).
pub async fn setup(
    state: &AppState,
    params: &CredentialsParams,
    ip: &str,
) -> Result<users::Model, ServiceError> {
    create_first_admin(state, params, Some(ip.to_owned())).await
}

/// At boot: creates the admin named by `VAULT_ADMIN_USERNAME` when no admin
/// exists yet. Never logs the password.
pub async fn bootstrap_admin(state: &AppState) -> Result<(), ServiceError> {
    let Some((username, password)) = state.settings.auth.bootstrap_admin.clone() else {
        return Ok(());
    };
    if has_admin(&state.db).await? {
        return Ok(());
    }
    let params = CredentialsParams { username, password };
    let user = create_first_admin(state, &params, None).await?;
    tracing::info!(username = %user.username, "created the admin from VAULT_ADMIN_USERNAME");
    Ok(())
}

/// Signs in: rate limits per account and address, checks the password and
/// starts a session. Returns who signed in and the session secret for the cookie.
pub async fn login(
    state: &AppState,
    params: &CredentialsParams,
    ip: &str,
    user_agent: &str,
) -> Result<(SessionInfo, String), ServiceError> {
    let claimed = params.username.trim();
    if let Err(limited) = state.login_limiter.check(claimed, ip) {
        tracing::warn!(username = %claimed, %ip, "sign-in refused: too many attempts");
        return Err(limited);
    }
    let user = find_by_name(&state.db, claimed).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let matches = verify_password(&state.settings.auth, stored, &params.password).await?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        found => {
            let why = match found {
                None => "no such user",
                Some(u) if u.disabled => "user is disabled",
                Some(_) => "wrong password",
            };
            tracing::warn!(username = %claimed, %ip, reason = why, "sign-in failed");
            audit::record_anonymous(&state.db, claimed, ip, "user.login_failed", why).await?;
            return Err(ServiceError::Unauthenticated(WRONG_CREDENTIALS.into()));
        }
    };
    let txn = state.begin_write().await?;
    let secret = sessions::start(&*txn, &state.settings.auth, &user, ip, user_agent).await?;
    let actor = Actor::unauthenticated(user.username.clone(), Some(ip.to_owned()));
    audit::record(&*txn, &actor, "user.login", format!("user:{}", user.id), "").await?;
    txn.commit().await?;
    let info = SessionInfo {
        user: UserView::from(&user),
    };
    Ok((info, secret))
}

/// Changes the caller's own password; every session of theirs ends.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    params: &ChangePasswordParams,
) -> Result<(), ServiceError> {
    let user_id = actor.require_user()?;
    let user = users::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let ok = verify_password(
        &state.settings.auth,
        user.password_hash.as_deref(),
        &params.current_password,
    )
    .await?;
    if !ok {
        return Err(ServiceError::Invalid {
            field: "current_password",
            reason: "The current password is not right.".into(),
        });
    }
    check_password_rules("new_password", &params.new_password)?;
    set_password(
        state,
        actor,
        user,
        &params.new_password,
        "user.password_change",
    )
    .await
}

async fn set_password(
    state: &AppState,
    actor: &Actor,
    user: users::Model,
    password: &str,
    action: &str,
) -> Result<(), ServiceError> {
    let hash = hash_password(&state.settings.auth, password).await?;
    let txn = state.begin_write().await?;
    let id = user.id;
    let mut row = user.into_active_model();
    row.password_hash = Set(Some(hash));
    row.password_changed_at = Set(Some(Utc::now()));
    row.update(&*txn).await?;
    let ended = sessions::end_all_for(&*txn, id).await?;
    audit::record(
        &*txn,
        actor,
        action,
        format!("user:{id}"),
        format!("{ended} session(s) ended"),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The caller as a user view.
pub async fn me(state: &AppState, actor: &Actor) -> Result<UserView, ServiceError> {
    let id = actor.require_user()?;
    let user = users::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    Ok(UserView::from(&user))
}

/// Every user (admins, and collection admins choosing whom to grant roles).
pub async fn list_users(state: &AppState, actor: &Actor) -> Result<Vec<UserView>, ServiceError> {
    if !actor.administers_anything() {
        return Err(ServiceError::Forbidden);
    }
    Ok(users::Entity::find()
        .order_by_asc(users::Column::Username)
        .all(&state.db)
        .await?
        .iter()
        .map(UserView::from)
        .collect())
}

/// An admin makes an account.
pub async fn create_user(
    state: &AppState,
    actor: &Actor,
    params: &CreateUserParams,
) -> Result<UserView, ServiceError> {
    actor.require_admin()?;
    let username = clean_username(&params.username)?;
    check_password_rules("password", &params.password)?;
    let display_name = params
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(&username)
        .chars()
        .take(128)
        .collect::<String>();
    let hash = hash_password(&state.settings.auth, &params.password).await?;
    let txn = state.begin_write().await?;
    if find_by_name(&*txn, &username).await?.is_some() {
        return Err(ServiceError::Conflict(format!(
            "The username \"{username}\" is taken."
        )));
    }
    let now = Utc::now();
    let user = users::ActiveModel {
        username: Set(username),
        display_name: Set(display_name),
        is_admin: Set(params.is_admin),
        created_at: Set(now),
        password_hash: Set(Some(hash)),
        disabled: Set(false),
        password_changed_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit::record(
        &*txn,
        actor,
        "user.create",
        format!("user:{}", user.id),
        format!("username {}, admin {}", user.username, user.is_admin),
    )
    .await?;
    txn.commit().await?;
    Ok(UserView::from(&user))
}

/// Fails when the change would leave no enabled admin.
async fn keep_an_admin(db: &impl ConnectionTrait, losing: i32) -> Result<(), ServiceError> {
    let others = users::Entity::find()
        .filter(users::Column::IsAdmin.eq(true))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::PasswordHash.is_not_null())
        .filter(users::Column::Id.ne(losing))
        .count(db)
        .await?;
    if others == 0 {
        return Err(ServiceError::Conflict(
            "This is the last admin; make another user admin first.".into(),
        ));
    }
    Ok(())
}

/// An admin edits an account; disabling ends the user's sessions at once.
pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: i32,
    params: &UpdateUserParams,
) -> Result<UserView, ServiceError> {
    actor.require_admin()?;
    let txn = state.begin_write().await?;
    let user = users::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let loses_admin = user.is_admin
        && !user.disabled
        && (params.is_admin == Some(false) || params.disabled == Some(true));
    if loses_admin {
        keep_an_admin(&*txn, id).await?;
    }
    let mut changes = Vec::new();
    let mut row = user.clone().into_active_model();
    if let Some(name) = &params.display_name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 128 {
            return Err(ServiceError::Invalid {
                field: "display_name",
                reason: "Use 1 to 128 characters for the display name.".into(),
            });
        }
        row.display_name = Set(name.to_owned());
    }
    if let Some(admin) = params.is_admin
        && admin != user.is_admin
    {
        row.is_admin = Set(admin);
        changes.push(format!("admin {admin}"));
    }
    let disabling = params.disabled == Some(true) && !user.disabled;
    if let Some(disabled) = params.disabled
        && disabled != user.disabled
    {
        row.disabled = Set(disabled);
        changes.push(format!("disabled {disabled}"));
    }
    let updated = row.update(&*txn).await?;
    if disabling {
        let ended = sessions::end_all_for(&*txn, id).await?;
        changes.push(format!("{ended} session(s) ended"));
    }
    if !changes.is_empty() {
        audit::record(
            &*txn,
            actor,
            "user.update",
            format!("user:{id}"),
            changes.join(", "),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(UserView::from(&updated))
}

/// An admin sets a new password for a user; their sessions end.
pub async fn reset_password(
    state: &AppState,
    actor: &Actor,
    id: i32,
    params: &ResetPasswordParams,
) -> Result<(), ServiceError> {
    actor.require_admin()?;
    check_password_rules("new_password", &params.new_password)?;
    let user = users::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    set_password(
        state,
        actor,
        user,
        &params.new_password,
        "user.password_reset",
    )
    .await
}

/// An admin deletes an account (not their own, not the last admin). Their
/// models stay; attribution becomes empty.
pub async fn delete_user(state: &AppState, actor: &Actor, id: i32) -> Result<(), ServiceError> {
    actor.require_admin()?;
    if actor.user_id == Some(id) {
        return Err(ServiceError::Conflict(
            "You cannot delete your own account; ask another admin.".into(),
        ));
    }
    let txn = state.begin_write().await?;
    let user = users::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    if user.is_admin && !user.disabled {
        keep_an_admin(&*txn, id).await?;
    }
    sessions::end_all_for(&*txn, id).await?;
    api_tokens::Entity::delete_many()
        .filter(api_tokens::Column::UserId.eq(id))
        .exec(&*txn)
        .await?;
    collection_grants::Entity::delete_many()
        .filter(collection_grants::Column::UserId.eq(id))
        .exec(&*txn)
        .await?;
    users::Entity::delete_by_id(id).exec(&*txn).await?;
    audit::record(
        &*txn,
        actor,
        "user.delete",
        format!("user:{id}"),
        format!("username {}", user.username),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Account recovery from the command line (`server reset-admin`): gives
/// `username` the password, makes them an enabled admin (creating the
/// account if needed) and ends their sessions. For a vault whose admins are
/// all locked out; whoever can run the server binary on the vault's data
/// already owns it.
pub async fn recover_admin(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<UserView, ServiceError> {
    let username = clean_username(username)?;
    check_password_rules("password", password)?;
    let hash = hash_password(&state.settings.auth, password).await?;
    let actor = Actor::system();
    let txn = state.begin_write().await?;
    let user = upsert_admin(&*txn, &username, hash).await?;
    let ended = sessions::end_all_for(&*txn, user.id).await?;
    audit::record(
        &*txn,
        &actor,
        "user.recovered",
        format!("user:{}", user.id),
        format!("admin password set from the command line, {ended} session(s) ended"),
    )
    .await?;
    txn.commit().await?;
    Ok(UserView::from(&user))
}
