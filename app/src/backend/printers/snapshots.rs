//! The coarse status row each printer keeps in the database
//! (`printer_snapshots`), and reading it back for printers the hub has not
//! heard from since boot.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::backend::db::entities::printer_snapshots;
use crate::views::printers::{ConnectionState, PrintState, PrinterStatus, Temperature};

fn connection_name(c: ConnectionState) -> &'static str {
    match c {
        ConnectionState::Connecting => "connecting",
        ConnectionState::Online => "online",
        ConnectionState::Offline => "offline",
        ConnectionState::Disabled => "disabled",
    }
}

fn state_name(s: PrintState) -> &'static str {
    match s {
        PrintState::Idle => "idle",
        PrintState::Preparing => "preparing",
        PrintState::Printing => "printing",
        PrintState::Paused => "paused",
        PrintState::Complete => "complete",
        PrintState::Cancelled => "cancelled",
        PrintState::Failed => "failed",
        PrintState::Unknown => "unknown",
    }
}

/// Writes (or replaces) a printer's snapshot row.
pub async fn save(db: &impl ConnectionTrait, status: &PrinterStatus) -> Result<(), sea_orm::DbErr> {
    let last_seen = status
        .last_seen_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let row = printer_snapshots::ActiveModel {
        printer_id: Set(status.printer_id),
        connection: Set(connection_name(status.connection).to_owned()),
        state: Set(state_name(status.state).to_owned()),
        progress: Set(status.progress),
        job_name: Set(status.job_name.clone()),
        nozzle_c: Set(status.nozzle.map(|t| t.current)),
        bed_c: Set(status.bed.map(|t| t.current)),
        last_seen_at: Set(last_seen),
        last_error: Set(status.last_error.clone()),
        updated_at: Set(chrono::Utc::now()),
    };
    printer_snapshots::Entity::insert(row)
        .on_conflict(
            OnConflict::column(printer_snapshots::Column::PrinterId)
                .update_columns([
                    printer_snapshots::Column::Connection,
                    printer_snapshots::Column::State,
                    printer_snapshots::Column::Progress,
                    printer_snapshots::Column::JobName,
                    printer_snapshots::Column::NozzleC,
                    printer_snapshots::Column::BedC,
                    printer_snapshots::Column::LastSeenAt,
                    printer_snapshots::Column::LastError,
                    printer_snapshots::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await
        .map(|_| ())
}

/// The status a snapshot row describes (offline: it is the last known one).
pub fn status_of(row: &printer_snapshots::Model) -> PrinterStatus {
    let mut status = PrinterStatus::unknown(row.printer_id, ConnectionState::Offline);
    status.state = match row.state.as_str() {
        "idle" => PrintState::Idle,
        "preparing" => PrintState::Preparing,
        "printing" => PrintState::Printing,
        "paused" => PrintState::Paused,
        "complete" => PrintState::Complete,
        "cancelled" => PrintState::Cancelled,
        "failed" => PrintState::Failed,
        _ => PrintState::Unknown,
    };
    status.progress = row.progress;
    status.job_name = row.job_name.clone();
    status.nozzle = row.nozzle_c.map(|c| Temperature {
        current: c,
        target: 0.0,
    });
    status.bed = row.bed_c.map(|c| Temperature {
        current: c,
        target: 0.0,
    });
    status.last_error = row.last_error.clone();
    status.last_seen_at = row
        .last_seen_at
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    status
}
