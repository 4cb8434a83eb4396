//! Sending a revision to a printer and what follows: the preflight (does the
//! G-code fit this printer?), the upload with progress as a job, the print
//! job row, following the job through the printer's live status, and
//! recording how it went on the revision. Print history per printer and per
//! revision.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use tokio::sync::broadcast;

use crate::backend::auth::{Actor, audit};
use crate::backend::db::entities::{
    file_metadata, files, models, print_jobs, printer_files, printers, users,
};
use crate::backend::error::ServiceError;
use crate::backend::jobs;
use crate::backend::printers::hub::{HubEvent, PrinterHub};
use crate::backend::state::AppState;
use crate::params::models::UpdateRevisionParams;
use crate::params::printers::SendParams;
use crate::views::auth::Role;
use crate::views::jobs::{JobKind, JobView};
use crate::views::models::{FileKind, Outcome};
use crate::views::printers::{
    JobState, Preflight, PreflightCheck, PrintJobView, PrintState, PrinterProvider,
};

/// A G-code file the caller may see, with its model.
async fn revision_for(
    state: &AppState,
    actor: &Actor,
    file_id: i32,
) -> Result<(files::Model, models::Model), ServiceError> {
    let file = super::files::find_file(state, actor, file_id).await?;
    if file.deleted_at.is_some() || !FileKind::parse(&file.kind).is_some_and(FileKind::is_gcode) {
        return Err(ServiceError::Invalid {
            field: "file_id",
            reason: "Only a live G-code revision can be sent to a printer.".into(),
        });
    }
    let model = models::Entity::find_by_id(file.model_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("model"))?;
    Ok((file, model))
}

fn text_or(value: Option<String>, missing: &str) -> String {
    value.unwrap_or_else(|| missing.to_owned())
}

