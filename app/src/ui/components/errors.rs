//! Showing failed actions: each error's message in an alert, where the
//! action happened.

use leptos::prelude::*;

use crate::error::AppError;

/// The messages of `errors` (the `None`s and successes left out), one alert each.
pub fn error_list(errors: impl IntoIterator<Item = Option<AppError>>) -> impl IntoView {
    errors
        .into_iter()
        .flatten()
        .map(|err| view! { <p class="form-error" role="alert">{err.message}</p> })
        .collect_view()
}

/// The error of an action's last result, if it failed.
pub fn failure<T>(result: Option<Result<T, AppError>>) -> Option<AppError> {
    result.and_then(Result::err)
}
