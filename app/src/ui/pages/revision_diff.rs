//! Comparing two revisions of a model: every slicer setting whose value
//! differs, key by key, under each revision's outcome — so "what did I change
//! between the print that failed and the one that worked" is one look.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::models::export_model;
use crate::ui::browse::cards::outcome_class;
use crate::views::models::Outcome;

/// A revision as the picker offers it.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionChoice {
    /// The G-code file.
    pub file_id: i32,
    /// "#2 0.2 mm PETG".
    pub label: String,
    /// Its outcome.
    pub outcome: Outcome,
}

fn text_of(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "—".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The keys whose values differ between two configs, with both values.
pub fn differences(
    a: Option<&serde_json::Value>,
    b: Option<&serde_json::Value>,
) -> Vec<(String, String, String)> {
    let empty = serde_json::Map::new();
    let a = a.and_then(|v| v.as_object()).unwrap_or(&empty);
    let b = b.and_then(|v| v.as_object()).unwrap_or(&empty);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| (k.clone(), text_of(a.get(k)), text_of(b.get(k))))
        .collect()
}

/// The comparison card; loads the configs when first opened.
#[component]
pub fn RevisionDiff(model_id: i32, choices: Vec<RevisionChoice>) -> impl IntoView {
    let open = RwSignal::new(false);
    let first = choices.first().map(|c| c.file_id);
    let second = choices.get(1).map(|c| c.file_id);
    let left = RwSignal::new(first);
    let right = RwSignal::new(second);
    let configs = Resource::new(
        move || open.get(),
        move |open| async move {
            if open {
                export_model(model_id).await.map(|e| Some(e.slicer_configs))
            } else {
                Ok(None)
            }
        },
    );
    let choices = StoredValue::new(choices);
    let picker = move |side: RwSignal<Option<i32>>, label: &'static str| {
        view! {
            <select class="move-select" aria-label=label on:change=move |ev| side.set(event_target_value(&ev).parse().ok())>
                {choices.with_value(|c| c.iter().map(|c| {
                    let id = c.file_id;
                    view! { <option value=id.to_string() selected=move || side.get() == Some(id)>{c.label.clone()}</option> }
                }).collect_view())}
            </select>
        }
    };
    let outcome_of = move |side: RwSignal<Option<i32>>| {
        choices.with_value(|c| {
            c.iter()
                .find(|c| Some(c.file_id) == side.get())
                .map(|c| c.outcome)
        })
    };
    view! {
        <div class="card" id="revision-diff">
            <h2>"Compare settings"</h2>
            <Show
                when=move || open.get()
                fallback=move || view! {
                    <button id="open-diff" class="button small" type="button" on:click=move |_| open.set(true)>"Compare two revisions"</button>
                }
            >
                <div class="row">{picker(left, "First revision")} " ↔ " {picker(right, "Second revision")}</div>
                <Suspense fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
                    {move || Suspend::new(async move {
                        match configs.await {
                            Ok(Some(configs)) => {
                                let (l, r) = (left.get(), right.get());
                                let rows = differences(l.and_then(|id| configs.get(&id)), r.and_then(|id| configs.get(&id)));
                                view! {
                                    <table class="diff" id="diff-table">
                                        <thead>
                                            <tr>
                                                <th>"Setting"</th>
                                                <th>{outcome_of(left).map(|o| view! { <span class=outcome_class(o)>{o.label()}</span> })}</th>
                                                <th>{outcome_of(right).map(|o| view! { <span class=outcome_class(o)>{o.label()}</span> })}</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {if rows.is_empty() {
                                                view! { <tr><td colspan="3" class="muted">"No setting differs."</td></tr> }.into_any()
                                            } else {
                                                rows.into_iter().map(|(key, a, b)| view! {
                                                    <tr><td><code>{key}</code></td><td>{a}</td><td>{b}</td></tr>
                                                }).collect_view().into_any()
                                            }}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }
                            Ok(None) => ().into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_keys_are_listed_with_both_values() {
        let a = serde_json::json!({ "layer_height": "0.2", "infill": "15%", "only_a": "x" });
        let b = serde_json::json!({ "layer_height": "0.28", "infill": "15%", "only_b": 1 });
        let d = differences(Some(&a), Some(&b));
        assert_eq!(
            d,
            vec![
                ("layer_height".into(), "0.2".into(), "0.28".into()),
                ("only_a".into(), "x".into(), "—".into()),
                ("only_b".into(), "—".into(), "1".into()),
            ]
        );
        assert!(differences(Some(&a), Some(&a)).is_empty());
    }
}
