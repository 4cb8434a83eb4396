//! Live printer status in the browser: one websocket to
//! `/api/v1/printers/live` per page that shows printers, its snapshot and
//! merge patches landing in one reactive map, and reconnection with backoff
//! (the "Reconnecting…" indicator) when the socket drops.

use std::collections::BTreeMap;

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use crate::views::printers::LiveMessage;
use crate::views::printers::PrinterStatus;

/// The statuses every printer component reads.
#[derive(Clone, Copy)]
pub struct LivePrinters {
    /// Every printer's status, by id.
    pub statuses: RwSignal<BTreeMap<i32, PrinterStatus>>,
    /// Whether the socket is open (false: reconnecting).
    pub connected: RwSignal<bool>,
}

/// Applies one live message to the map of statuses.
#[cfg(any(feature = "hydrate", test))]
pub fn apply(
    statuses: &mut BTreeMap<i32, PrinterStatus>,
    message: crate::views::printers::LiveMessage,
) {
    use crate::views::printers::{ConnectionState, LiveMessage};
    match message {
        LiveMessage::Snapshot { printers } => {
            *statuses = printers.into_iter().map(|s| (s.printer_id, s)).collect();
        }
        LiveMessage::Changed {
            printer_id,
            changes,
            ..
        } => {
            let current = statuses
                .remove(&printer_id)
                .unwrap_or_else(|| PrinterStatus::unknown(printer_id, ConnectionState::Connecting));
            let mut value = serde_json::to_value(&current).unwrap_or_default();
            if let Some(fields) = value.as_object_mut() {
                fields.extend(changes);
            }
            let next = serde_json::from_value(value).unwrap_or(current);
            statuses.insert(printer_id, next);
        }
        LiveMessage::Removed { printer_id } => {
            statuses.remove(&printer_id);
        }
    }
}

/// Starts following the live socket (in the browser; on the server only
/// the `initial` statuses are rendered). Provides [`LivePrinters`].
pub fn provide_live_printers(initial: Vec<PrinterStatus>) -> LivePrinters {
    let live = LivePrinters {
        statuses: RwSignal::new(initial.into_iter().map(|s| (s.printer_id, s)).collect()),
        connected: RwSignal::new(false),
    };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    browser::follow(live);
    live
}

/// The live statuses provided by a page.
pub fn use_live_printers() -> Option<LivePrinters> {
    use_context::<LivePrinters>()
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::{LiveMessage, LivePrinters, apply};

    /// The page's socket: whether the page still wants it, the current one,
    /// and how many reconnections failed in a row.
    #[derive(Default)]
    struct Connection {
        closed: Cell<bool>,
        socket: RefCell<Option<web_sys::WebSocket>>,
        attempt: Cell<u32>,
    }

    /// The socket's address on this page's origin.
    fn url() -> Option<String> {
        let location = window().location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!(
            "{scheme}://{}/api/v1/printers/live",
            location.host().ok()?
        ))
    }

    /// Opens the socket and keeps reopening it (1 s doubling to 15 s) until
    /// the page that provided `live` goes away.
    pub fn follow(live: LivePrinters) {
        let connection = Rc::new(Connection::default());
        let kept = StoredValue::new_local(Rc::clone(&connection));
        on_cleanup(move || {
            kept.with_value(|c| {
                c.closed.set(true);
                if let Some(socket) = c.socket.borrow_mut().take() {
                    let _ = socket.close();
                }
            });
        });
        open(live, connection);
    }

    fn open(live: LivePrinters, connection: Rc<Connection>) {
        if connection.closed.get() {
            return;
        }
        let Some(socket) = url().and_then(|url| web_sys::WebSocket::new(&url).ok()) else {
            return;
        };
        let on_open = {
            let connection = Rc::clone(&connection);
            Closure::<dyn FnMut()>::new(move || {
                connection.attempt.set(0);
                live.connected.set(true);
            })
        };
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let Some(text) = event.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<LiveMessage>(&text) {
                    Ok(message) => live.statuses.update(|s| apply(s, message)),
                    Err(err) => leptos::logging::warn!("ignored a live message: {err}"),
                }
            },
        );
        let on_close = {
            let connection = Rc::clone(&connection);
            Closure::<dyn FnMut()>::new(move || {
                if connection.closed.get() {
                    return;
                }
                live.connected.set(false);
                let n = connection.attempt.get();
                connection.attempt.set(n.saturating_add(1));
                let wait = (1000u64 << n.min(4)).min(15_000);
                let again = Rc::clone(&connection);
                set_timeout(
                    move || open(live, again),
                    std::time::Duration::from_millis(wait),
                );
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The handlers live as long as their socket.
        on_open.forget();
        on_message.forget();
        on_close.forget();
        *connection.socket.borrow_mut() = Some(socket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::printers::{ConnectionState, LiveMessage, PrintState};

    #[test]
    fn snapshots_replace_and_patches_merge() {
        let mut map = BTreeMap::new();
        let mut one = PrinterStatus::unknown(1, ConnectionState::Online);
        one.state = PrintState::Printing;
        one.progress = Some(0.1);
        apply(
            &mut map,
            LiveMessage::Snapshot {
                printers: vec![one],
            },
        );
        let changes = serde_json::json!({"progress": 0.4, "layer": 12});
        apply(
            &mut map,
            LiveMessage::Changed {
                printer_id: 1,
                changes: changes.as_object().cloned().unwrap_or_default(),
                at_ms: 0,
            },
        );
        assert_eq!(map[&1].progress, Some(0.4));
        assert_eq!(map[&1].layer, Some(12));
        assert_eq!(map[&1].state, PrintState::Printing, "untouched fields stay");
        apply(&mut map, LiveMessage::Removed { printer_id: 1 });
        assert!(map.is_empty());
    }
}
