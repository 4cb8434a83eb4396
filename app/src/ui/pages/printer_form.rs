//! The add/edit form of a printer (vault admins): provider, address,
//! credentials (write-only: the stored secret is never shown), and the
//! printer's facts the send-to-printer preflight compares against.

use leptos::prelude::*;

use crate::api::printers::{CreatePrinter, UpdatePrinter};
use crate::params::printers::{CreatePrinterParams, UpdatePrinterParams};
use crate::ui::components::errors::{error_list, failure};
use crate::views::printers::{PrinterProvider, PrinterView};

fn number(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse().ok()
}

/// Adds a printer (`existing: None`) or edits one.
#[component]
pub fn PrinterForm(
    existing: Option<PrinterView>,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let create = ServerAction::<CreatePrinter>::new();
    let update = ServerAction::<UpdatePrinter>::new();
    let editing_id = existing.as_ref().map(|p| p.id);
    let prefix = match editing_id {
        Some(id) => format!("printer-{id}-"),
        None => "new-printer-".to_owned(),
    };
    let provider = RwSignal::new(
        existing
            .as_ref()
            .map_or(PrinterProvider::Moonraker, |p| p.provider),
    );
    let field = move |name: &str| format!("{prefix}{name}");
    let (name, host, port, serial, secret, model, nozzle, bed_x, bed_y) = (
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
    );
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            || matches!(update.value().get(), Some(Ok(_)))
        {
            on_saved.run(());
        }
    });
    let value =
        |node: NodeRef<leptos::html::Input>| node.get().map(|i| i.value()).unwrap_or_default();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = |node| Some(value(node)).filter(|v: &String| !v.trim().is_empty());
        let port_number = value(port).trim().parse::<u16>().ok();
        match editing_id {
            None => {
                create.dispatch(CreatePrinter {
                    params: CreatePrinterParams {
                        name: value(name),
                        provider: provider.get_untracked(),
                        host: value(host),
                        port: port_number,
                        serial: text(serial),
                        secret: text(secret),
                        enabled: Some(true),
                        model: text(model),
                        nozzle_diameter_mm: number(&value(nozzle)),
                        bed_x_mm: number(&value(bed_x)),
                        bed_y_mm: number(&value(bed_y)),
                    },
                });
            }
            Some(id) => {
                update.dispatch(UpdatePrinter {
                    id,
                    params: UpdatePrinterParams {
                        name: Some(value(name)),
                        host: Some(value(host)),
                        port: Some(port_number.unwrap_or(0)),
                        serial: text(serial),
                        // Blank keeps the stored secret.
                        secret: text(secret),
                        enabled: None,
                        model: Some(value(model)),
                        nozzle_diameter_mm: number(&value(nozzle)),
                        bed_x_mm: number(&value(bed_x)),
                        bed_y_mm: number(&value(bed_y)),
                    },
                });
            }
        }
    };
    let text_of =
        |f: fn(&PrinterView) -> Option<String>| existing.as_ref().and_then(f).unwrap_or_default();
    let serial_id = field("serial");
    let serial_value = text_of(|p| p.serial.clone());
    view! {
        <form class="stack-form printer-form" on:submit=on_submit>
            <label for=field("name")>"Name"</label>
            <input id=field("name") node_ref=name required maxlength="100" placeholder="Voron 2.4" value=text_of(|p| Some(p.name.clone())) />
            <label for=field("provider")>"Kind"</label>
            <select id=field("provider") disabled=editing_id.is_some() on:change=move |ev| {
                provider.set(if event_target_value(&ev) == "bambu" { PrinterProvider::Bambu } else { PrinterProvider::Moonraker });
            }>
                <option value="moonraker" selected=move || provider.get() == PrinterProvider::Moonraker>{PrinterProvider::Moonraker.label()}</option>
                <option value="bambu" selected=move || provider.get() == PrinterProvider::Bambu>{PrinterProvider::Bambu.label()}</option>
            </select>
            <label for=field("host")>"Host name or IP address"</label>
            <input id=field("host") node_ref=host required placeholder="192.168.1.40" value=text_of(|p| Some(p.host.clone())) />
            <label for=field("port")>{move || if provider.get() == PrinterProvider::Bambu { "MQTT port (blank: 8883)" } else { "Port (blank: 7125)" }}</label>
            <input id=field("port") node_ref=port inputmode="numeric" value=text_of(|p| p.port.map(|n| n.to_string())) />
            <Show when=move || provider.get() == PrinterProvider::Bambu>
                <label for=serial_id.clone()>"Serial number"</label>
                <input id=serial_id.clone() node_ref=serial placeholder="01S00A000000000" value=serial_value.clone() />
            </Show>
            <label for=field("secret")>{move || match (provider.get(), editing_id.is_some()) {
                (PrinterProvider::Bambu, false) => "LAN access code",
                (PrinterProvider::Bambu, true) => "LAN access code (blank: keep the stored one)",
                (_, false) => "API key (if Moonraker asks for one)",
                (_, true) => "API key (blank: keep the stored one)",
            }}</label>
            <input id=field("secret") node_ref=secret type="password" autocomplete="off" />
            <fieldset class="printer-facts">
                <legend>"For the preflight check (optional)"</legend>
                <label for=field("model")>"Printer model"</label>
                <input id=field("model") node_ref=model placeholder="Voron 2.4" value=text_of(|p| p.model.clone()) />
                <label for=field("nozzle")>"Nozzle (mm)"</label>
                <input id=field("nozzle") node_ref=nozzle inputmode="decimal" placeholder="0.4" value=text_of(|p| p.nozzle_diameter_mm.map(|n| n.to_string())) />
                <label for=field("bed-x")>"Bed X (mm)"</label>
                <input id=field("bed-x") node_ref=bed_x inputmode="decimal" placeholder="350" value=text_of(|p| p.bed_x_mm.map(|n| n.to_string())) />
                <label for=field("bed-y")>"Bed Y (mm)"</label>
                <input id=field("bed-y") node_ref=bed_y inputmode="decimal" placeholder="350" value=text_of(|p| p.bed_y_mm.map(|n| n.to_string())) />
            </fieldset>
            <button class="button primary" type="submit" id=field("save")>{if editing_id.is_some() { "Save printer" } else { "Add printer" }}</button>
            {move || error_list([failure(create.value().get().map(|r| r.map(|_| ()))), failure(update.value().get().map(|r| r.map(|_| ())))])}
        </form>
    }
}
