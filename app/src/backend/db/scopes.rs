//! Live vs trashed, in one place. Every query that cares whether a model or
//! file is in the trash uses [`live`] or [`trashed`]; a hand-written
//! `deleted_at IS NULL` anywhere else is a bug.

use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ColumnTrait, EntityTrait};

use super::entities::{files, models};

/// An entity that is soft-deleted through a `deleted_at` column.
pub trait SoftDeletable: EntityTrait {
    /// The `deleted_at` column.
    const DELETED_AT: Self::Column;
}

impl SoftDeletable for models::Entity {
    const DELETED_AT: Self::Column = models::Column::DeletedAt;
}

impl SoftDeletable for files::Entity {
    const DELETED_AT: Self::Column = files::Column::DeletedAt;
}

/// Rows not in the trash.
pub fn live<E: SoftDeletable>() -> SimpleExpr {
    E::DELETED_AT.is_null()
}

/// Rows in the trash.
pub fn trashed<E: SoftDeletable>() -> SimpleExpr {
    E::DELETED_AT.is_not_null()
}
