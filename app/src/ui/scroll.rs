//! Scroll positions per URL, so the back button returns to the same place
//! in a long library list even though the list is fetched again: positions
//! are kept in `sessionStorage`, and a page restores its own once its
//! content is in (only when the visit came from the back/forward buttons).

#[cfg(feature = "hydrate")]
use std::cell::Cell;

#[cfg(feature = "hydrate")]
thread_local! {
    /// Set by a back/forward navigation until a page restores its position.
    static CAME_BACK: Cell<bool> = const { Cell::new(false) };
}

#[cfg(feature = "hydrate")]
fn key() -> Option<String> {
    let location = leptos::prelude::window().location();
    Some(format!(
        "printstash-scroll:{}{}",
        location.pathname().ok()?,
        location.search().ok()?
    ))
}

/// Starts keeping scroll positions (once, from the app root).
pub fn track_scroll_positions() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        let window = window();
        if let Ok(history) = window.history() {
            // The browser's own restoration jumps before the list is back.
            let _ = history.set_scroll_restoration(web_sys::ScrollRestoration::Manual);
        }
        let back = window_event_listener(leptos::ev::popstate, |_| {
            CAME_BACK.with(|c| c.set(true));
        });
        let scroll = window_event_listener(leptos::ev::scroll, |_| {
            let window = leptos::prelude::window();
            if let (Some(key), Ok(Some(storage)), Ok(y)) =
                (key(), window.session_storage(), window.scroll_y())
            {
                let _ = storage.set_item(&key, &format!("{}", y.round()));
            }
        });
        // The app root lives as long as the page.
        std::mem::forget((back, scroll));
    }
}

/// Scrolls back to where this URL was left, if the visit came from the
/// back/forward buttons. Call once the page's content is rendered.
pub fn restore_scroll_position() {
    #[cfg(feature = "hydrate")]
    {
        if !CAME_BACK.with(|c| c.replace(false)) {
            return;
        }
        let window = leptos::prelude::window();
        let saved = key().and_then(|key| {
            window
                .session_storage()
                .ok()
                .flatten()?
                .get_item(&key)
                .ok()
                .flatten()
        });
        if let Some(y) = saved.and_then(|y| y.parse::<f64>().ok()) {
            window.scroll_to_with_x_and_y(0.0, y);
        }
    }
}