fn normalise(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Compares what the G-code was sliced for with the printer.
pub fn preflight_checks(
    printer: &printers::Model,
    kind: FileKind,
    meta: Option<&file_metadata::Model>,
) -> Preflight {
    let provider = PrinterProvider::parse(&printer.provider).unwrap_or(PrinterProvider::Moonraker);
    let unknown = "not known";
    let missing = "not in the file";
    let mut checks = Vec::new();

    let sliced_for = meta.and_then(|m| m.printer_model.clone());
    checks.push(PreflightCheck {
        what: "Printer model".into(),
        ok: match (&sliced_for, &printer.model) {
            (Some(g), Some(p)) => {
                Some(normalise(g).contains(&normalise(p)) || normalise(p).contains(&normalise(g)))
            }
            _ => None,
        },
        advice: Some("Sliced for another printer: check the profile before printing.".into()),
        gcode: text_or(sliced_for, missing),
        printer: text_or(printer.model.clone(), unknown),
    });

    let nozzle = meta.and_then(|m| m.nozzle_diameter_mm);
    checks.push(PreflightCheck {
        what: "Nozzle".into(),
        ok: match (nozzle, printer.nozzle_diameter_mm) {
            (Some(g), Some(p)) => Some((g - p).abs() < 0.01),
            _ => None,
        },
        advice: Some("The nozzle differs: extrusion widths and flow will be wrong.".into()),
        gcode: nozzle.map_or_else(|| missing.to_owned(), |n| format!("{n:.2} mm")),
        printer: printer
            .nozzle_diameter_mm
            .map_or_else(|| unknown.to_owned(), |n| format!("{n:.2} mm")),
    });

    let footprint = meta.and_then(|m| Some((m.bbox_x_mm?, m.bbox_y_mm?)));
    let bed = printer.bed_x_mm.zip(printer.bed_y_mm);
    checks.push(PreflightCheck {
        what: "Bed size".into(),
        ok: match (footprint, bed) {
            (Some((x, y)), Some((bx, by))) => {
                Some((x <= bx + 0.5 && y <= by + 0.5) || (y <= bx + 0.5 && x <= by + 0.5))
            }
            _ => None,
        },
        advice: Some("The print is larger than the bed.".into()),
        gcode: footprint.map_or_else(
            || missing.to_owned(),
            |(x, y)| format!("{x:.0} × {y:.0} mm"),
        ),
        printer: bed.map_or_else(
            || unknown.to_owned(),
            |(x, y)| format!("{x:.0} × {y:.0} mm"),
        ),
    });

    let flavour = meta
        .and_then(|m| m.slicer_config.as_ref())
        .and_then(|c| c.get("gcode_flavor").or_else(|| c.get("gcode_flavour")))
        .and_then(|v| v.as_str().map(str::to_owned));
    let (expected, fits) = match provider {
        PrinterProvider::Moonraker => (
            "Klipper (or Marlin-compatible)",
            flavour.as_deref().map(|f| {
                matches!(
                    f.to_lowercase().as_str(),
                    "klipper" | "marlin" | "marlin2" | "marlinlegacy" | "reprapfirmware" | "reprap"
                )
            }),
        ),
        PrinterProvider::Bambu => (
            "a Bambu/Orca .gcode.3mf project",
            Some(kind == FileKind::Gcode3mf),
        ),
    };
    checks.push(PreflightCheck {
        what: "G-code flavour".into(),
        ok: fits,
        advice: Some(match provider {
            PrinterProvider::Bambu => "Bambu printers print sliced .gcode.3mf projects; slice with Bambu Studio or OrcaSlicer and export the plate.".into(),
            PrinterProvider::Moonraker => "The G-code was written for another firmware.".into(),
        }),
        gcode: match (provider, flavour) {
            (PrinterProvider::Bambu, _) => kind.label().to_owned(),
            (_, Some(f)) => f,
            (_, None) => missing.to_owned(),
        },
        printer: expected.to_owned(),
    });
    for check in &mut checks {
        if check.ok != Some(false) {
            check.advice = None;
        }
    }
    let ok = checks.iter().all(|c| c.ok != Some(false));
    Preflight { checks, ok }
}

/// The preflight of sending `file_id` to `printer_id`.
pub async fn preflight(
    state: &AppState,
    actor: &Actor,
    printer_id: i32,
    file_id: i32,
) -> Result<Preflight, ServiceError> {
    let printer = super::printers::printer_row(state, actor, printer_id).await?;
    let (file, _) = revision_for(state, actor, file_id).await?;
    let meta = file_metadata::Entity::find_by_id(file_id)
        .one(&state.db)
        .await?;
    let kind = FileKind::parse(&file.kind).unwrap_or(FileKind::Gcode);
    Ok(preflight_checks(&printer, kind, meta.as_ref()))
}

/// The name a revision gets on the printer: the upload name, made safe.
fn remote_name_for(file: &files::Model) -> String {
    let name: String = file
        .original_filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_matches('.').to_owned();
    if name.is_empty() {
        format!("printstash-{}.gcode", file.id)
    } else {
        name
    }
}

/// Puts a revision on a printer (and starts it when asked). Runs as a job:
/// poll it for upload progress; its result names the print job.
pub async fn send_to_printer(
    state: &AppState,
    actor: &Actor,
    printer_id: i32,
    params: SendParams,
) -> Result<JobView, ServiceError> {
    let user_id = actor.require_user()?;
    let printer = super::printers::printer_row(state, actor, printer_id).await?;
    let (file, model) = revision_for(state, actor, params.file_id).await?;
    actor.require(model.collection_id, Role::View, "model")?;
    if !printer.enabled || state.printers.driver(printer_id).is_none() {
        return Err(ServiceError::Conflict(format!(
            "\"{}\" is switched off or not connected yet.",
            printer.name
        )));
    }
    let job = jobs::enqueue(
        &state.db,
        JobKind::PrintUpload,
        Some(serde_json::json!({"printer_id": printer_id, "file_id": file.id, "start": params.start})),
        Some(user_id),
        &format!("sending {} to {}", file.original_filename, printer.name),
    )
    .await?;
    let view = JobView::from(job.clone());
    let state = state.clone();
    let actor_name = actor.clone();
    tokio::spawn(async move {
        let id = job.id;
        if let Err(err) = run_send(&state, &actor_name, id, printer, file, params.start).await {
            tracing::warn!(job.id = id, error = %err, "sending to the printer failed");
            let _ = jobs::fail(&state.db, id, &err.to_string()).await;
        }
    });
    Ok(view)
}

async fn run_send(
    state: &AppState,
    actor: &Actor,
    job_id: i32,
    printer: printers::Model,
    file: files::Model,
    start: bool,
) -> Result<(), ServiceError> {
    jobs::start(&state.db, job_id, "preparing the file").await?;
    let driver = state
        .printers
        .driver(printer.id)
        .ok_or_else(|| ServiceError::Conflict(format!("\"{}\" is not connected.", printer.name)))?;
    let staged = super::blobs::stage_copy(state, &file.sha256, "reading the G-code").await?;
    let remote = remote_name_for(&file);
    let total = file.size_bytes;
    // Progress goes to the job row at most every 1/2 s.
    let (tx, mut rx) = tokio::sync::watch::channel((0u64, total.max(0) as u64));
    let db = state.db.clone();
    let name = printer.name.clone();
    let reporter = tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let (done, all) = *rx.borrow_and_update();
            let _ = jobs::progress(
                &db,
                job_id,
                done as i64,
                all as i64,
                &format!("uploading to {name}"),
            )
            .await;
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });
    let progress: crate::backend::printers::driver::Progress =
        std::sync::Arc::new(move |done: u64, all: u64| {
            let _ = tx.send((done, all));
        });
    let uploaded = driver
        .upload(staged.path(), &remote, &file.sha256, progress)
        .await;
    reporter.abort();
    drop(staged);
    let stored_as = uploaded?;
    let now = chrono::Utc::now();
    let txn = state.begin_write().await?;
    printer_files::Entity::insert(printer_files::ActiveModel {
        printer_id: Set(printer.id),
        remote_name: Set(stored_as.clone()),
        sha256: Set(file.sha256.clone()),
        file_id: Set(file.id),
        uploaded_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            printer_files::Column::PrinterId,
            printer_files::Column::RemoteName,
        ])
        .update_columns([
            printer_files::Column::Sha256,
            printer_files::Column::FileId,
            printer_files::Column::UploadedAt,
        ])
        .to_owned(),
    )
    .exec(&*txn)
    .await?;
    let job = print_jobs::ActiveModel {
        printer_id: Set(Some(printer.id)),
        printer_name: Set(printer.name.clone()),
        model_id: Set(file.model_id),
        file_id: Set(file.id),
        user_id: Set(actor.user_id),
        remote_name: Set(stored_as.clone()),
        sha256: Set(file.sha256.clone()),
        state: Set(JobState::Uploaded.as_str().to_owned()),
        created_at: Set(now),
        started_at: Set(None),
        ended_at: Set(None),
        outcome_recorded: Set(false),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit::record(
        &*txn,
        actor,
        "printer.send",
        format!("printer {}", printer.id),
        format!("file {} as {stored_as}", file.id),
    )
    .await?;
    txn.commit().await?;
    if start {
        jobs::progress(&state.db, job_id, total, total, "starting the print").await?;
        driver.start_print(&stored_as).await?;
    }
    jobs::complete(
        &state.db,
        job_id,
        if start { "printing" } else { "uploaded" },
        Some(
            serde_json::json!({"print_job_id": job.id, "remote_name": stored_as, "started": start}),
        ),
    )
    .await
}

