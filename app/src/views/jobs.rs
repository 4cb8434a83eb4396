//! Shapes of background jobs: what `GET /api/v1/ingest/jobs/{id}` and
//! `GET /api/v1/jobs/{id}` answer, and what the UI's task list shows.

use serde::{Deserialize, Serialize};

/// Where a job is in its life. The names are the original's, so scripts that
/// poll for `completed` keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Pending,
    /// A worker is on it.
    Running,
    /// Finished; `result` holds what it produced.
    Completed,
    /// Gave up; `error` says why in words a user can act on.
    Failed,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Whether the job will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

/// What kind of work a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// One uploaded file going through `persist_artifact`.
    Ingest,
    /// Purging trashed models past the retention period.
    TrashExpiry,
    /// Deleting blobs no artifact refers to any more (after a grace period).
    BlobGc,
    /// Re-rendering thumbnails.
    ThumbnailRebuild,
    /// Sending a G-code revision to a printer (upload, then maybe start).
    PrintUpload,
}

impl JobKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::TrashExpiry => "trash_expiry",
            Self::BlobGc => "blob_gc",
            Self::ThumbnailRebuild => "thumbnail_rebuild",
            Self::PrintUpload => "print_upload",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "ingest" => Self::Ingest,
            "trash_expiry" => Self::TrashExpiry,
            "blob_gc" => Self::BlobGc,
            "thumbnail_rebuild" => Self::ThumbnailRebuild,
            "print_upload" => Self::PrintUpload,
            _ => return None,
        })
    }
}

/// One job as callers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct JobView {
    /// The job's id (poll `GET /api/v1/jobs/{job_id}`).
    pub job_id: i32,
    /// What it does.
    pub kind: JobKind,
    /// Where it is.
    pub state: JobState,
    /// Units done so far (files, models, blobs).
    pub progress_done: i64,
    /// Units in all (0 while unknown).
    pub progress_total: i64,
    /// Percent done, 0–100 (100 once completed).
    pub progress: u8,
    /// What it is doing now, or what it did.
    pub message: String,
    /// Why it failed.
    pub error: Option<String>,
    /// What it produced (for ingest: the ingest outcome).
    pub result: Option<serde_json::Value>,
    /// When it was queued (RFC 3339, UTC).
    pub created_at: String,
    /// When a worker started it.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
}

#[cfg(feature = "ssr")]
mod compose {
    use super::{JobKind, JobState, JobView};
    use crate::backend::db::entities::jobs;

    impl From<jobs::Model> for JobView {
        fn from(row: jobs::Model) -> Self {
            let state = JobState::parse(&row.status).unwrap_or(JobState::Failed);
            let progress = if state == JobState::Completed {
                100
            } else if row.progress_total > 0 {
                let pct = row.progress_done.clamp(0, row.progress_total) * 100 / row.progress_total;
                u8::try_from(pct).unwrap_or(100)
            } else {
                0
            };
            Self {
                job_id: row.id,
                kind: JobKind::parse(&row.kind).unwrap_or(JobKind::Ingest),
                state,
                progress_done: row.progress_done,
                progress_total: row.progress_total,
                progress,
                message: row.message,
                error: row.error,
                result: row.result,
                created_at: row.created_at.to_rfc3339(),
                started_at: row.started_at.map(|t| t.to_rfc3339()),
                finished_at: row.finished_at.map(|t| t.to_rfc3339()),
            }
        }
    }
}
