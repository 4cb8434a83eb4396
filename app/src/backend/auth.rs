//! Who is calling: the [`Actor`] every service takes first. Until users and
//! sign-in land, the vault runs in single-admin mode: every caller that passed
//! the API token check acts as the built-in admin user.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::db::entities::users;
use super::error::ServiceError;

/// The caller of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id (for attribution).
    pub user_id: i32,
    /// Whether the caller may do everything.
    pub is_admin: bool,
}

impl Actor {
    /// Fails unless the caller may change the vault.
    pub fn require_editor(&self) -> Result<(), ServiceError> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }
}

/// The username of the built-in admin of single-admin mode.
pub const BUILTIN_ADMIN: &str = "admin";

/// Finds or creates the built-in admin user and returns it as an actor.
pub async fn builtin_admin(db: &DatabaseConnection) -> Result<Actor, ServiceError> {
    if let Some(user) = users::Entity::find()
        .filter(users::Column::Username.eq(BUILTIN_ADMIN))
        .one(db)
        .await?
    {
        return Ok(Actor {
            user_id: user.id,
            is_admin: true,
        });
    }
    let user = users::ActiveModel {
        username: Set(BUILTIN_ADMIN.to_owned()),
        display_name: Set("Administrator".to_owned()),
        is_admin: Set(true),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Actor {
        user_id: user.id,
        is_admin: true,
    })
}
