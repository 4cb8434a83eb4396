//! Server functions for background jobs (uploads, trash expiry, orphan GC,
//! thumbnail rebuilds): poll one, list recent ones, start maintenance now.
//! The same calls as `server/src/http/rest/{jobs,ingest}.rs`. Upload jobs
//! are created by the REST multipart endpoint, not here (see [`super`]).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::backend::jobs;
use crate::error::AppError;
use crate::params::jobs::{ListJobsParams, QueueJobParams};
use crate::views::jobs::JobView;

/// One job with its progress (poll it while an upload is processed).
#[server(endpoint = "get_job", input = Json)]
pub async fn get_job(id: i32) -> Result<JobView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(jobs::get_job(&state, &actor, id).await?)
}

/// The newest jobs the caller may see (100 unless `limit` says otherwise).
#[server(endpoint = "list_jobs", input = Json)]
pub async fn list_jobs(params: ListJobsParams) -> Result<Vec<JobView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(jobs::list_jobs(&state, &actor, params.kind, params.limit.unwrap_or(100)).await?)
}

/// Queues a maintenance job now (admin; conflicts when one is outstanding).
#[server(endpoint = "queue_job", input = Json)]
pub async fn queue_job(params: QueueJobParams) -> Result<JobView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(jobs::queue_job(&state, &actor, &params).await?)
}
