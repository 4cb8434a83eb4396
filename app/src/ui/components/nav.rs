//! The product navigation: a top bar on wide screens and a bottom tab bar on
//! phones (thumb reach at the printer). Both list the same destinations.

use leptos::prelude::*;
use leptos_router::components::A;

use super::icons::{Icon, IconKind};

/// One navigation destination.
struct Destination {
    href: &'static str,
    label: &'static str,
    icon: IconKind,
}

const DESTINATIONS: &[Destination] = &[
    Destination {
        href: "/",
        label: "Library",
        icon: IconKind::Library,
    },
    Destination {
        href: "/collections",
        label: "Collections",
        icon: IconKind::Collections,
    },
    Destination {
        href: "/printers",
        label: "Printers",
        icon: IconKind::Printer,
    },
    Destination {
        href: "/trash",
        label: "Trash",
        icon: IconKind::Trash,
    },
    Destination {
        href: "/settings",
        label: "Settings",
        icon: IconKind::Settings,
    },
];

fn links(class: &'static str) -> impl IntoView {
    DESTINATIONS
        .iter()
        .map(|d| {
            view! {
                <A href=d.href exact=true attr:class=class>
                    <Icon kind=d.icon />
                    <span>{d.label}</span>
                </A>
            }
        })
        .collect_view()
}

/// The header with the brand and, on wide screens, the navigation.
#[component]
pub fn TopNav() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <Icon kind=IconKind::Logo />
                <span>"PrintStash"</span>
            </a>
            <nav class="topnav" aria-label="Main">
                {links("topnav-link")}
            </nav>
        </header>
    }
}

/// The phone tab bar, fixed to the bottom of the screen.
#[component]
pub fn BottomNav() -> impl IntoView {
    view! {
        <nav class="tabbar" aria-label="Main (mobile)">
            {links("tab")}
        </nav>
    }
}
