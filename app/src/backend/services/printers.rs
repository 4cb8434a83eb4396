//! Printers: configuration (vault admins add, edit and remove them; their
//! secrets are sealed at rest), starting and stopping their hub sessions as
//! that happens, live statuses, print control, and the printer's files
//! linked back to vault revisions by the SHA-256 PrintStash uploaded.

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::backend::auth::{Actor, audit};
use crate::backend::db::entities::{files, models, printer_files, printer_snapshots, printers};
use crate::backend::error::ServiceError;
use crate::backend::printers::bambu::Bambu;
use crate::backend::printers::driver::{DriverError, PrinterDriver};
use crate::backend::printers::moonraker::Moonraker;
use crate::backend::printers::snapshots;
use crate::backend::state::AppState;
use crate::params::printers::{CreatePrinterParams, PrintAction, UpdatePrinterParams};
use crate::views::auth::Role;
use crate::views::models::time_text;
use crate::views::printers::{
    ConnectionState, LinkedRevision, PrinterFileView, PrinterProvider, PrinterStatus, PrinterView,
};

/// Binds sealed printer secrets to their use.
const SECRET_CONTEXT: &str = "printstash:printer-secret:v1";

impl From<DriverError> for ServiceError {
    fn from(err: DriverError) -> Self {
        match err {
            DriverError::NotConnected => ServiceError::Conflict(err.to_string()),
            DriverError::Refused(_) => ServiceError::Conflict(err.to_string()),
            _ => ServiceError::Unavailable(err.to_string()),
        }
    }
}

fn provider_of(row: &printers::Model) -> Result<PrinterProvider, ServiceError> {
    PrinterProvider::parse(&row.provider).ok_or_else(|| {
        ServiceError::Internal(format!("printer {} has an unknown provider", row.id))
    })
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn clean_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "Name the printer (1–100 characters)."));
    }
    Ok(name.to_owned())
}

fn clean_host(host: &str) -> Result<String, ServiceError> {
    let host = host.trim().trim_end_matches('/');
    let bare = host.strip_prefix("http://").unwrap_or(host);
    if bare.is_empty() || bare.len() > 255 || bare.contains(['/', ' ', '@']) {
        return Err(invalid(
            "host",
            "Give the printer's host name or IP address, e.g. voron.local or 192.168.1.40 (the port goes in its own field).",
        ));
    }
    Ok(bare.to_owned())
}

fn clean_size(
    field: &'static str,
    value: Option<f64>,
    max: f64,
) -> Result<Option<f64>, ServiceError> {
    match value {
        Some(v) if !(v > 0.0 && v <= max) => Err(invalid(
            field,
            format!("Must be a number above 0 and at most {max}."),
        )),
        other => Ok(other),
    }
}

fn clean_serial(
    provider: PrinterProvider,
    serial: Option<&str>,
) -> Result<Option<String>, ServiceError> {
    let serial = serial.map(str::trim).filter(|s| !s.is_empty());
    match (provider, serial) {
        (PrinterProvider::Bambu, None) => Err(invalid(
            "serial",
            "Bambu printers need their serial number (Settings › Device on the printer, or the label).",
        )),
        (_, Some(s)) if s.len() > 64 || !s.chars().all(|c| c.is_ascii_alphanumeric()) => Err(
            invalid("serial", "The serial number is letters and digits only."),
        ),
        (_, s) => Ok(s.map(str::to_owned)),
    }
}

