//! Durable jobs: the `jobs` table as a small state machine
//! (pending → running → completed | failed) with progress, and what happens
//! to unfinished jobs after a restart. The maintenance worker lives in
//! [`worker`]; ingest jobs are run by `ingest::submit`.

pub mod worker;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::backend::auth::Actor;
use crate::backend::db::entities::jobs;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::views::jobs::{JobKind, JobState, JobView};

/// Jobs run by the requests that made them, not by the maintenance worker.
const REQUEST_JOBS: [JobKind; 2] = [JobKind::Ingest, JobKind::PrintUpload];

/// Why a send-to-printer job did not survive a restart.
pub const INTERRUPTED_PRINT_UPLOAD: &str =
    "The server restarted while sending this file to the printer; send it again.";

/// Why an upload job did not survive a restart (its bytes were only staged).
pub const INTERRUPTED_UPLOAD: &str =
    "The server restarted before this upload was stored; nothing was kept. Upload the file again.";

/// Queues a job and returns its row.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: JobKind,
    payload: Option<serde_json::Value>,
    created_by: Option<i32>,
    message: &str,
) -> Result<jobs::Model, ServiceError> {
    Ok(jobs::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        status: Set(JobState::Pending.as_str().to_owned()),
        progress_done: Set(0),
        progress_total: Set(0),
        message: Set(message.to_owned()),
        error: Set(None),
        payload: Set(payload),
        result: Set(None),
        attempts: Set(0),
        created_by: Set(created_by),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Moves a pending job to running (counting the attempt). `false` when
/// another worker took it first or it is no longer pending.
pub async fn start(
    db: &impl ConnectionTrait,
    id: i32,
    message: &str,
) -> Result<bool, ServiceError> {
    let res = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobState::Running.as_str()),
        )
        .col_expr(jobs::Column::StartedAt, Expr::value(chrono::Utc::now()))
        .col_expr(jobs::Column::Message, Expr::value(message))
        .col_expr(
            jobs::Column::Attempts,
            Expr::col(jobs::Column::Attempts).add(1),
        )
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Status.eq(JobState::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records progress of a running job.
pub async fn progress(
    db: &impl ConnectionTrait,
    id: i32,
    done: i64,
    total: i64,
    message: &str,
) -> Result<(), ServiceError> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::ProgressDone, Expr::value(done))
        .col_expr(jobs::Column::ProgressTotal, Expr::value(total))
        .col_expr(jobs::Column::Message, Expr::value(message))
        .filter(jobs::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends a job successfully with its result.
pub async fn complete(
    db: &impl ConnectionTrait,
    id: i32,
    message: &str,
    result: Option<serde_json::Value>,
) -> Result<(), ServiceError> {
    finish(db, id, JobState::Completed, message, None, result).await
}

/// Ends a job as failed with a message a user can act on.
pub async fn fail(db: &impl ConnectionTrait, id: i32, error: &str) -> Result<(), ServiceError> {
    finish(db, id, JobState::Failed, "failed", Some(error), None).await
}

async fn finish(
    db: &impl ConnectionTrait,
    id: i32,
    state: JobState,
    message: &str,
    error: Option<&str>,
    result: Option<serde_json::Value>,
) -> Result<(), ServiceError> {
    let mut update = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(state.as_str()))
        .col_expr(jobs::Column::Message, Expr::value(message))
        .col_expr(jobs::Column::Error, Expr::value(error.map(str::to_owned)))
        .col_expr(jobs::Column::FinishedAt, Expr::value(chrono::Utc::now()));
    if let Some(result) = result {
        update = update.col_expr(jobs::Column::Result, Expr::value(result));
    }
    if state == JobState::Completed {
        update = update.col_expr(
            jobs::Column::ProgressDone,
            Expr::col(jobs::Column::ProgressTotal),
        );
    }
    update.filter(jobs::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// One job, as the caller may see it (their own, or any for an admin).
pub async fn get_job(state: &AppState, actor: &Actor, id: i32) -> Result<JobView, ServiceError> {
    let row = jobs::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("job"))?;
    if !actor.is_admin && row.created_by != actor.user_id {
        return Err(ServiceError::NotFound("job"));
    }
    Ok(row.into())
}

/// The newest jobs the caller may see, optionally of one kind.
pub async fn list_jobs(
    state: &AppState,
    actor: &Actor,
    kind: Option<JobKind>,
    limit: u64,
) -> Result<Vec<JobView>, ServiceError> {
    let mut query = jobs::Entity::find()
        .order_by_desc(jobs::Column::Id)
        .limit(limit.clamp(1, 500));
    if let Some(kind) = kind {
        query = query.filter(jobs::Column::Kind.eq(kind.as_str()));
    }
    if !actor.is_admin {
        query = query.filter(jobs::Column::CreatedBy.eq(actor.user_id.unwrap_or(-1)));
    }
    Ok(query
        .all(&state.db)
        .await?
        .into_iter()
        .map(JobView::from)
        .collect())
}

/// What [`recover_after_restart`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// Upload jobs marked failed (their staged bytes are gone).
    pub failed_uploads: u64,
    /// Maintenance jobs put back in the queue to run again.
    pub requeued: u64,
}

/// Called once at boot, before any worker starts: nothing is running yet, so
/// every job still marked pending/running was interrupted. Uploads cannot
/// resume (their bytes were only staged) and are failed with a reason;
/// maintenance jobs are idempotent and go back to pending.
pub async fn recover_after_restart(db: &impl ConnectionTrait) -> Result<Recovery, ServiceError> {
    let unfinished = [JobState::Pending.as_str(), JobState::Running.as_str()];
    let failed_uploads = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(JobState::Failed.as_str()))
        .col_expr(jobs::Column::Error, Expr::value(INTERRUPTED_UPLOAD))
        .col_expr(jobs::Column::Message, Expr::value("interrupted"))
        .col_expr(jobs::Column::FinishedAt, Expr::value(chrono::Utc::now()))
        .filter(jobs::Column::Kind.eq(JobKind::Ingest.as_str()))
        .filter(jobs::Column::Status.is_in(unfinished))
        .exec(db)
        .await?
        .rows_affected;
    let failed_sends = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(JobState::Failed.as_str()))
        .col_expr(jobs::Column::Error, Expr::value(INTERRUPTED_PRINT_UPLOAD))
        .col_expr(jobs::Column::Message, Expr::value("interrupted"))
        .col_expr(jobs::Column::FinishedAt, Expr::value(chrono::Utc::now()))
        .filter(jobs::Column::Kind.eq(JobKind::PrintUpload.as_str()))
        .filter(jobs::Column::Status.is_in(unfinished))
        .exec(db)
        .await?
        .rows_affected;
    let requeued = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobState::Pending.as_str()),
        )
        .col_expr(
            jobs::Column::Message,
            Expr::value("resuming after a restart"),
        )
        .filter(jobs::Column::Kind.is_not_in(REQUEST_JOBS.map(JobKind::as_str)))
        .filter(jobs::Column::Status.eq(JobState::Running.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Recovery {
        failed_uploads: failed_uploads + failed_sends,
        requeued,
    })
}

