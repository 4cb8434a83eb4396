//! Model cards: a thumbnail grid (or a compact list) linking to each model.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::ui::components::star::StarButton;
use crate::views::models::{ModelCard, Outcome};

/// "1 h 23 min" for a print time in seconds.
pub fn print_time(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// "2.4 MB" for a byte count.
pub fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{b:.0} B")
    }
}

/// The badge class of an outcome.
pub fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::KnownGood => "badge ok",
        Outcome::Failed => "badge danger",
        Outcome::NeedsTest => "badge warn",
        Outcome::Archived => "badge",
    }
}

/// One model in the grid or list, with a checkbox for bulk actions.
#[component]
pub fn ModelCardView(card: ModelCard, selected: RwSignal<BTreeSet<i32>>) -> impl IntoView {
    let id = card.id;
    let href = format!("/models/{}", card.id);
    let thumb = match card.thumbnail_url.clone() {
        Some(url) => view! { <img src=url alt="" loading="lazy" decoding="async" /> }.into_any(),
        None => {
            view! { <span class="thumb-empty" aria-hidden="true">"No preview"</span> }.into_any()
        }
    };
    view! {
        <li class="model-card" data-model-id=card.id class:selected=move || selected.with(|s| s.contains(&id))>
            <input
                class="select-model"
                type="checkbox"
                aria-label=format!("Select {}", card.name)
                prop:checked=move || selected.with(|s| s.contains(&id))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    selected.update(|s| {
                        if on {
                            s.insert(id);
                        } else {
                            s.remove(&id);
                        }
                    });
                }
            />
            <StarButton model_id=id starred=card.starred name=card.name.clone() compact=true />
            <A href=href attr:class="model-link">
                <div class="thumb">{thumb}</div>
                <div class="model-body">
                    <span class="model-name">{card.name.clone()}</span>
                    <span class="model-meta">
                        {card.recommended_outcome.map(|o| view! { <span class=outcome_class(o)>{o.label()}</span> })}
                        {card.has_gcode.then(|| view! { <span class="badge">"G-code"</span> })}
                        {card.print_time_s.map(|s| view! { <span class="muted">{print_time(s)}</span> })}
                        <span class="muted">{size(card.total_size_bytes)}</span>
                    </span>
                    {(!card.tags.is_empty()).then(|| view! {
                        <span class="model-tags">
                            {card.tags.iter().map(|t| view! { <span class="tag">{t.name.clone()}</span> }).collect_view()}
                        </span>
                    })}
                </div>
            </A>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_sizes_read_naturally() {
        assert_eq!(print_time(59), "1 min");
        assert_eq!(print_time(3600), "1 h");
        assert_eq!(print_time(5000), "1 h 24 min");
        assert_eq!(size(9_600), "10 kB");
        assert_eq!(size(2_400_000), "2.4 MB");
    }
}
