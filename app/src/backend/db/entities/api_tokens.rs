//! `api_tokens`: per-user secrets for scripts and slicers, stored as SHA-256.

use sea_orm::entity::prelude::*;

/// One API token row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    /// Hex SHA-256 of the secret.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// The first characters of the secret, to tell tokens apart in lists.
    pub prefix: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
