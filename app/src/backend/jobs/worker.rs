//! The maintenance worker: one task that queues trash expiry and orphan-blob
//! GC every `VAULT_MAINTENANCE_INTERVAL_MINUTES` (and once after boot), and
//! runs pending maintenance jobs (those two and thumbnail rebuilds) one at a
//! time, recording progress and outcome in the `jobs` table.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tracing::Instrument;

use super::{
    complete, enqueue, fail, is_outstanding, next_pending_maintenance, progress, prune_finished,
    start,
};
use crate::backend::db::entities::jobs;
use crate::backend::error::ServiceError;
use crate::backend::runtime_settings;
use crate::backend::services::{gc, models as model_service, thumbnails};
use crate::backend::state::AppState;
use crate::views::jobs::JobKind;

/// How long finished jobs are kept for people to look at.
const KEEP_FINISHED_DAYS: i64 = 7;

/// Handles shared by everything that starts background work.
#[derive(Clone, Debug)]
pub struct Background {
    /// Wakes the maintenance worker when a job is queued.
    pub wake: Arc<Notify>,
    /// Limits how many uploads are analysed at once.
    pub ingest_slots: Arc<Semaphore>,
}

impl Background {
    /// Handles for `ingest_concurrency` parallel uploads.
    pub fn new(ingest_concurrency: u32) -> Self {
        Self {
            wake: Arc::new(Notify::new()),
            ingest_slots: Arc::new(Semaphore::new(ingest_concurrency.max(1) as usize)),
        }
    }
}

/// Queues a maintenance job (unless one of that kind is already waiting or
/// running) and wakes the worker. Returns the job row.
pub async fn queue_maintenance(
    state: &AppState,
    kind: JobKind,
    payload: Option<serde_json::Value>,
    created_by: Option<i32>,
) -> Result<Option<jobs::Model>, ServiceError> {
    if is_outstanding(&state.db, kind).await? {
        return Ok(None);
    }
    let job = enqueue(&state.db, kind, payload, created_by, "queued").await?;
    state.background.wake.notify_one();
    Ok(Some(job))
}

/// Runs until `shutdown` resolves. Call [`super::recover_after_restart`] before.
pub async fn run(state: AppState, shutdown: impl std::future::Future<Output = ()>) {
    let every = Duration::from_secs(u64::from(state.settings.maintenance_interval_minutes) * 60);
    // First tick shortly after boot, so a restart does not postpone expiry by an interval.
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(5), every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => schedule(&state).await,
            () = state.background.wake.notified() => {}
        }
        // A job cut off by shutdown stays `running` and is resumed at the next boot.
        tokio::select! {
            () = &mut shutdown => break,
            () = drain(&state) => {}
        }
    }
    tracing::debug!("maintenance worker stopped");
}

async fn schedule(state: &AppState) {
    for kind in [JobKind::TrashExpiry, JobKind::BlobGc] {
        if let Err(err) = queue_maintenance(state, kind, None, None).await {
            tracing::warn!(error = %err, kind = kind.as_str(), "could not queue maintenance");
        }
    }
    match prune_finished(&state.db, chrono::Duration::days(KEEP_FINISHED_DAYS)).await {
        Ok(n) if n > 0 => tracing::debug!(pruned = n, "old jobs removed"),
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "could not prune old jobs"),
    }
}

/// Runs pending maintenance jobs until none is left.
pub async fn drain(state: &AppState) {
    loop {
        let job = match next_pending_maintenance(&state.db).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the job queue");
                return;
            }
        };
        let span = tracing::info_span!("job", job.id = job.id, job.kind = %job.kind);
        run_one(state, job).instrument(span).await;
    }
}

async fn run_one(state: &AppState, job: jobs::Model) {
    match start(&state.db, job.id, "running").await {
        Ok(true) => {}
        Ok(false) => return,
        Err(err) => {
            tracing::warn!(error = %err, "could not start job");
            return;
        }
    }
    let outcome = execute(state, &job).await;
    let recorded = match outcome {
        Ok((message, result)) => complete(&state.db, job.id, &message, Some(result)).await,
        Err(err) => {
            let shown = crate::error::AppError::from(err).message;
            tracing::warn!(error = %shown, "job failed");
            fail(&state.db, job.id, &shown).await
        }
    };
    if let Err(err) = recorded {
        tracing::error!(error = %err, "could not record the job's outcome");
    }
}

async fn execute(
    state: &AppState,
    job: &jobs::Model,
) -> Result<(String, serde_json::Value), ServiceError> {
    let id = job.id;
    let db = state.db.clone();
    let report = async move |done: u64, total: u64| {
        let (done, total) = (
            i64::try_from(done).unwrap_or(i64::MAX),
            i64::try_from(total).unwrap_or(i64::MAX),
        );
        if let Err(err) = progress(&db, id, done, total, "running").await {
            tracing::debug!(error = %err, "progress not recorded");
        }
    };
    match JobKind::parse(&job.kind) {
        Some(JobKind::TrashExpiry) => {
            let purged = model_service::purge_expired_trash(state, &state.system).await?;
            Ok((
                format!("purged {purged} expired model(s)"),
                serde_json::json!({ "purged": purged }),
            ))
        }
        Some(JobKind::BlobGc) => {
            let grace = chrono::Duration::hours(i64::from(
                runtime_settings::effective(state)
                    .await?
                    .blob_gc_grace_hours,
            ));
            let gc = gc::collect_orphan_blobs(state, grace, report).await?;
            Ok((
                format!(
                    "deleted {} unreferenced file(s), {} bytes",
                    gc.blobs_deleted, gc.bytes_freed
                ),
                serde_json::to_value(gc).unwrap_or_default(),
            ))
        }
        Some(JobKind::ThumbnailRebuild) => {
            let only_missing = job
                .payload
                .as_ref()
                .and_then(|p| p.get("only_missing"))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            let rebuilt = thumbnails::rebuild_thumbnails(state, only_missing, report).await?;
            Ok((
                format!("rebuilt {} thumbnail(s)", rebuilt.rebuilt),
                serde_json::to_value(rebuilt).unwrap_or_default(),
            ))
        }
        Some(JobKind::Ingest | JobKind::PrintUpload) | None => {
            Err(ServiceError::Internal(format!(
                "job kind {:?} is not run by the maintenance worker",
                job.kind
            )))
        }
    }
}
