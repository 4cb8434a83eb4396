//! The filter sidebar: each facet value with its count under the current
//! filters and search, as links that set or clear one URL key.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::params::ParamsMap;

use super::query::href_with;
use crate::views::models::{FacetCount, Facets};

fn group(
    title: &'static str,
    key: &'static str,
    values: Vec<FacetCount>,
    query: &ParamsMap,
) -> impl IntoView + use<> {
    let current = query.get(key);
    let clear = current.is_some().then(|| href_with(query, key, None));
    let items = values
        .into_iter()
        .map(|f| {
            let active = current.as_deref() == Some(f.value.as_str());
            let href = if active {
                href_with(query, key, None)
            } else {
                href_with(query, key, Some(&f.value))
            };
            view! {
                <li>
                    <A href=href attr:class=if active { "facet active" } else { "facet" } attr:aria-pressed=active.to_string()>
                        <span>{f.label}</span>
                        <span class="count">{f.count}</span>
                    </A>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="facet-group" data-facet=key>
            <h3>
                {title}
                {clear.map(|href| view! { <A href=href attr:class="facet-clear">"clear"</A> })}
            </h3>
            <ul>{items}</ul>
        </section>
    }
}

/// The sidebar for `facets` under the URL state `query`.
#[component]
pub fn FacetSidebar(mut facets: Facets, query: ParamsMap) -> impl IntoView {
    // "Not in any collection" cannot be asked for (yet); leave its count out.
    facets.collections.retain(|f| !f.value.is_empty());
    let starred_only = query.get("starred").as_deref() == Some("true");
    let starred_href = href_with(&query, "starred", (!starred_only).then_some("true"));
    view! {
        <aside class="facets" aria-label="Filters">
            <p class="facet-total"><strong>{facets.total}</strong> " models"</p>
            <A
                href=starred_href
                attr:id="starred-filter"
                attr:class=if starred_only { "facet starred-filter active" } else { "facet starred-filter" }
                attr:aria-pressed=starred_only.to_string()
            >
                <span><span aria-hidden="true">"★ "</span>"Starred"</span>
            </A>
            {(!facets.collections.is_empty()).then(|| group("Collections", "collection", facets.collections.clone(), &query))}
            {(!facets.tags.is_empty()).then(|| group("Tags", "tag", facets.tags.clone(), &query))}
            {(!facets.kinds.is_empty()).then(|| group("File types", "kind", facets.kinds.clone(), &query))}
            {(!facets.outcomes.is_empty()).then(|| group("Recommended revision", "outcome", facets.outcomes.clone(), &query))}
            {(!facets.has_gcode.is_empty()).then(|| group("G-code", "gcode", facets.has_gcode.clone(), &query))}
        </aside>
    }
}
