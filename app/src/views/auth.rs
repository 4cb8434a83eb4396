//! Shapes of users, roles, sign-in state, API tokens, collection grants and
//! the audit log.

use serde::{Deserialize, Serialize};

/// A role on a collection (and its subtree). Ordered: `View < Edit < Admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// See models, download files.
    View,
    /// Also upload, edit, trash and restore models and revisions.
    Edit,
    /// Also create, rename, move and delete sub-collections and grant roles.
    Admin,
}

impl Role {
    /// The stored/wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::View => "view",
            Role::Edit => "edit",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored/wire name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "view" => Some(Role::View),
            "edit" => Some(Role::Edit),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A user as admins and the user themself see them (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UserView {
    /// The user's id.
    pub id: i32,
    /// The sign-in name.
    pub username: String,
    /// The name shown in the UI.
    pub display_name: String,
    /// Whether the user may do everything.
    pub is_admin: bool,
    /// A disabled user cannot sign in and their sessions and tokens stop working.
    pub disabled: bool,
    /// When the account was made (RFC 3339).
    pub created_at: String,
}

/// Who is signed in (`None` from `me` when nobody is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SessionInfo {
    /// The signed-in user.
    pub user: UserView,
}

/// Whether the one-time setup still has to create the first admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SetupStatus {
    /// `true` until an admin with a password exists.
    pub needs_setup: bool,
}

/// What the UI needs to know on every page load: whether the one-time setup
/// must run, and who (if anyone) is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SessionState {
    /// `true` until an admin with a password exists.
    pub needs_setup: bool,
    /// The signed-in user, if any.
    pub user: Option<UserView>,
}

/// An API token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ApiTokenView {
    /// The token's id.
    pub id: i32,
    /// What the owner called it ("PrusaSlicer on the laptop").
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it stops working, if ever (RFC 3339).
    pub expires_at: Option<String>,
    /// When it was last used (RFC 3339), updated at most once a minute.
    pub last_used_at: Option<String>,
    /// When it was revoked (RFC 3339).
    pub revoked_at: Option<String>,
}

/// A newly created token: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CreatedApiToken {
    /// Send it as `Authorization: Bearer <token>` or `X-Api-Key: <token>`.
    pub token: String,
    /// The stored token.
    pub info: ApiTokenView,
}

/// One user's role on a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct GrantView {
    /// The collection the role is granted on (and inherited below).
    pub collection_id: i32,
    /// The user.
    pub user_id: i32,
    /// The user's sign-in name.
    pub username: String,
    /// The role.
    pub role: Role,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// The entry's id (newest first in lists).
    pub id: i32,
    /// When (RFC 3339).
    pub at: String,
    /// Who (user id), if a user.
    pub actor_id: Option<i32>,
    /// Who, by name at the time (empty for the system, `?` for an unknown user).
    pub actor_name: String,
    /// What, e.g. `user.login_failed`, `model.purge`.
    pub action: String,
    /// On what, e.g. `user:3`, `model:17`.
    pub target: String,
    /// More words, never a secret.
    pub detail: String,
    /// The client address.
    pub ip: String,
}

#[cfg(feature = "ssr")]
mod compose {
    use super::{ApiTokenView, AuditEntry, UserView};
    use crate::backend::db::entities::{api_tokens, audit_log, users};

    impl From<&users::Model> for UserView {
        fn from(row: &users::Model) -> Self {
            Self {
                id: row.id,
                username: row.username.clone(),
                display_name: row.display_name.clone(),
                is_admin: row.is_admin,
                disabled: row.disabled,
                created_at: row.created_at.to_rfc3339(),
            }
        }
    }

    impl From<api_tokens::Model> for ApiTokenView {
        fn from(row: api_tokens::Model) -> Self {
            Self {
                id: row.id,
                name: row.name,
                prefix: row.prefix,
                created_at: row.created_at.to_rfc3339(),
                expires_at: row.expires_at.map(|t| t.to_rfc3339()),
                last_used_at: row.last_used_at.map(|t| t.to_rfc3339()),
                revoked_at: row.revoked_at.map(|t| t.to_rfc3339()),
            }
        }
    }

    impl From<audit_log::Model> for AuditEntry {
        fn from(row: audit_log::Model) -> Self {
            Self {
                id: row.id,
                at: row.at.to_rfc3339(),
                actor_id: row.actor_id,
                actor_name: row.actor_name,
                action: row.action,
                target: row.target,
                detail: row.detail,
                ip: row.ip,
            }
        }
    }
}
