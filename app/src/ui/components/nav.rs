//! The product navigation: a top bar on wide screens and a bottom tab bar on
//! phones (thumb reach at the printer). Both list the same destinations.

use leptos::prelude::*;
use leptos_router::components::A;

use super::icons::{Icon, IconKind};
use crate::api::auth::Logout;
use crate::ui::session::{Session, reload_at, use_session};

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
            <UserMenu />
        </header>
    }
}

/// The signed-in user's name and the sign-out button (nothing when nobody
/// is signed in).
#[component]
fn UserMenu() -> impl IntoView {
    let Session(state) = use_session();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            crate::ui::offline::forget_offline_copy();
            reload_at("/login");
        }
    });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                state.await.ok().and_then(|s| s.user).map(|user| view! {
                    <div class="user-menu">
                        <span id="signed-in-as" class="user-name" title=format!("Signed in as {}", user.username)>
                            {user.display_name}
                        </span>
                        <button
                            id="sign-out"
                            class="button small"
                            type="button"
                            on:click=move |_| {
                                logout.dispatch(Logout {});
                            }
                        >
                            "Sign out"
                        </button>
                    </div>
                })
            })}
        </Suspense>
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