/// Composes print job views (with the sender's name).
async fn views(
    state: &AppState,
    rows: Vec<print_jobs::Model>,
) -> Result<Vec<PrintJobView>, ServiceError> {
    let user_ids: Vec<i32> = rows.iter().filter_map(|r| r.user_id).collect();
    let names: std::collections::HashMap<i32, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(user_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let sent_by = r.user_id.and_then(|u| names.get(&u).cloned());
            PrintJobView::build(r, sent_by)
        })
        .collect())
}

/// Print history, newest first: of a printer, of a revision, or (neither)
/// the caller's finished jobs still waiting for an outcome.
pub async fn list_print_jobs(
    state: &AppState,
    actor: &Actor,
    printer_id: Option<i32>,
    file_id: Option<i32>,
) -> Result<Vec<PrintJobView>, ServiceError> {
    let user_id = actor.require_user()?;
    let mut query = print_jobs::Entity::find()
        .order_by_desc(print_jobs::Column::Id)
        .limit(100);
    match (printer_id, file_id) {
        (_, Some(file)) => {
            // Visible to the caller (a trashed revision keeps its history).
            super::files::find_file(state, actor, file).await?;
            query = query.filter(print_jobs::Column::FileId.eq(file));
        }
        (Some(printer), None) => {
            super::printers::printer_row(state, actor, printer).await?;
            query = query.filter(print_jobs::Column::PrinterId.eq(printer));
        }
        (None, None) => {
            query = query
                .filter(print_jobs::Column::UserId.eq(user_id))
                .filter(print_jobs::Column::OutcomeRecorded.eq(false))
                .filter(print_jobs::Column::State.is_in([
                    JobState::Complete.as_str(),
                    JobState::Failed.as_str(),
                    JobState::Cancelled.as_str(),
                ]));
        }
    }
    let rows = query.all(&state.db).await?;
    // Only jobs of models the caller may see.
    let model_ids: Vec<i32> = rows.iter().map(|r| r.model_id).collect();
    let visible: std::collections::HashSet<i32> = models::Entity::find()
        .filter(models::Column::Id.is_in(model_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|m| actor.require(m.collection_id, Role::View, "model").is_ok())
        .map(|m| m.id)
        .collect();
    views(
        state,
        rows.into_iter()
            .filter(|r| visible.contains(&r.model_id))
            .collect(),
    )
    .await
}

/// Records how a finished print went: sets the revision's outcome and marks
/// the job answered.
pub async fn record_outcome(
    state: &AppState,
    actor: &Actor,
    job_id: i32,
    outcome: Outcome,
) -> Result<PrintJobView, ServiceError> {
    actor.require_user()?;
    let row = print_jobs::Entity::find_by_id(job_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("print job"))?;
    super::revisions::update_revision(
        state,
        actor,
        row.model_id,
        row.file_id,
        UpdateRevisionParams {
            status: Some(outcome),
            ..Default::default()
        },
    )
    .await?;
    let mut edit: print_jobs::ActiveModel = row.into();
    edit.outcome_recorded = Set(true);
    let row = edit.update(&state.db).await?;
    Ok(views(state, vec![row]).await?.remove(0))
}

/// The job state a printer's status means for the job it is printing.
fn job_state_for(state: PrintState) -> Option<JobState> {
    match state {
        PrintState::Preparing | PrintState::Printing | PrintState::Paused => {
            Some(JobState::Printing)
        }
        PrintState::Complete => Some(JobState::Complete),
        PrintState::Cancelled => Some(JobState::Cancelled),
        PrintState::Failed => Some(JobState::Failed),
        PrintState::Idle | PrintState::Unknown => None,
    }
}

/// Follows print jobs through the printers' live status: a job starts when
/// its printer prints its file, and ends (complete, cancelled, failed) when
/// the printer says so. On success, with the `known_good_on_success` runtime
/// setting on, the revision becomes known good by itself.
pub async fn follow_jobs(
    state: AppState,
    hub: PrinterHub,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut events = hub.subscribe();
    tokio::pin!(stop);
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = &mut stop => return,
        };
        let status = match event {
            Ok(HubEvent::Changed {
                status, changes, ..
            }) if changes.contains_key("state") || changes.contains_key("job_name") => status,
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if let Err(err) = advance_job(&state, &status).await {
            tracing::warn!(printer.id = status.printer_id, error = %err, "could not update the print job");
        }
    }
}