/// The driver for a printer row (its secret opened).
pub fn driver_for(
    state: &AppState,
    row: &printers::Model,
) -> Result<Arc<dyn PrinterDriver>, ServiceError> {
    let secret = row
        .secret_ciphertext
        .as_deref()
        .map(|sealed| state.secrets.open(sealed, SECRET_CONTEXT))
        .transpose()
        .map_err(|err| ServiceError::Unavailable(err.to_string()))?;
    let port = row
        .port
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0);
    match provider_of(row)? {
        PrinterProvider::Moonraker => Ok(Arc::new(
            Moonraker::new(&row.host, port, secret).map_err(|e| invalid("host", e.to_string()))?,
        )),
        // The row's one port is the MQTT port; files always go to FTPS on 990
        // (`Bambu::with_ftps_port` is for simulators, not configuration).
        PrinterProvider::Bambu => {
            let serial = row.serial.as_deref().ok_or_else(|| {
                invalid(
                    "serial",
                    "Bambu printers need their serial number (Settings › Device on the printer, or the label).",
                )
            })?;
            let access_code = secret.ok_or_else(|| {
                invalid(
                    "secret",
                    "Bambu printers need their LAN access code (the printer's network settings).",
                )
            })?;
            Ok(Arc::new(
                Bambu::new(&row.host, port, serial, &access_code)
                    .map_err(|e| invalid("host", e.to_string()))?,
            ))
        }
    }
}

/// Starts, restarts or disables a printer's session to match its row.
pub fn apply_to_hub(state: &AppState, row: &printers::Model) {
    if !row.enabled {
        state.printers.disable(row.id);
        return;
    }
    match driver_for(state, row) {
        Ok(driver) => state.printers.start(row.id, &row.name, driver),
        Err(err) => {
            state.printers.disable(row.id);
            let mut status = PrinterStatus::unknown(row.id, ConnectionState::Offline);
            status.last_error = Some(err.to_string());
            state.printers.set_status(status);
        }
    }
}

/// Starts every configured printer (at boot), seeding each status with its
/// last snapshot until the printer answers.
pub async fn start_all(state: &AppState) -> Result<usize, ServiceError> {
    let rows = printers::Entity::find().all(&state.db).await?;
    let snapshots = printer_snapshots::Entity::find().all(&state.db).await?;
    for row in &rows {
        if let Some(snap) = snapshots.iter().find(|s| s.printer_id == row.id) {
            state.printers.set_status(snapshots::status_of(snap));
        }
        apply_to_hub(state, row);
    }
    Ok(rows.len())
}

