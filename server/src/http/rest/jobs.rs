//! `/api/v1/jobs`: background jobs (uploads, trash expiry, orphan GC,
//! thumbnail rebuilds) with progress; admins can start maintenance now.

use app::backend::jobs;
use app::backend::state::AppState;
use app::params::jobs::{ListJobsParams, QueueJobParams};
use app::views::jobs::JobView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, QueryParams};

/// `GET /jobs`.
pub async fn list_jobs(
    State(state): State<AppState>,
    Caller(actor): Caller,
    QueryParams(params): QueryParams<ListJobsParams>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    Ok(Json(
        jobs::list_jobs(&state, &actor, params.kind, params.limit.unwrap_or(100)).await?,
    ))
}

/// `POST /jobs`: queue a maintenance job (202).
pub async fn queue_job(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(params): JsonBody<QueueJobParams>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(jobs::queue_job(&state, &actor, &params).await?),
    ))
}
