//! "Send to printer" on a revision: pick a printer, see the preflight
//! (printer model, nozzle, bed size, flavour — mismatches warned about),
//! then upload with a progress bar and optionally start the print; the
//! revision's print history below.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::printers::{SendToPrinter, list_print_jobs, list_printers, preflight_print};
use crate::params::printers::SendParams;
use crate::ui::components::errors::{error_list, failure};
use crate::ui::pages::printers::job_list;
use crate::views::jobs::{JobState, JobView};

/// The send panel for one revision.
#[component]
pub fn SendToPrinter(file_id: i32, #[prop(into)] label: String) -> impl IntoView {
    let printers = Resource::new(|| (), |_| list_printers());
    let chosen = RwSignal::new(None::<i32>);
    let preflight = Resource::new(
        move || chosen.get(),
        move |printer| async move {
            match printer {
                Some(printer_id) => Some(preflight_print(printer_id, file_id).await),
                None => None,
            }
        },
    );
    let history = Resource::new(
        move || file_id,
        |file_id| list_print_jobs(None, Some(file_id)),
    );
    let send = ServerAction::<SendToPrinter>::new();
    let job = RwSignal::new(None::<JobView>);
    // Follow the upload job until it ends.
    Effect::new(move |_| {
        if let Some(Ok(started)) = send.value().get() {
            job.set(Some(started.clone()));
            #[cfg(feature = "hydrate")]
            follow(started.job_id, job, history);
        }
    });
    let start = move |and_print: bool| {
        if let Some(printer_id) = chosen.get_untracked() {
            job.set(None);
            send.dispatch(SendToPrinter {
                printer_id,
                params: SendParams {
                    file_id,
                    start: and_print,
                },
            });
        }
    };
    view! {
        <div class="send-panel" data-file-id=file_id>
            <h3>{format!("Send {label} to a printer")}</h3>
            <Suspense fallback=|| view! { <p class="muted">"Loading printers…"</p> }>
                {move || Suspend::new(async move {
                    match printers.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No printers yet. " <A href="/printers">"Add one on the Printers page"</A> "."</p> }.into_any(),
                        Ok(list) => view! {
                            <label for=format!("send-printer-{file_id}")>"Printer"</label>
                            <select id=format!("send-printer-{file_id}") class="send-printer" on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())>
                                <option value="" selected>"Choose a printer…"</option>
                                {list.into_iter().filter(|p| p.enabled).map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                            </select>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error">{err.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <Suspense>
                {move || Suspend::new(async move {
                    match preflight.await {
                        None => ().into_any(),
                        Some(Err(err)) => view! { <p class="form-error">{err.message}</p> }.into_any(),
                        Some(Ok(p)) => view! {
                            <table class="preflight" data-ok=p.ok.to_string()>
                                <thead><tr><th>"Check"</th><th>"G-code"</th><th>"Printer"</th><th></th></tr></thead>
                                <tbody>
                                    {p.checks.into_iter().map(|c| view! {
                                        <tr class=match c.ok { Some(true) => "ok", Some(false) => "mismatch", None => "unknown" }>
                                            <td>{c.what}</td><td>{c.gcode}</td><td>{c.printer}</td>
                                            <td>{match c.ok { Some(true) => "✓".to_owned(), Some(false) => format!("⚠ {}", c.advice.unwrap_or_default()), None => "?".to_owned() }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {(!p.ok).then(|| view! { <p class="banner" role="alert">"This G-code does not match the printer. Send it only if you are sure."</p> })}
                            <div class="row">
                                <button class="button" type="button" id=format!("send-upload-{file_id}") disabled=move || send.pending().get() on:click=move |_| start(false)>"Upload"</button>
                                <button class="button primary" type="button" id=format!("send-print-{file_id}") disabled=move || send.pending().get() on:click=move |_| start(true)>"Upload and print"</button>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
            {move || job.get().map(|j| {
                let done = j.state == JobState::Completed;
                let failed = j.state == JobState::Failed;
                view! {
                    <div class="send-progress" data-state=format!("{:?}", j.state).to_lowercase()>
                        <progress id=format!("send-progress-{file_id}") max="100" value=j.progress aria-label="Upload to the printer"></progress>
                        <span>{if done { format!("Done: {}", j.message) } else if failed { j.error.clone().unwrap_or_default() } else { format!("{} % — {}", j.progress, j.message) }}</span>
                        {done.then(|| view! { <A href="/printers">"Watch it on the Printers page"</A> })}
                    </div>
                }
            })}
            {move || error_list([failure(send.value().get())])}
            <Suspense>
                {move || Suspend::new(async move {
                    history.await.ok().filter(|h| !h.is_empty()).map(|h| view! {
                        <h4>"Printed before"</h4>
                        {job_list(h)}
                    })
                })}
            </Suspense>
        </div>
    }
}

/// Polls the upload job every half second until it completes or fails.
#[cfg(feature = "hydrate")]
fn follow(
    job_id: i32,
    job: RwSignal<Option<JobView>>,
    history: Resource<Result<Vec<crate::views::printers::PrintJobView>, crate::error::AppError>>,
) {
    leptos::task::spawn_local(async move {
        if let Ok(now) = crate::api::jobs::get_job(job_id).await {
            let over = matches!(now.state, JobState::Completed | JobState::Failed);
            job.set(Some(now));
            if over {
                history.refetch();
            } else {
                set_timeout(
                    move || follow(job_id, job, history),
                    std::time::Duration::from_millis(500),
                );
            }
        }
    });
}
