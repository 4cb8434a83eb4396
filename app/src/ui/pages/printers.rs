//! `/printers`: every printer with its live status (connection, state,
//! progress bar, temperatures) updated over the live socket, print
//! controls, the files on the printer and its print history, the prints
//! that wait for "how did it go?", and (for admins) adding, editing and
//! removing printers.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::printers::{
    ControlPrinter, DeletePrinter, RecordPrintOutcome, list_print_jobs, list_printer_files,
    list_printers, printer_statuses,
};
use crate::params::printers::{JobOutcomeParams, PrintAction};
use crate::ui::browse::cards::print_time;
use crate::ui::components::errors::{error_list, failure};
use crate::ui::live::{LivePrinters, provide_live_printers};
use crate::ui::pages::printer_form::PrinterForm;
use crate::ui::session::signed_in_admin;
use crate::views::models::Outcome;
use crate::views::printers::{
    ConnectionState, PrintJobView, PrintState, PrinterStatus, PrinterView, Temperature,
};

fn state_class(state: PrintState) -> &'static str {
    match state {
        PrintState::Printing | PrintState::Preparing => "badge accent",
        PrintState::Complete => "badge ok",
        PrintState::Paused => "badge warn",
        PrintState::Failed | PrintState::Cancelled => "badge danger",
        PrintState::Idle | PrintState::Unknown => "badge",
    }
}

fn connection_class(connection: ConnectionState) -> &'static str {
    match connection {
        ConnectionState::Online => "dot online",
        ConnectionState::Connecting => "dot connecting",
        ConnectionState::Offline => "dot offline",
        ConnectionState::Disabled => "dot disabled",
    }
}

fn temperature(t: Option<Temperature>) -> String {
    match t {
        Some(t) if t.target > 0.0 => format!("{:.0} / {:.0} °C", t.current, t.target),
        Some(t) => format!("{:.0} °C", t.current),
        None => "–".to_owned(),
    }
}

/// The printers page.
#[component]
pub fn PrintersPage() -> impl IntoView {
    let printers = Resource::new(|| (), |_| list_printers());
    let statuses = Resource::new_blocking(|| (), |_| printer_statuses());
    let record = ServerAction::<RecordPrintOutcome>::new();
    let prompts = Resource::new(
        move || record.version().get(),
        |_| list_print_jobs(None, None),
    );
    view! {
        <Title text="Printers" />
        <section class="page printers">
            <Suspense fallback=|| view! { <p class="muted">"Loading printers…"</p> }>
                {move || Suspend::new(async move {
                    let initial = statuses.await.unwrap_or_default();
                    view! { <LivePrintersView initial=initial printers=printers prompts=prompts record=record /> }
                })}
            </Suspense>
        </section>
    }
}

type Prompts = Resource<Result<Vec<PrintJobView>, crate::error::AppError>>;

