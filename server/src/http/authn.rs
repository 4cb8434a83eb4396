//! Authentication and CSRF for every request: resolves the session cookie or
//! API token once (into a [`RequestAuth`] request extension read by REST
//! handlers and server functions), and refuses cookie-authenticated writes
//! whose `Origin` (or `Referer`) is not this site.

use std::net::SocketAddr;

use app::backend::auth::sessions::secret_from_cookie_header;
use app::backend::auth::{Presented, RequestAuth, Resolved, Via, resolve};
use app::backend::state::AppState;
use app::error::{AppError, ErrorCode};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The token of `Authorization: Bearer …` or `X-Api-Key: …`.
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    header_text(headers, header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| header_text(headers, "x-api-key"))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The client address: the first `X-Forwarded-For` hop behind a trusted
/// proxy, else the socket peer.
fn client_ip(request: &Request, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(first) = header_text(request.headers(), "x-forwarded-for")
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return first.chars().take(64).collect();
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// This site's `host[:port]` as the client addressed it.
fn own_authority(headers: &HeaderMap, trust_proxy: bool) -> Option<&str> {
    let forwarded = trust_proxy
        .then(|| header_text(headers, "x-forwarded-host"))
        .flatten();
    forwarded.or_else(|| header_text(headers, header::HOST))
}

/// The `host[:port]` of an absolute URL (`scheme://authority/...`).
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    Some(rest.split(['/', '?', '#']).next().unwrap_or(rest))
}

/// Whether a state-changing request comes from this site's own pages. A
/// request with neither `Origin` nor `Referer` is not from a browser page
/// (browsers send `Origin` on every non-GET fetch and form post).
fn same_origin(headers: &HeaderMap, trust_proxy: bool) -> Option<bool> {
    let own = own_authority(headers, trust_proxy)?;
    let claimed = header_text(headers, header::ORIGIN)
        .filter(|o| *o != "null")
        .or_else(|| header_text(headers, header::REFERER));
    match (header_text(headers, header::ORIGIN), claimed) {
        (Some("null"), _) => Some(false),
        (_, Some(url)) => Some(authority_of(url).is_some_and(|a| a.eq_ignore_ascii_case(own))),
        (_, None) => None,
    }
}

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/icons/")
        || matches!(
            path,
            "/favicon.svg" | "/favicon.ico" | "/manifest.webmanifest" | "/sw.js"
        )
}

fn refuse(code: ErrorCode, message: &str) -> Response {
    ApiError(AppError::new(code, message)).into_response()
}

/// The middleware (see the module docs).
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_static_asset(request.uri().path()) {
        return next.run(request).await;
    }
    let trust_proxy = state.settings.auth.trust_proxy;
    let ip = client_ip(&request, trust_proxy);
    let headers = request.headers();
    let token = presented_token(headers).map(str::to_owned);
    let session_secret = header_text(headers, header::COOKIE)
        .and_then(secret_from_cookie_header)
        .map(str::to_owned);
    let https = trust_proxy
        && header_text(headers, "x-forwarded-proto")
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let user_agent: String = header_text(headers, header::USER_AGENT)
        .unwrap_or("")
        .chars()
        .take(255)
        .collect();
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let origin_ok = same_origin(headers, trust_proxy);

    let presented = Presented {
        token: token.as_deref(),
        session: session_secret.as_deref(),
    };
    let resolved = match resolve(&state, presented, &ip).await {
        Ok(resolved) => resolved,
        Err(err) => return ApiError(err.into()).into_response(),
    };
    // CSRF: a write carried by the ambient cookie must come from our pages;
    // so must sign-in and setup (against login CSRF) when a browser says
    // where it comes from.
    let cookie_borne = matches!(resolved, Resolved::User(_, Via::Session));
    if writes && token.is_none() {
        let refused = match origin_ok {
            Some(false) => true,
            None => cookie_borne,
            Some(true) => false,
        };
        if refused {
            tracing::warn!(%ip, path = %request.uri().path(), "cross-site write refused");
            return refuse(
                ErrorCode::Forbidden,
                "This request did not come from PrintStash's own pages (Origin check failed); reload the page and try again.",
            );
        }
    }
    if let Resolved::User(actor, _) = &resolved {
        tracing::Span::current().record("user", actor.username.as_str());
    }
    request.extensions_mut().insert(RequestAuth {
        resolved,
        ip,
        user_agent,
        https,
        session_secret,
    });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn origin_must_name_this_host() {
        let own = [("host", "vault.local:8080")];
        let with = |extra: (&'static str, &'static str)| {
            let mut h = headers(&own);
            h.insert(extra.0, HeaderValue::from_static(extra.1));
            same_origin(&h, false)
        };
        assert_eq!(with(("origin", "http://vault.local:8080")), Some(true));
        assert_eq!(with(("origin", "https://evil.example")), Some(false));
        assert_eq!(with(("origin", "null")), Some(false));
        assert_eq!(
            with(("referer", "http://vault.local:8080/settings")),
            Some(true)
        );
        assert_eq!(with(("referer", "http://vault.local:8081/")), Some(false));
        assert_eq!(same_origin(&headers(&own), false), None);
    }

    #[test]
    fn forwarded_host_counts_only_behind_a_trusted_proxy() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "vault.example.org"),
            ("origin", "https://vault.example.org"),
        ]);
        assert_eq!(same_origin(&h, true), Some(true));
        assert_eq!(same_origin(&h, false), Some(false));
    }
}
