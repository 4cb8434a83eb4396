//! Who is calling and what they may do: the [`Actor`] every service takes,
//! accounts and sign-in, sessions, API tokens, collection roles, the sign-in
//! rate limits and the audit log. [`resolve`] turns presented credentials
//! into an actor; the HTTP layer calls it once per request.

pub mod actor;
pub mod audit;
pub mod grants;
pub mod limiter;
pub mod secrets;
pub mod sessions;
pub mod tokens;
pub mod users;

pub use actor::Actor;

use crate::backend::db::entities::users as user_rows;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A browser session cookie (ambient: needs the CSRF check).
    Session,
    /// An API token in a header.
    Token,
}

/// The credentials a request presented.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    /// `Authorization: Bearer …` or `X-Api-Key: …`.
    pub token: Option<&'a str>,
    /// The session cookie's secret.
    pub session: Option<&'a str>,
}

/// What a request turned out to be.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// Nothing presented.
    Anonymous,
    /// Something presented that is not (or no longer) valid.
    Rejected(&'static str),
    /// A signed-in user.
    User(Actor, Via),
}

/// Resolves presented credentials. A token wins over a cookie; a bad token
/// is rejected rather than falling back to the cookie.
pub async fn resolve(
    state: &AppState,
    presented: Presented<'_>,
    ip: &str,
) -> Result<Resolved, ServiceError> {
    let (user, via): (Option<user_rows::Model>, Via) = match presented {
        Presented {
            token: Some(token), ..
        } => (tokens::resolve(state, token.trim()).await?, Via::Token),
        Presented {
            session: Some(secret),
            ..
        } => (sessions::resolve(state, secret).await?, Via::Session),
        Presented { .. } => return Ok(Resolved::Anonymous),
    };
    let Some(user) = user else {
        return Ok(Resolved::Rejected(match via {
            Via::Token => "The API token is not valid (unknown, revoked or expired).",
            Via::Session => "Your session has ended; sign in again.",
        }));
    };
    let actor = Actor::for_user(
        &state.db,
        &user,
        state.settings.auth.default_role,
        Some(ip.to_owned()),
    )
    .await?;
    Ok(Resolved::User(actor, via))
}

/// What the HTTP layer learned about a request's caller, stored in the
/// request's extensions once per request for REST handlers and server
/// functions alike.
#[derive(Debug, Clone)]
pub struct RequestAuth {
    /// Who the credentials say the caller is.
    pub resolved: Resolved,
    /// The client address (from the socket, or `X-Forwarded-For` behind a
    /// trusted proxy); `unknown` when neither is available.
    pub ip: String,
    /// The client's `User-Agent` (for the session list).
    pub user_agent: String,
    /// Whether the client reached us over HTTPS (decides the cookie's `Secure`).
    pub https: bool,
    /// The session cookie's secret, if one was sent (sign-out ends it).
    pub session_secret: Option<String>,
}

impl RequestAuth {
    /// The signed-in caller, or the error to answer with.
    pub fn actor(&self) -> Result<&Actor, ServiceError> {
        match &self.resolved {
            Resolved::User(actor, _) => Ok(actor),
            Resolved::Rejected(why) => Err(ServiceError::Unauthenticated((*why).to_owned())),
            Resolved::Anonymous => Err(ServiceError::Unauthenticated(
                "Sign in first, or send an API token as 'Authorization: Bearer <token>' or 'X-Api-Key: <token>'."
                    .into(),
            )),
        }
    }

    /// Whether the session cookie gets the `Secure` attribute.
    pub fn secure_cookie(&self, settings: &crate::backend::config::AuthSettings) -> bool {
        match settings.cookie_secure {
            crate::backend::config::CookieSecure::Always => true,
            crate::backend::config::CookieSecure::Never => false,
            crate::backend::config::CookieSecure::Auto => self.https,
        }
    }
}
