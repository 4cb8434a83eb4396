//! `ServiceError`: what a service can fail with, and its one mapping to the
//! wire [`AppError`]. Internal details are logged here once and replaced by a
//! generic message.

use crate::error::{AppError, ErrorCode};

/// A service-layer failure.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The object does not exist (or is invisible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with current state.
    #[error("{0}")]
    Conflict(String),
    /// An input is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The input field.
        field: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The caller is not signed in, or their credentials are wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may not do this.
    #[error("you do not have permission to do this")]
    Forbidden,
    /// Too many attempts in a short time.
    #[error("too many attempts; retry in {retry_after_s} s")]
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_s: u64,
    },
    /// A size limit was exceeded.
    #[error("{0}")]
    TooLarge(String),
    /// A dependency is unreachable.
    #[error("{0}")]
    Unavailable(String),
    /// A database error (details logged, never shown).
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Anything else unexpected (details logged, never shown).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(what) => {
                AppError::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            ServiceError::Conflict(m) => AppError::new(ErrorCode::Conflict, m),
            ServiceError::Invalid { field, reason } => AppError {
                code: ErrorCode::Invalid,
                message: reason,
                field: Some(field.to_owned()),
                retry_after_s: None,
            },
            ServiceError::Unauthenticated(m) => AppError::new(ErrorCode::Unauthenticated, m),
            ServiceError::RateLimited { retry_after_s } => AppError {
                retry_after_s: Some(retry_after_s),
                ..AppError::new(
                    ErrorCode::RateLimited,
                    format!("Too many sign-in attempts. Try again in {retry_after_s} s."),
                )
            },
            ServiceError::Forbidden => AppError::new(
                ErrorCode::Forbidden,
                "You do not have permission to do this.",
            ),
            ServiceError::TooLarge(m) => AppError::new(ErrorCode::TooLarge, m),
            ServiceError::Unavailable(m) => AppError::new(ErrorCode::Unavailable, m),
            ServiceError::Db(db) => {
                tracing::error!(error = %db, "database error");
                AppError::internal()
            }
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                AppError::internal()
            }
        }
    }
}