#[component]
fn LivePrintersView(
    initial: Vec<PrinterStatus>,
    printers: Resource<Result<Vec<PrinterView>, crate::error::AppError>>,
    prompts: Prompts,
    record: ServerAction<RecordPrintOutcome>,
) -> impl IntoView {
    let live = provide_live_printers(initial);
    // A print may just have ended: ask again when a printer's state changes.
    let states = Memo::new(move |_| {
        live.statuses.with(|s| {
            s.values()
                .map(|p| (p.printer_id, p.state))
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |previous: Option<()>| {
        // Read, not just tracked: a memo recomputes only when it is read.
        let _ = states.get();
        if previous.is_some() {
            prompts.refetch();
            // The server records the job's end just after it relays the state.
            #[cfg(feature = "hydrate")]
            set_timeout(
                move || prompts.refetch(),
                std::time::Duration::from_millis(1500),
            );
        }
    });
    let changed = RwSignal::new(0u32);
    let is_admin = signed_in_admin();
    view! {
        <div class="page-head">
            <h1>"Printers"</h1>
            <span id="live-indicator" class="live-indicator" data-live=move || live.connected.get().to_string() role="status">
                {move || if live.connected.get() { "● Live" } else { "Reconnecting…" }}
            </span>
        </div>
        <OutcomePrompts jobs=prompts record=record />
        <Suspense fallback=|| view! { <p class="muted">"Loading printers…"</p> }>
            {move || Suspend::new(async move {
                let _ = changed.get();
                match printers.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty" id="no-printers">
                            <p class="empty-title">"No printers yet"</p>
                            <p class="muted">"An admin adds Klipper (Moonraker) and Bambu Lab printers here; then revisions can be sent to them and watched live."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="printer-grid" id="printers">
                            {list.into_iter().map(|p| view! { <PrinterCard printer=p live=live on_changed=move || printers.refetch() /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                }
            })}
        </Suspense>
        <Show when=is_admin>
            <details class="card" id="add-printer">
                <summary>"Add a printer"</summary>
                <PrinterForm existing=None on_saved=move || printers.refetch() />
            </details>
        </Show>
    }
}

/// One printer with its live status and controls.
#[component]
fn PrinterCard(
    printer: PrinterView,
    live: LivePrinters,
    #[prop(into)] on_changed: Callback<()>,
) -> impl IntoView {
    let id = printer.id;
    let status = move || live.statuses.with(|s| s.get(&id).cloned());
    let control = ServerAction::<ControlPrinter>::new();
    let delete = ServerAction::<DeletePrinter>::new();
    let editing = RwSignal::new(false);
    let show_files = RwSignal::new(false);
    let show_history = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            on_changed.run(());
        }
    });
    let act = move |action: PrintAction| {
        control.dispatch(ControlPrinter { id, action });
    };
    let is_admin = signed_in_admin();
    let name = printer.name.clone();
    let name_for_delete = printer.name.clone();
    let provider = printer.provider.label();
    let host = match printer.port {
        Some(port) => format!("{}:{port}", printer.host),
        None => printer.host.clone(),
    };
    let printer_for_form = printer.clone();
    view! {
        <li class="card printer-card" data-printer-id=id>
            <div class="printer-head">
                <span class=move || status().map_or("dot", |s| connection_class(s.connection)) aria-hidden="true"></span>
                <h2 class="printer-name">{name.clone()}</h2>
                <span class="printer-connection muted">{move || status().map_or("Unknown", |s| s.connection.label())}</span>
            </div>
            <p class="muted printer-where">{format!("{provider} · {host}")}</p>
            {move || status().map(|s| {
                let percent = s.progress.map(|p| (p * 100.0).round());
                view! {
                    <div class="printer-state">
                        <span class=state_class(s.state) data-state=format!("{:?}", s.state).to_lowercase()>{s.state.label()}</span>
                        {s.job_name.clone().map(|j| view! { <span class="printer-job">{j}</span> })}
                    </div>
                    {(s.state.is_active() || s.state == PrintState::Complete).then(|| view! {
                        <div class="printer-progress">
                            <progress class="print-progress" max="1" value=s.progress.unwrap_or(0.0) aria-label=format!("Progress of {}", s.job_name.clone().unwrap_or_default())></progress>
                            <span class="percent">{percent.map(|p| format!("{p:.0} %")).unwrap_or_default()}</span>
                            {s.remaining_s.map(|r| view! { <span class="muted">{format!("{} left", print_time(r))}</span> })}
                            {s.layer.map(|l| view! { <span class="muted">{match s.total_layers { Some(t) => format!("layer {l} / {t}"), None => format!("layer {l}") }}</span> })}
                        </div>
                    })}
                    <dl class="temps">
                        <div><dt>"Nozzle"</dt><dd class="temp-nozzle">{temperature(s.nozzle)}</dd></div>
                        <div><dt>"Bed"</dt><dd class="temp-bed">{temperature(s.bed)}</dd></div>
                        {s.chamber.map(|c| view! { <div><dt>"Chamber"</dt><dd>{temperature(Some(c))}</dd></div> })}
                    </dl>
                    {s.message.clone().map(|m| view! { <p class="muted printer-message">{m}</p> })}
                    {(s.connection != ConnectionState::Online).then(|| s.last_error.clone()).flatten().map(|e| view! { <p class="form-error printer-error">{e}</p> })}
                }
            })}
            <div class="row printer-actions">
                {move || {
                    let state = status().map_or(PrintState::Unknown, |s| s.state);
                    let online = status().is_some_and(|s| s.connection == ConnectionState::Online);
                    view! {
                        <Show when=move || online && state == PrintState::Printing>
                            <button class="button small" type="button" on:click=move |_| act(PrintAction::Pause)>"Pause"</button>
                        </Show>
                        <Show when=move || online && state == PrintState::Paused>
                            <button class="button small" type="button" on:click=move |_| act(PrintAction::Resume)>"Resume"</button>
                        </Show>
                        <Show when=move || online && state.is_active()>
                            <button class="button small danger" type="button" on:click=move |_| {
                                if window().confirm_with_message("Cancel the print? The printer stops and the job cannot be resumed.").unwrap_or(false) {
                                    act(PrintAction::Cancel);
                                }
                            }>"Cancel print"</button>
                        </Show>
                    }
                }}
                <button class="button small" type="button" aria-expanded=move || show_files.get().to_string() on:click=move |_| show_files.update(|v| *v = !*v)>"Files"</button>
                <button class="button small" type="button" aria-expanded=move || show_history.get().to_string() on:click=move |_| show_history.update(|v| *v = !*v)>"History"</button>
                <Show when=is_admin>
                    <button class="button small" type="button" on:click=move |_| editing.update(|v| *v = !*v)>"Edit"</button>
                    <button class="button small danger" type="button" aria-label=format!("Remove printer {}", name_for_delete) on:click={
                        let name = name_for_delete.clone();
                        move |_| {
                            if window().confirm_with_message(&format!("Remove \"{name}\"? Its print history stays.")).unwrap_or(false) {
                                delete.dispatch(DeletePrinter { id });
                            }
                        }
                    }>"Remove"</button>
                </Show>
            </div>
            {move || error_list([failure(control.value().get()), failure(delete.value().get())])}
            <Show when=move || editing.get()>
                <PrinterForm existing=Some(printer_for_form.clone()) on_saved=move || { editing.set(false); on_changed.run(()); } />
            </Show>
            <Show when=move || show_files.get()>
                <PrinterFiles id=id />
            </Show>
            <Show when=move || show_history.get()>
                <PrinterHistory id=id />
            </Show>
        </li>
    }
}

/// The files on a printer; those PrintStash sent link to their model.
#[component]
fn PrinterFiles(id: i32) -> impl IntoView {
    let files = Resource::new(move || id, list_printer_files);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Asking the printer…"</p> }>
            {move || Suspend::new(async move {
                match files.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No files on the printer."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="printer-files">
                            {list.into_iter().map(|f| view! {
                                <li>
                                    <span class="file-name">{f.name.clone()}</span>
                                    {match f.revision {
                                        Some(r) => view! { <A href=format!("/models/{}", r.model_id)>{format!("from the vault: {}", r.model_name)}</A> }.into_any(),
                                        None => view! { <span class="muted">"not from the vault"</span> }.into_any(),
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error">{err.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A list of print jobs.
pub fn job_list(jobs: Vec<PrintJobView>) -> impl IntoView {
    view! {
        <ul class="print-history">
            {jobs.into_iter().map(|j| view! {
                <li data-job-id=j.id>
                    <A href=format!("/models/{}", j.model_id)>{j.remote_name.clone()}</A>
                    <span class="muted">{format!(" on {} · {} · {}", j.printer_name, j.created_at.replace('T', " ").trim_end_matches('Z'), j.sent_by.clone().unwrap_or_else(|| "someone".into()))}</span>
                    <span class="badge">{format!("{:?}", j.state).to_lowercase()}</span>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn PrinterHistory(id: i32) -> impl IntoView {
    let jobs = Resource::new(move || id, |id| list_print_jobs(Some(id), None));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing printed from the vault yet."</p> }.into_any(),
                    Ok(list) => job_list(list).into_any(),
                    Err(err) => view! { <p class="form-error">{err.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Finished prints of the caller that wait for "how did it go?".
#[component]
fn OutcomePrompts(jobs: Prompts, record: ServerAction<RecordPrintOutcome>) -> impl IntoView {
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let list = jobs.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <div class="card outcome-prompts" id="outcome-prompts">
                        <h2>"How did it go?"</h2>
                        <ul>
                            {list.into_iter().map(|j| {
                                let id = j.id;
                                view! {
                                    <li class="outcome-prompt" data-job-id=id>
                                        <span>{format!("{} on {} ({:?})", j.remote_name, j.printer_name, j.state).replace("(Complete)", "— finished").replace("(Failed)", "— failed").replace("(Cancelled)", "— cancelled")}</span>
                                        <span class="row">
                                            <button class="button small" type="button" on:click=move |_| { record.dispatch(RecordPrintOutcome { id, params: JobOutcomeParams { outcome: Outcome::KnownGood } }); }>"Printed fine"</button>
                                            <button class="button small danger" type="button" on:click=move |_| { record.dispatch(RecordPrintOutcome { id, params: JobOutcomeParams { outcome: Outcome::Failed } }); }>"It failed"</button>
                                        </span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                })
            })}
        </Suspense>
        {move || error_list([failure(record.value().get())])}
    }
}
