//! The server's identity and health: what version runs on which database,
//! and whether the database answers.

use sea_orm::ConnectionTrait;

use crate::backend::db;
use crate::backend::state::AppState;
use crate::views::system::{Health, HealthStatus, ServerInfo};

/// Which build runs on which database.
pub fn server_info(state: &AppState) -> ServerInfo {
    ServerInfo {
        version: crate::VERSION.to_owned(),
        database: db::kind_of(&state.db),
    }
}

/// Probes the database with a trivial query.
pub async fn check_health(state: &AppState) -> Health {
    let status = match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => HealthStatus::Ok,
        Err(err) => {
            tracing::warn!(error = %err, "health check: database did not answer");
            HealthStatus::Degraded
        }
    };
    Health {
        status,
        version: crate::VERSION.to_owned(),
        database: db::kind_of(&state.db),
        checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}
