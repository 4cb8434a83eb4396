//! Offline use at the printer: the script that registers the service worker
//! (`public/sw.js`), the banner shown while the server cannot be reached,
//! and the calls that ask the worker to sync or forget its offline copy of
//! the starred models (ADR 0010).

use leptos::prelude::*;

/// Registers the service worker and relays between it and the page: window
/// events `printstash-offline-sync` / `printstash-offline-forget` become
/// worker messages; the worker's "connection" messages set `data-offline`
/// on `<html>` and fire `printstash-connection`. Runs before the wasm loads,
/// so even a page the worker served from its copy shows the banner.
pub const REGISTER_SCRIPT: &str = r#"(function () {
  if (!('serviceWorker' in navigator)) return;
  var sw = navigator.serviceWorker;
  var post = function (message) {
    // The controller takes the message at once (even when the page is about to unload).
    if (sw.controller) sw.controller.postMessage(message);
    else sw.ready.then(function (reg) { if (reg.active) reg.active.postMessage(message); });
  };
  sw.register('/sw.js').then(function () { post({ type: 'sync-offline' }); }).catch(function (err) {
    console.warn('PrintStash works without offline copies here:', err && err.message);
  });
  addEventListener('printstash-offline-sync', function () { post({ type: 'sync-offline', force: true }); });
  addEventListener('printstash-offline-forget', function () { post({ type: 'forget-offline' }); });
  sw.addEventListener('message', function (event) {
    var data = event.data || {};
    if (data.type === 'connection') {
      var root = document.documentElement;
      if (data.online) root.removeAttribute('data-offline'); else root.setAttribute('data-offline', 'true');
      dispatchEvent(new Event('printstash-connection'));
    } else if (data.type === 'offline-synced') {
      document.documentElement.setAttribute('data-offline-synced', String(Date.now()));
    }
  });
})();"#;

/// Asks the service worker to fetch the starred models again now (after a
/// star changed).
pub fn sync_offline_copy() {
    fire("printstash-offline-sync");
}

/// Asks the service worker to drop every offline copy (on sign-out).
pub fn forget_offline_copy() {
    fire("printstash-offline-forget");
}

fn fire(name: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(event) = web_sys::Event::new(name) {
        let _ = window().dispatch_event(&event);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// Whether the page is offline: the browser says so, or the service worker
/// could not reach the server (it marks `<html data-offline>`).
#[cfg(feature = "hydrate")]
fn is_offline() -> bool {
    let marked = document()
        .document_element()
        .is_some_and(|root| root.has_attribute("data-offline"));
    marked || !window().navigator().on_line()
}

/// The strip across the top while the server cannot be reached.
#[component]
pub fn OfflineBanner() -> impl IntoView {
    let offline = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        offline.set(is_offline());
        let update = move || offline.set(is_offline());
        let on = window_event_listener(leptos::ev::online, move |_| {
            if let Some(root) = document().document_element() {
                let _ = root.remove_attribute("data-offline");
            }
            update();
        });
        let off = window_event_listener(leptos::ev::offline, move |_| update());
        let relay = window_event_listener(
            leptos::ev::Custom::<web_sys::Event>::new("printstash-connection"),
            move |_| update(),
        );
        on_cleanup(move || {
            on.remove();
            off.remove();
            relay.remove();
        });
    });
    view! {
        <Show when=move || offline.get()>
            <div id="offline-banner" class="offline-banner" role="status">
                "You are offline. Starred models open from this device; changes wait for the connection."
            </div>
        </Show>
    }
}