/// Every printer (any signed-in user sees the printers).
pub async fn list_printers(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<PrinterView>, ServiceError> {
    actor.require_user()?;
    let rows = printers::Entity::find()
        .order_by_asc(printers::Column::Name)
        .all(&state.db)
        .await?;
    Ok(rows.iter().map(PrinterView::build).collect())
}

/// One printer row (for the signed-in).
pub async fn printer_row(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<printers::Model, ServiceError> {
    actor.require_user()?;
    printers::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("printer"))
}

/// One printer.
pub async fn get_printer(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<PrinterView, ServiceError> {
    Ok(PrinterView::build(&printer_row(state, actor, id).await?))
}

/// Adds a printer (vault admins) and connects to it.
pub async fn create_printer(
    state: &AppState,
    actor: &Actor,
    params: &CreatePrinterParams,
) -> Result<PrinterView, ServiceError> {
    actor.require_admin()?;
    let name = clean_name(&params.name)?;
    let host = clean_host(&params.host)?;
    let serial = clean_serial(params.provider, params.serial.as_deref())?;
    let secret = params
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| state.secrets.seal(s, SECRET_CONTEXT))
        .transpose()
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = chrono::Utc::now();
    let txn = state.begin_write().await?;
    let row = printers::ActiveModel {
        name: Set(name),
        provider: Set(params.provider.as_str().to_owned()),
        host: Set(host),
        port: Set(params.port.filter(|p| *p != 0).map(i32::from)),
        serial: Set(serial),
        secret_ciphertext: Set(secret),
        enabled: Set(params.enabled.unwrap_or(true)),
        model: Set(params
            .model
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned)),
        nozzle_diameter_mm: Set(clean_size(
            "nozzle_diameter_mm",
            params.nozzle_diameter_mm,
            5.0,
        )?),
        bed_x_mm: Set(clean_size("bed_x_mm", params.bed_x_mm, 5000.0)?),
        bed_y_mm: Set(clean_size("bed_y_mm", params.bed_y_mm, 5000.0)?),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit::record(
        &*txn,
        actor,
        "printer.create",
        format!("printer {}", row.id),
        row.name.clone(),
    )
    .await?;
    txn.commit().await?;
    apply_to_hub(state, &row);
    Ok(PrinterView::build(&row))
}

/// Edits a printer (vault admins); its session restarts with the new settings.
pub async fn update_printer(
    state: &AppState,
    actor: &Actor,
    id: i32,
    params: &UpdatePrinterParams,
) -> Result<PrinterView, ServiceError> {
    actor.require_admin()?;
    let txn = state.begin_write().await?;
    let row = printers::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("printer"))?;
    let provider = provider_of(&row)?;
    let mut edit: printers::ActiveModel = row.clone().into();
    if let Some(name) = &params.name {
        edit.name = Set(clean_name(name)?);
    }
    if let Some(host) = &params.host {
        edit.host = Set(clean_host(host)?);
    }
    if let Some(port) = params.port {
        edit.port = Set((port != 0).then_some(i32::from(port)));
    }
    if let Some(serial) = &params.serial {
        edit.serial = Set(clean_serial(provider, Some(serial))?);
    }
    if let Some(secret) = &params.secret {
        let secret = secret.trim();
        edit.secret_ciphertext = Set(if secret.is_empty() {
            None
        } else {
            Some(
                state
                    .secrets
                    .seal(secret, SECRET_CONTEXT)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
            )
        });
    }
    if let Some(enabled) = params.enabled {
        edit.enabled = Set(enabled);
    }
    if let Some(model) = &params.model {
        edit.model = Set(Some(model.trim().to_owned()).filter(|m| !m.is_empty()));
    }
    if params.nozzle_diameter_mm.is_some() {
        edit.nozzle_diameter_mm = Set(clean_size(
            "nozzle_diameter_mm",
            params.nozzle_diameter_mm,
            5.0,
        )?);
    }
    if params.bed_x_mm.is_some() {
        edit.bed_x_mm = Set(clean_size("bed_x_mm", params.bed_x_mm, 5000.0)?);
    }
    if params.bed_y_mm.is_some() {
        edit.bed_y_mm = Set(clean_size("bed_y_mm", params.bed_y_mm, 5000.0)?);
    }
    edit.updated_at = Set(chrono::Utc::now());
    let row = edit.update(&*txn).await?;
    audit::record(
        &*txn,
        actor,
        "printer.update",
        format!("printer {id}"),
        row.name.clone(),
    )
    .await?;
    txn.commit().await?;
    apply_to_hub(state, &row);
    Ok(PrinterView::build(&row))
}

/// Removes a printer (vault admins); its print history keeps the name.
pub async fn delete_printer(state: &AppState, actor: &Actor, id: i32) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let txn = state.begin_write().await?;
    let row = printers::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("printer"))?;
    printers::Entity::delete_by_id(id).exec(&*txn).await?;
    audit::record(
        &*txn,
        actor,
        "printer.delete",
        format!("printer {id}"),
        row.name,
    )
    .await?;
    txn.commit().await?;
    state.printers.remove(id);
    Ok(())
}

