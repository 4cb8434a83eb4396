//! `/api/v1/printers` and `/api/v1/print-jobs`: printer configuration, live
//! statuses, print control, files on the printer, the send-to-printer
//! preflight and upload, and print history. Thin: parse, call one service.

use app::backend::services::{print_jobs, printers};
use app::backend::state::AppState;
use app::params::printers::{
    ControlParams, CreatePrinterParams, JobOutcomeParams, PreflightQuery, PrintJobsQuery,
    SendParams, UpdatePrinterParams,
};
use app::views::jobs::JobView;
use app::views::printers::{Preflight, PrintJobView, PrinterFileView, PrinterStatus, PrinterView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{Ids, JsonBody, QueryParams};

/// `GET /printers`.
pub async fn list_printers(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<PrinterView>>, ApiError> {
    Ok(Json(printers::list_printers(&state, &actor).await?))
}

/// `POST /printers` (vault admins).
pub async fn create_printer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(params): JsonBody<CreatePrinterParams>,
) -> Result<(StatusCode, Json<PrinterView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(printers::create_printer(&state, &actor, &params).await?),
    ))
}

/// `GET /printers/{id}`.
pub async fn get_printer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<PrinterView>, ApiError> {
    Ok(Json(printers::get_printer(&state, &actor, id).await?))
}

/// `PATCH /printers/{id}` (vault admins).
pub async fn update_printer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<UpdatePrinterParams>,
) -> Result<Json<PrinterView>, ApiError> {
    Ok(Json(
        printers::update_printer(&state, &actor, id, &params).await?,
    ))
}

/// `DELETE /printers/{id}` (vault admins).
pub async fn delete_printer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<StatusCode, ApiError> {
    printers::delete_printer(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /printers/status`: every printer's live status.
pub async fn printer_statuses(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<PrinterStatus>>, ApiError> {
    Ok(Json(printers::printer_statuses(&state, &actor).await?))
}

/// `POST /printers/{id}/control`: pause, resume or cancel.
pub async fn control_printer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<ControlParams>,
) -> Result<StatusCode, ApiError> {
    printers::control_printer(&state, &actor, id, params.action).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /printers/{id}/files`.
pub async fn list_printer_files(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<Vec<PrinterFileView>>, ApiError> {
    Ok(Json(
        printers::list_printer_files(&state, &actor, id).await?,
    ))
}

/// `GET /printers/{id}/preflight?file_id=`.
pub async fn preflight(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    QueryParams(query): QueryParams<PreflightQuery>,
) -> Result<Json<Preflight>, ApiError> {
    Ok(Json(
        print_jobs::preflight(&state, &actor, id, query.file_id).await?,
    ))
}

/// `POST /printers/{id}/send`: 202 with the upload job to poll.
pub async fn send_to_printer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<SendParams>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(print_jobs::send_to_printer(&state, &actor, id, params).await?),
    ))
}

/// `GET /printers/{id}/jobs`: the printer's print history.
pub async fn printer_jobs(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<Vec<PrintJobView>>, ApiError> {
    Ok(Json(
        print_jobs::list_print_jobs(&state, &actor, Some(id), None).await?,
    ))
}

/// `GET /print-jobs[?file_id=]`.
pub async fn list_print_jobs(
    State(state): State<AppState>,
    Caller(actor): Caller,
    QueryParams(query): QueryParams<PrintJobsQuery>,
) -> Result<Json<Vec<PrintJobView>>, ApiError> {
    Ok(Json(
        print_jobs::list_print_jobs(&state, &actor, None, query.file_id).await?,
    ))
}

/// `POST /print-jobs/{id}/outcome`.
pub async fn record_outcome(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<JobOutcomeParams>,
) -> Result<Json<PrintJobView>, ApiError> {
    Ok(Json(
        print_jobs::record_outcome(&state, &actor, id, params.outcome).await?,
    ))
}