async fn advance_job(
    state: &AppState,
    status: &crate::views::printers::PrinterStatus,
) -> Result<(), ServiceError> {
    let Some(next) = job_state_for(status.state) else {
        return Ok(());
    };
    let Some(job_name) = status.job_name.as_deref() else {
        return Ok(());
    };
    let open = print_jobs::Entity::find()
        .filter(print_jobs::Column::PrinterId.eq(status.printer_id))
        .filter(
            print_jobs::Column::State
                .is_in([JobState::Uploaded.as_str(), JobState::Printing.as_str()]),
        )
        .order_by_desc(print_jobs::Column::Id)
        .all(&state.db)
        .await?;
    // The printer names the file it prints; match it to our upload.
    let Some(job) = open.into_iter().find(|j| {
        let ours = j.remote_name.rsplit('/').next().unwrap_or(&j.remote_name);
        job_name == ours
            || job_name
                .trim_end_matches(".gcode.3mf")
                .trim_end_matches(".3mf")
                == ours.trim_end_matches(".gcode.3mf").trim_end_matches(".3mf")
    }) else {
        return Ok(());
    };
    let current = JobState::parse(&job.state).unwrap_or(JobState::Uploaded);
    if current == next || current.is_finished() {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let mut edit: print_jobs::ActiveModel = job.clone().into();
    edit.state = Set(next.as_str().to_owned());
    if job.started_at.is_none() {
        edit.started_at = Set(Some(now));
    }
    if next.is_finished() {
        edit.ended_at = Set(Some(now));
    }
    edit.update(&state.db).await?;
    if next == JobState::Complete
        && crate::backend::runtime_settings::effective(state)
            .await?
            .known_good_on_success
    {
        super::revisions::update_revision(
            state,
            &state.system,
            job.model_id,
            job.file_id,
            UpdateRevisionParams {
                status: Some(Outcome::KnownGood),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}
