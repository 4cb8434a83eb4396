//! `/api/v1/ingest` and `POST /models/{id}/gcode-revisions`: uploads into
//! `persist_artifact`. New files become jobs (202, poll the job); a revision
//! attached to a model is stored before the answer (201).

use app::backend::ingest::IngestTarget;
use app::backend::ingest::submit::{IngestRequest, ingest_now, split_tags, submit};
use app::backend::jobs;
use app::backend::services::{collections, revisions};
use app::backend::state::AppState;
use app::params::models::UpdateRevisionParams;
use app::views::jobs::{JobKind, JobView};
use app::views::models::IngestOutcome;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::Ids;
use crate::http::upload::read_upload_form;

/// `POST /ingest/model` and `/ingest/orca`: multipart `file` plus optional
/// `model_name`, `collection` (a path such as `Parts/Voron`, created if
/// missing; inside `collection_id` when both are given) or `collection_id`,
/// and `tags` (comma-separated). Answers 202 with the job to poll.
pub async fn upload_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    request: Request,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let form = read_upload_form(&state, request).await?;
    let collection_id = match (form.number("collection_id")?, form.text("collection")) {
        (under, Some(path)) => Some(collections::ensure_path(&state, &actor, under, path).await?),
        (Some(id), None) => Some(id),
        (None, None) => None,
    };
    let target = IngestTarget::NewModel {
        name: form.text("model_name").map(str::to_owned),
        collection_id,
    };
    let tags = form.text("tags").map(split_tags).unwrap_or_default();
    let job = submit(
        &state,
        &actor,
        IngestRequest {
            target,
            tags,
            upload: form.file,
        },
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// `GET /ingest/jobs`: the caller's recent upload jobs, newest first.
pub async fn list_ingest_jobs(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<JobView>>, ApiError> {
    Ok(Json(
        jobs::list_jobs(&state, &actor, Some(JobKind::Ingest), 100).await?,
    ))
}

/// `GET /ingest/jobs/{id}` (and `/jobs/{id}`).
pub async fn get_job(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(jobs::get_job(&state, &actor, id).await?))
}

/// `POST /models/{id}/gcode-revisions`: multipart `file` (G-code, binary
/// G-code or a sliced 3MF) plus optional `label` and `notes`; stored before
/// the answer.
pub async fn upload_revision(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(model_id): Ids<i32>,
    request: Request,
) -> Result<(StatusCode, Json<IngestOutcome>), ApiError> {
    let form = read_upload_form(&state, request).await?;
    let label = form.text("label").map(str::to_owned);
    let notes = form.text("notes").map(str::to_owned);
    let outcome = ingest_now(
        &state,
        &actor,
        IngestRequest {
            target: IngestTarget::Existing(model_id),
            tags: Vec::new(),
            upload: form.file,
        },
    )
    .await?;
    if let IngestOutcome::Attached {
        file_id,
        revision_number: Some(_),
        ..
    } = &outcome
        && (label.is_some() || notes.is_some())
    {
        let params = UpdateRevisionParams {
            label: label.map(Some),
            notes,
            ..Default::default()
        };
        revisions::update_revision(&state, &actor, model_id, *file_id, params).await?;
    }
    Ok((StatusCode::CREATED, Json(outcome)))
}
