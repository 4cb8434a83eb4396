//! The big picture on a model page, with a switch to the interactive 3D
//! preview of its newest mesh (`<mesh-viewer>`, `public/viewer/`). The
//! viewer's script loads only when someone asks for the 3D view.

use leptos::prelude::*;

/// The picture (or "no preview") and, when `preview_url` is given, a
/// Picture / 3D switch.
#[component]
pub fn ModelPicture(
    #[prop(into)] name: String,
    thumbnail_url: Option<String>,
    preview_url: Option<String>,
) -> impl IntoView {
    let show_3d = RwSignal::new(false);
    let has_3d = preview_url.is_some();
    let picture = {
        let name = name.clone();
        move || match thumbnail_url.clone() {
            Some(url) => view! { <img src=url alt=format!("Picture of {name}") /> }.into_any(),
            None => view! { <span class="thumb-empty">"No picture"</span> }.into_any(),
        }
    };
    let viewer = move || {
        preview_url.clone().map(|src| {
            view! {
                <script type="module" src="/viewer/mesh-viewer.js"></script>
                <mesh-viewer id="mesh-viewer" src=src label=name.clone()></mesh-viewer>
            }
        })
    };
    view! {
        <div class="model-picture">
            <Show when=move || show_3d.get() fallback=picture.clone()>
                {viewer.clone()}
            </Show>
            {has_3d.then(|| view! {
                <div class="view-switch" role="group" aria-label="How to show the model">
                    <button type="button" id="show-picture" class="button small" aria-pressed=move || (!show_3d.get()).to_string() on:click=move |_| show_3d.set(false)>"Picture"</button>
                    <button type="button" id="show-3d" class="button small" aria-pressed=move || show_3d.get().to_string() on:click=move |_| show_3d.set(true)>"3D"</button>
                </div>
            })}
        </div>
    }
}
