//! `GET /api/v1/printers/live`: the live printer websocket. Signed-in users
//! only (checked before the upgrade); it sends one `snapshot` of every
//! printer, then `changed` messages with only what changed, `removed` when a
//! printer goes, and a fresh snapshot if the client fell behind. Messages are
//! serialised once in the hub and shared by every socket.

use std::sync::Arc;

use app::backend::printers::hub::HubEvent;
use app::backend::state::AppState;
use app::views::printers::LiveMessage;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast;

use crate::http::caller::Caller;
use crate::http::error::ApiError;

/// The upgrade.
pub async fn printers_live(
    State(state): State<AppState>,
    Caller(actor): Caller,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    actor.require_user().map_err(app::error::AppError::from)?;
    let user = actor.username.clone();
    // Browsers only listen here: small read buffers and messages keep a
    // thousand open sockets cheap (tungstenite reserves 128 KiB each by default).
    let upgrade = upgrade
        .read_buffer_size(4 * 1024)
        .max_message_size(16 * 1024)
        .max_frame_size(16 * 1024);
    Ok(upgrade.on_upgrade(move |socket| {
        let span = tracing::info_span!("live_socket", %user);
        tracing::Instrument::instrument(stream(state, socket), span)
    }))
}

fn snapshot(state: &AppState) -> Option<Message> {
    let message = LiveMessage::Snapshot {
        printers: state.printers.statuses(),
    };
    serde_json::to_string(&message)
        .ok()
        .map(|text| Message::Text(text.into()))
}

async fn stream(state: AppState, mut socket: WebSocket) {
    // Subscribe first: nothing falls between the snapshot and the changes.
    let mut events = state.printers.subscribe();
    let mut closing = state.printers.closing();
    if let Some(first) = snapshot(&state)
        && socket.send(first).await.is_err()
    {
        return;
    }
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                Ok(HubEvent::Changed { wire, .. } | HubEvent::Removed { wire, .. }) => Some(Message::Text(Arc::clone(&wire).as_ref().into())),
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::debug!(skipped, "live socket fell behind; sending a fresh snapshot");
                    snapshot(&state)
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                // Clients only listen; pings are answered by axum.
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => None,
            },
            _ = closing.changed() => break,
        };
        if let Some(message) = outgoing
            && socket.send(message).await.is_err()
        {
            break;
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
