//! The library: search, filter and sort the vault's models in a thumbnail
//! grid or a compact list, page by page. Everything it shows comes from the
//! URL, so a view can be bookmarked, shared and walked back through.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::models::{list_models, model_facets};
use crate::ui::browse::bulk::BulkBar;
use crate::ui::browse::cards::ModelCardView;
use crate::ui::browse::facets::FacetSidebar;
use crate::ui::browse::query::{SORTS, href_with, params_from};
use crate::ui::scroll::restore_scroll_position;
use crate::ui::upload::UploadPanel;

/// The library page.
#[component]
pub fn LibraryPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| params_from(&query.get()));
    let page = Resource::new(move || params.get(), list_models);
    let facets = Resource::new(
        move || {
            let mut p = params.get();
            p.cursor = None;
            p
        },
        model_facets,
    );
    // Back from a model page: return to where the list was left, once both
    // the list and the sidebar (above it on a phone) are in.
    Effect::new(move |_| {
        if page.with(Option::is_some) && facets.with(Option::is_some) {
            request_animation_frame(restore_scroll_position);
        }
    });
    let selected = RwSignal::new(std::collections::BTreeSet::<i32>::new());
    let list_view = move || query.with(|q| q.get("view").as_deref() == Some("list"));
    let navigate = use_navigate();
    let on_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let href = query.with_untracked(|q| href_with(q, "q", Some(text.trim())));
        navigate(
            &href,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let navigate_sort = use_navigate();
    let on_sort = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let href = query.with_untracked(|q| href_with(q, "sort", Some(&value)));
        navigate_sort(&href, NavigateOptions::default());
    };

    view! {
        <Title text="Library" />
        <section class="page library">
            <div class="library-head">
                <h1>"Library"</h1>
                <input
                    id="search"
                    class="search"
                    type="search"
                    placeholder="Search names, tags, files, slicer settings…"
                    aria-label="Search the library"
                    prop:value=move || query.with(|q| q.get("q").unwrap_or_default())
                    on:input=on_search
                />
                <select id="sort" aria-label="Sort by" on:change=on_sort prop:value=move || query.with(|q| q.get("sort").unwrap_or_else(|| "created".into()))>
                    {SORTS.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                </select>
                <A
                    href=move || query.with(|q| href_with(q, "view", if list_view() { None } else { Some("list") }))
                    attr:class="button small"
                    attr:id="toggle-view"
                >
                    {move || if list_view() { "Grid" } else { "List" }}
                </A>
            </div>
            <UploadPanel collection=Signal::derive(move || params.get().collection_id) on_stored=move |()| {
                page.refetch();
                facets.refetch();
            } />
            <BulkBar selected=selected done=move |()| {
                page.refetch();
                facets.refetch();
            } />
            <div class="library-body">
                <Suspense fallback=|| view! { <aside class="facets muted">"Counting…"</aside> }>
                    {move || Suspend::new(async move {
                        let query = query.get_untracked();
                        facets.await.ok().map(|f| view! { <FacetSidebar facets=f query=query /> })
                    })}
                </Suspense>
                <div class="results">
                    <Suspense fallback=|| view! { <p class="muted">"Loading models…"</p> }>
                        {move || Suspend::new(async move {
                            match page.await {
                                Ok(page) if page.items.is_empty() => {
                                    let filtered = query.with_untracked(|q| q.get("q").is_some() || q.get("tag").is_some() || q.get("kind").is_some() || q.get("outcome").is_some() || q.get("collection").is_some() || q.get("gcode").is_some());
                                    let starred_only = query.with_untracked(|q| q.get("starred").as_deref() == Some("true"));
                                    view! {
                                        <div class="empty" id="library-empty">
                                            {if starred_only && !filtered {
                                                view! {
                                                    <p class="empty-title">"No starred models yet"</p>
                                                    <p class="muted">"Star a model (☆) to keep it at hand here and on this device for viewing offline."</p>
                                                    <A href="/">"Show everything"</A>
                                                }.into_any()
                                            } else if filtered {
                                                view! {
                                                    <p class="empty-title">"Nothing matches"</p>
                                                    <p class="muted">"Try fewer words or clear a filter."</p>
                                                    <A href="/">"Show everything"</A>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <p class="empty-title">"Your vault is empty"</p>
                                                    <p class="muted">"Drop meshes and G-code above to keep them here."</p>
                                                }.into_any()
                                            }}
                                        </div>
                                    }.into_any()
                                }
                                Ok(page) => {
                                    let next = page.next_cursor.clone().map(|c| query.with_untracked(|q| href_with(q, "after", Some(&c))));
                                    let first = query.with_untracked(|q| q.get("after").is_some()).then(|| query.with_untracked(|q| href_with(q, "after", None)));
                                    view! {
                                        <ul class=move || if list_view() { "model-list" } else { "model-grid" } id="models">
                                            {page.items.into_iter().map(|card| view! { <ModelCardView card=card selected=selected /> }).collect_view()}
                                        </ul>
                                        <nav class="pager" aria-label="Pages">
                                            {first.map(|href| view! { <A href=href attr:class="button">"First page"</A> })}
                                            {next.map(|href| view! { <A href=href attr:class="button" attr:id="next-page">"Next page"</A> })}
                                        </nav>
                                    }.into_any()
                                }
                                Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </div>
        </section>
    }
}
