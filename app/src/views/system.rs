//! Shapes describing the running server: identity and health.

use serde::{Deserialize, Serialize};

/// Which database engine the vault runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl DatabaseKind {
    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// What the footer shows: which build runs on which database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ServerInfo {
    /// The PrintStash version (semver).
    pub version: String,
    /// The database engine in use.
    pub database: DatabaseKind,
}

/// Whether a dependency answered a health probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Everything answered.
    Ok,
    /// Something did not answer; see the server log.
    Degraded,
}

/// The answer of `GET /api/v1/health` and of the UI's "check" button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Health {
    /// `ok` when the database answered, `degraded` otherwise.
    pub status: HealthStatus,
    /// The PrintStash version (semver).
    pub version: String,
    /// The database engine in use.
    pub database: DatabaseKind,
    /// Server time of the check, RFC 3339 in UTC.
    pub checked_at: String,
}
