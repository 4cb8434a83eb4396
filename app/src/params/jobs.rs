//! Request shapes for background jobs.

use serde::{Deserialize, Serialize};

use crate::views::jobs::JobKind;

/// `POST /api/v1/jobs`: run a maintenance job now (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct QueueJobParams {
    /// `trash_expiry`, `blob_gc` or `thumbnail_rebuild`.
    pub kind: JobKind,
    /// For `thumbnail_rebuild`: only artifacts that have no thumbnail yet.
    #[serde(default)]
    pub only_missing: bool,
}

/// `GET /api/v1/jobs`: newest jobs first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ListJobsParams {
    /// Only jobs of this kind.
    #[serde(default)]
    pub kind: Option<JobKind>,
    /// At most this many (1–500, default 100).
    #[serde(default)]
    pub limit: Option<u64>,
}