/// Every printer's live status.
pub async fn printer_statuses(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<PrinterStatus>, ServiceError> {
    actor.require_user()?;
    Ok(state.printers.statuses())
}

/// The session driver of a printer that is switched on.
fn running_driver(
    state: &AppState,
    row: &printers::Model,
) -> Result<Arc<dyn PrinterDriver>, ServiceError> {
    if !row.enabled {
        return Err(ServiceError::Conflict(format!(
            "\"{}\" is switched off; switch it on in its settings first.",
            row.name
        )));
    }
    state.printers.driver(row.id).ok_or_else(|| {
        ServiceError::Unavailable(format!(
            "\"{}\" has no session yet; try again in a moment.",
            row.name
        ))
    })
}

/// Pauses, resumes or cancels the current print (signed-in users).
pub async fn control_printer(
    state: &AppState,
    actor: &Actor,
    id: i32,
    action: PrintAction,
) -> Result<(), ServiceError> {
    let row = printer_row(state, actor, id).await?;
    let driver = running_driver(state, &row)?;
    driver.control(action).await?;
    let word = match action {
        PrintAction::Pause => "pause",
        PrintAction::Resume => "resume",
        PrintAction::Cancel => "cancel",
    };
    audit::record(
        &state.db,
        actor,
        &format!("printer.{word}"),
        format!("printer {id}"),
        row.name,
    )
    .await?;
    Ok(())
}

/// Whether a printer file is still the one PrintStash uploaded under that
/// name: not changed on the printer after our upload (a slicer uploading a
/// different file under the same name replaces it).
fn still_ours(
    ledger: &printer_files::Model,
    file: &crate::backend::printers::driver::RemoteFile,
) -> bool {
    file.modified
        .is_none_or(|modified| modified <= ledger.uploaded_at + chrono::Duration::seconds(120))
}

/// The printer's files; those PrintStash uploaded link to their revision
/// (matched by the SHA-256 recorded at upload, never by name or size alone).
pub async fn list_printer_files(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<Vec<PrinterFileView>, ServiceError> {
    let row = printer_row(state, actor, id).await?;
    let driver = running_driver(state, &row)?;
    let remote = driver.list_files().await?;
    let ledger = printer_files::Entity::find()
        .filter(printer_files::Column::PrinterId.eq(id))
        .all(&state.db)
        .await?;
    let file_ids: Vec<i32> = ledger.iter().map(|l| l.file_id).collect();
    let vault_files = files::Entity::find()
        .filter(files::Column::Id.is_in(file_ids))
        .all(&state.db)
        .await?;
    let model_ids: Vec<i32> = vault_files.iter().map(|f| f.model_id).collect();
    let vault_models = models::Entity::find()
        .filter(models::Column::Id.is_in(model_ids))
        .all(&state.db)
        .await?;
    // Files PrintStash sent from a model the caller may not see are left out
    // (their names are the model's file names).
    let hidden = |name: &str| {
        ledger.iter().any(|l| {
            l.remote_name == name
                && vault_files
                    .iter()
                    .find(|f| f.id == l.file_id)
                    .and_then(|f| vault_models.iter().find(|m| m.id == f.model_id))
                    .is_none_or(|m| actor.require(m.collection_id, Role::View, "model").is_err())
        })
    };
    let mut out: Vec<PrinterFileView> = remote
        .into_iter()
        .filter(|file| !hidden(&file.name))
        .map(|file| {
            let revision = ledger
                .iter()
                .find(|l| l.remote_name == file.name)
                .filter(|l| still_ours(l, &file))
                .and_then(|l| {
                    vault_files
                        .iter()
                        .find(|f| f.id == l.file_id && f.sha256 == l.sha256)
                })
                .filter(|f| file.size.is_none_or(|size| size == f.size_bytes))
                .and_then(|f| {
                    let model = vault_models.iter().find(|m| m.id == f.model_id)?;
                    actor
                        .require(model.collection_id, Role::View, "model")
                        .ok()?;
                    Some(LinkedRevision {
                        model_id: model.id,
                        model_name: model.name.clone(),
                        file_id: f.id,
                    })
                });
            PrinterFileView {
                size_bytes: file.size,
                modified_at: file.modified.as_ref().map(time_text),
                name: file.name,
                revision,
            }
        })
        .collect();
    out.sort_by(|a, b| b.modified_at.cmp(&a.modified_at).then(a.name.cmp(&b.name)));
    Ok(out)
}