/// The oldest pending maintenance job, if any.
pub async fn next_pending_maintenance(
    db: &impl ConnectionTrait,
) -> Result<Option<jobs::Model>, ServiceError> {
    Ok(jobs::Entity::find()
        .filter(jobs::Column::Status.eq(JobState::Pending.as_str()))
        .filter(jobs::Column::Kind.is_not_in(REQUEST_JOBS.map(JobKind::as_str)))
        .order_by_asc(jobs::Column::Id)
        .one(db)
        .await?)
}

/// Whether a job of `kind` is already waiting or running (so the scheduler
/// does not pile up duplicates).
pub async fn is_outstanding(
    db: &impl ConnectionTrait,
    kind: JobKind,
) -> Result<bool, ServiceError> {
    Ok(jobs::Entity::find()
        .filter(jobs::Column::Kind.eq(kind.as_str()))
        .filter(
            jobs::Column::Status.is_in([JobState::Pending.as_str(), JobState::Running.as_str()]),
        )
        .one(db)
        .await?
        .is_some())
}

/// Deletes finished jobs older than `keep` so the table stays small.
pub async fn prune_finished(
    db: &impl ConnectionTrait,
    keep: chrono::Duration,
) -> Result<u64, ServiceError> {
    let cutoff = chrono::Utc::now() - keep;
    Ok(jobs::Entity::delete_many()
        .filter(
            jobs::Column::Status.is_in([JobState::Completed.as_str(), JobState::Failed.as_str()]),
        )
        .filter(jobs::Column::FinishedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

/// Queues a maintenance job on request (admin only). Conflicts when one of
/// that kind is already waiting or running.
pub async fn queue_job(
    state: &AppState,
    actor: &Actor,
    params: &crate::params::jobs::QueueJobParams,
) -> Result<JobView, ServiceError> {
    if !actor.is_admin {
        return Err(ServiceError::Forbidden);
    }
    if params.kind == JobKind::Ingest {
        return Err(ServiceError::Invalid {
            field: "kind",
            reason: "Ingest jobs are created by uploading a file to /api/v1/ingest/model.".into(),
        });
    }
    if params.kind == JobKind::PrintUpload {
        return Err(ServiceError::Invalid {
            field: "kind",
            reason:
                "Print uploads are created by sending a revision: POST /api/v1/printers/{id}/send."
                    .into(),
        });
    }
    let payload = (params.kind == JobKind::ThumbnailRebuild)
        .then(|| serde_json::json!({ "only_missing": params.only_missing }));
    match worker::queue_maintenance(state, params.kind, payload, actor.user_id).await? {
        Some(job) => Ok(job.into()),
        None => Err(ServiceError::Conflict(format!(
            "A {} job is already waiting or running; see GET /api/v1/jobs?kind={}.",
            params.kind.as_str(),
            params.kind.as_str()
        ))),
    }
}
