//! Upload requests around `persist_artifact`: the asynchronous form (a
//! durable `ingest` job per file, as `POST /api/v1/ingest/model` answers 202
//! with a job to poll) and the synchronous form (revision attach, server
//! functions). Both apply the request's tags to a newly created model.

use sea_orm::{EntityTrait, QueryFilter};
use tracing::Instrument;

use super::{IngestTarget, Upload, clean_filename, persist_artifact};
use crate::backend::auth::Actor;
use crate::backend::db::entities::models;
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::formats::inspect::detect_kind;
use crate::backend::jobs;
use crate::backend::services::{collections, tags};
use crate::backend::state::AppState;
use crate::views::jobs::{JobKind, JobView};
use crate::views::models::IngestOutcome;

/// One uploaded file and what to do with it.
pub struct IngestRequest {
    /// New model or existing one.
    pub target: IngestTarget,
    /// Tags for a newly created model (ignored for duplicates).
    pub tags: Vec<String>,
    /// The staged bytes.
    pub upload: Upload,
}

/// Splits the original's comma-separated `tags` field into names.
pub fn split_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks what can be checked before any work (so the caller gets a 4xx
/// instead of a failed job).
async fn precheck(
    state: &AppState,
    actor: &Actor,
    request: &IngestRequest,
) -> Result<(), ServiceError> {
    let filename = clean_filename(&request.upload.filename)?;
    if request.upload.staged.size_bytes() == 0 {
        return Err(ServiceError::Invalid {
            field: "file",
            reason: format!("\"{filename}\" is empty."),
        });
    }
    let head = read_head(request.upload.staged.path()).await?;
    if detect_kind(&filename, &head).is_none() {
        return Err(ServiceError::Invalid {
            field: "file",
            reason: format!(
                "\"{filename}\" is not a file type PrintStash stores (STL, OBJ, 3MF, G-code, binary G-code)."
            ),
        });
    }
    for tag in &request.tags {
        tags::clean_tag_name(tag)?;
    }
    match request.target {
        IngestTarget::NewModel {
            collection_id: Some(id),
            ..
        } => {
            collections::ensure_exists(&state.db, id, "collection_id").await?;
        }
        IngestTarget::Existing(id) => {
            models::Entity::find_by_id(id)
                .filter(scopes::live::<models::Entity>())
                .one(&state.db)
                .await?
                .ok_or(ServiceError::NotFound("model"))?;
        }
        IngestTarget::NewModel {
            collection_id: None,
            ..
        } => {}
    }
    super::authorize_target(&state.db, actor, &request.target).await
}

/// The first bytes of a staged file (enough for type detection).
async fn read_head(path: &std::path::Path) -> Result<Vec<u8>, ServiceError> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|err| ServiceError::Internal(format!("cannot reopen the staged upload: {err}")))?;
    let mut head = Vec::with_capacity(512);
    file.take(512)
        .read_to_end(&mut head)
        .await
        .map_err(|err| ServiceError::Internal(format!("cannot read the staged upload: {err}")))?;
    Ok(head)
}

/// Stores the file now and returns the outcome.
pub async fn ingest_now(
    state: &AppState,
    actor: &Actor,
    request: IngestRequest,
) -> Result<IngestOutcome, ServiceError> {
    precheck(state, actor, &request).await?;
    let _slot =
        state.background.ingest_slots.acquire().await.map_err(|_| {
            ServiceError::Unavailable("The server is shutting down; try again.".into())
        })?;
    run(state, actor, request).await
}

async fn run(
    state: &AppState,
    actor: &Actor,
    request: IngestRequest,
) -> Result<IngestOutcome, ServiceError> {
    let IngestRequest {
        target,
        tags: tag_names,
        upload,
    } = request;
    let outcome = persist_artifact(state, actor, target, upload).await?;
    if let IngestOutcome::Created { model_id, .. } = &outcome
        && !tag_names.is_empty()
    {
        let txn = state.begin_write().await?;
        tags::set_model_tags(&*txn, *model_id, &tag_names).await?;
        txn.commit().await?;
    }
    Ok(outcome)
}

/// Queues the file as an `ingest` job and returns at once; a task stores it
/// when an ingest slot is free and records the outcome on the job.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    request: IngestRequest,
) -> Result<JobView, ServiceError> {
    precheck(state, actor, &request).await?;
    let payload = serde_json::json!({
        "filename": clean_filename(&request.upload.filename)?,
        "size_bytes": request.upload.staged.size_bytes(),
        "sha256": request.upload.staged.sha256().as_str(),
    });
    let job = jobs::enqueue(
        &state.db,
        JobKind::Ingest,
        Some(payload),
        actor.user_id,
        "waiting for a free slot",
    )
    .await?;
    let view = JobView::from(job.clone());
    let task_state = state.clone();
    let task_actor = actor.clone();
    let span = tracing::info_span!("ingest_job", job.id = job.id);
    tokio::spawn(
        async move {
            let Ok(_slot) = task_state
                .background
                .ingest_slots
                .clone()
                .acquire_owned()
                .await
            else {
                return;
            };
            if let Err(err) = jobs::start(&task_state.db, job.id, "reading the file").await {
                tracing::warn!(error = %err, "could not mark the job running");
            }
            let recorded = match run(&task_state, &task_actor, request).await {
                Ok(outcome) => {
                    let message = outcome_message(&outcome);
                    let result = serde_json::to_value(&outcome).ok();
                    jobs::complete(&task_state.db, job.id, &message, result).await
                }
                Err(err) => {
                    let shown = crate::error::AppError::from(err).message;
                    jobs::fail(&task_state.db, job.id, &shown).await
                }
            };
            if let Err(err) = recorded {
                tracing::error!(error = %err, "could not record the ingest outcome");
            }
        }
        .instrument(span),
    );
    Ok(view)
}

fn outcome_message(outcome: &IngestOutcome) -> String {
    match outcome {
        IngestOutcome::Created { model_id, .. } => format!("stored as new model {model_id}"),
        IngestOutcome::Duplicate { model_name, .. } => {
            format!("already in the vault as \"{model_name}\"")
        }
        IngestOutcome::DuplicateInTrash { model_name, .. } => {
            format!(
                "already in the vault as \"{model_name}\", which is in the trash; restore it instead"
            )
        }
        IngestOutcome::Attached {
            model_id,
            revision_number,
            ..
        } => match revision_number {
            Some(n) => format!("added to model {model_id} as revision {n}"),
            None => format!("added to model {model_id}"),
        },
    }
}
