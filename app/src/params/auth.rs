//! Inputs for setup, sign-in, users, API tokens and collection grants.

use serde::{Deserialize, Serialize};

use crate::views::auth::Role;

/// The one-time setup and `POST /api/v1/auth/login`: a name and a password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CredentialsParams {
    /// The sign-in name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for CredentialsParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsParams")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

/// `POST /api/v1/auth/password`: change one's own password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ChangePasswordParams {
    /// The password in use now.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordParams { *** }")
    }
}

/// `POST /api/v1/users`: an admin makes an account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CreateUserParams {
    /// The sign-in name (letters, digits, `.`, `_`, `-`; at most 64).
    pub username: String,
    /// The name shown in the UI (defaults to the username).
    #[serde(default)]
    pub display_name: Option<String>,
    /// The first password (the user can change it).
    pub password: String,
    /// Whether the user may do everything.
    #[serde(default)]
    pub is_admin: bool,
}

impl std::fmt::Debug for CreateUserParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUserParams")
            .field("username", &self.username)
            .field("is_admin", &self.is_admin)
            .finish_non_exhaustive()
    }
}

/// `PATCH /api/v1/users/{id}`: an admin edits an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdateUserParams {
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Make or unmake an admin.
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// Disable (ends the user's sessions at once) or enable.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// `POST /api/v1/users/{id}/password`: an admin sets a new password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ResetPasswordParams {
    /// The new password (ends the user's sessions).
    pub new_password: String,
}

impl std::fmt::Debug for ResetPasswordParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetPasswordParams { *** }")
    }
}

/// `POST /api/v1/auth/tokens`: make an API token for oneself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CreateTokenParams {
    /// What the token is for.
    pub name: String,
    /// Days until it stops working; `None` for never.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// `PUT /api/v1/collections/{id}/grants`: give a user a role on a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SetGrantParams {
    /// The user.
    pub user_id: i32,
    /// The role; it applies to the whole subtree.
    pub role: Role,
}

/// `GET /api/v1/audit`: newest entries first, paged by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ListAuditParams {
    /// Only entries older than this id (the last id of the previous page).
    #[serde(default)]
    pub before: Option<i32>,
    /// At most this many (1–500, default 100).
    #[serde(default)]
    pub limit: Option<u32>,
}
