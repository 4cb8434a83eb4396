//! Server functions for printers: the same services as
//! `server/src/http/rest/printers.rs`. Live status comes over the websocket
//! (`/api/v1/printers/live`); uploads to a printer run as jobs.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::backend::services::{print_jobs, printers};
use crate::error::AppError;
use crate::params::printers::{
    CreatePrinterParams, JobOutcomeParams, PrintAction, SendParams, UpdatePrinterParams,
};
use crate::views::jobs::JobView;
use crate::views::printers::{
    Preflight, PrintJobView, PrinterFileView, PrinterStatus, PrinterView,
};

/// Every printer.
#[server(endpoint = "list_printers")]
pub async fn list_printers() -> Result<Vec<PrinterView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(printers::list_printers(&state, &actor).await?)
}

/// Every printer's live status (the websocket keeps it current).
#[server(endpoint = "printer_statuses")]
pub async fn printer_statuses() -> Result<Vec<PrinterStatus>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(printers::printer_statuses(&state, &actor).await?)
}

/// Adds a printer (vault admins).
#[server(endpoint = "create_printer", input = Json)]
pub async fn create_printer(params: CreatePrinterParams) -> Result<PrinterView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(printers::create_printer(&state, &actor, &params).await?)
}

/// Edits a printer (vault admins).
#[server(endpoint = "update_printer", input = Json)]
pub async fn update_printer(id: i32, params: UpdatePrinterParams) -> Result<PrinterView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(printers::update_printer(&state, &actor, id, &params).await?)
}

/// Removes a printer (vault admins).
#[server(endpoint = "delete_printer", input = Json)]
pub async fn delete_printer(id: i32) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(printers::delete_printer(&state, &actor, id).await?)
}

/// Pauses, resumes or cancels the current print.
#[server(endpoint = "control_printer", input = Json)]
pub async fn control_printer(id: i32, action: PrintAction) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    Ok(printers::control_printer(&state, &actor, id, action).await?)
}

/// The files on a printer, linked to revisions.
#[server(endpoint = "list_printer_files", input = Json)]
pub async fn list_printer_files(id: i32) -> Result<Vec<PrinterFileView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(printers::list_printer_files(&state, &actor, id).await?)
}

/// Whether a revision fits a printer.
#[server(endpoint = "preflight_print", input = Json)]
pub async fn preflight_print(printer_id: i32, file_id: i32) -> Result<Preflight, AppError> {
    let (state, actor) = super::context().await?;
    Ok(print_jobs::preflight(&state, &actor, printer_id, file_id).await?)
}

/// Sends a revision to a printer; poll the returned job for progress.
#[server(endpoint = "send_to_printer", input = Json)]
pub async fn send_to_printer(printer_id: i32, params: SendParams) -> Result<JobView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(print_jobs::send_to_printer(&state, &actor, printer_id, params).await?)
}

/// Print history of a printer or a revision; with neither, your finished
/// prints that still wait for an outcome.
#[server(endpoint = "list_print_jobs", input = Json)]
pub async fn list_print_jobs(
    printer_id: Option<i32>,
    file_id: Option<i32>,
) -> Result<Vec<PrintJobView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(print_jobs::list_print_jobs(&state, &actor, printer_id, file_id).await?)
}

/// Records how a print went (sets the revision's outcome).
#[server(endpoint = "record_print_outcome", input = Json)]
pub async fn record_print_outcome(
    id: i32,
    params: JobOutcomeParams,
) -> Result<PrintJobView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(print_jobs::record_outcome(&state, &actor, id, params.outcome).await?)
}
