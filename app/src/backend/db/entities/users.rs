//! `users`: people who sign in to and act on the vault.

use sea_orm::entity::prelude::*;

/// One user row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub created_at: DateTimeUtc,
    /// PHC string (argon2id); `None` for a user who cannot sign in.
    #[sea_orm(column_type = "Text", nullable)]
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub password_changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
