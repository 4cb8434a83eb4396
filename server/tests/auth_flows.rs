//! Sign-in flows against the real server binary, on SQLite and PostgreSQL:
//! the one-time setup, session revocation (disable, password reset and
//! change, sign-out, idle and absolute expiry), API token revocation and
//! expiry, CSRF rejection, sign-in rate limits, the audit log, proxy
//! headers (only when trusted) and command-line account recovery.

mod support;

use app::backend::db::entities::{api_tokens, sessions};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use support::{ADMIN_PASSWORD, Api, Engine, Vault, assert_error, id, sign_in};

const PASSWORD: &str = "user-password-1";

/// `GET /auth/me` with a session cookie: the status.
async fn me_with_session(base: &str, session: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/auth/me"))
        .header(COOKIE, format!("printstash_session={session}"))
        .send()
        .await
        .expect("GET /auth/me")
        .status()
}

async fn make_user(admin: &Api, name: &str) -> i64 {
    let (status, user) = admin
        .post_json("/users", &json!({ "username": name, "password": PASSWORD }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    id(&user["id"])
}

async fn setup_flow(engine: Engine) {
    // No admin from the environment: the vault starts empty.
    let Some(mut vault) = Vault::new(
        engine,
        &[("VAULT_ADMIN_USERNAME", ""), ("VAULT_ADMIN_PASSWORD", "")],
    )
    .await
    else {
        return;
    };
    let server = vault.start().await;
    let anon = Api::new(&vault.base);
    let (status, body) = anon.get("/auth/setup").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["needs_setup"], true, "{body}");
    let (status, body) = anon.get("/models").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error(&body, "unauthenticated");

    let secret = "first-admin-secret";
    let (status, body) = anon
        .post_json(
            "/auth/setup",
            &json!({ "username": "owner", "password": "short" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let res = reqwest::Client::new()
        .post(anon.url("/auth/setup"))
        .json(&json!({ "username": "owner", "password": secret }))
        .send()
        .await
        .expect("POST /auth/setup");
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookie = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("setup signs the admin in")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie
        .strip_prefix("printstash_session=")
        .and_then(|v| v.split(';').next())
        .expect("session cookie");
    assert_eq!(me_with_session(&vault.base, session).await, StatusCode::OK);

    let (_, body) = anon.get("/auth/setup").await;
    assert_eq!(body["needs_setup"], false);
    let (status, body) = anon
        .post_json(
            "/auth/setup",
            &json!({ "username": "intruder", "password": "long enough" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "setup runs once: {body}");
    let (status, _) = anon
        .post_json(
            "/auth/login",
            &json!({ "username": "intruder", "password": "long enough" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let owner = Api::as_user(&vault.base, "owner", secret).await;
    let (status, me) = owner.get("/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["is_admin"], true, "{me}");
    let log = server.log_text();
    assert!(!log.contains(secret), "the password reached the log");
    assert!(!log.contains(session), "the session secret reached the log");
}

async fn sessions_end_on_disable_reset_change_and_expiry(engine: Engine) {
    // Many sign-ins of one account: lift the per-account limit.
    let Some(mut vault) = Vault::new(engine, &[("VAULT_LOGIN_ATTEMPTS_PER_MINUTE", "100")]).await
    else {
        return;
    };
    let _server = vault.start().await;
    let base = vault.base.clone();
    let admin = Api::admin(&base).await;
    let client = reqwest::Client::new();
    let uid = make_user(&admin, "sam").await;

    // Disabling ends every session at once; a disabled user cannot sign in.
    let s1 = sign_in(&client, &base, "sam", PASSWORD)
        .await
        .expect("sign in");
    let s2 = sign_in(&client, &base, "sam", PASSWORD)
        .await
        .expect("sign in");
    assert_eq!(me_with_session(&base, &s1).await, StatusCode::OK);
    let (status, _) = admin
        .patch_json(&format!("/users/{uid}"), &json!({ "disabled": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me_with_session(&base, &s1).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with_session(&base, &s2).await, StatusCode::UNAUTHORIZED);
    let refused = sign_in(&client, &base, "sam", PASSWORD).await;
    assert!(
        matches!(refused, Err((StatusCode::UNAUTHORIZED, _))),
        "{refused:?}"
    );
    admin
        .patch_json(&format!("/users/{uid}"), &json!({ "disabled": false }))
        .await;

    // An admin's password reset ends the sessions; the new password works.
    let s3 = sign_in(&client, &base, "sam", PASSWORD)
        .await
        .expect("sign in");
    let (status, _) = admin
        .post_json(
            &format!("/users/{uid}/password"),
            &json!({ "new_password": "reset-password-2" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me_with_session(&base, &s3).await, StatusCode::UNAUTHORIZED);
    assert!(sign_in(&client, &base, "sam", PASSWORD).await.is_err());
    let s4 = sign_in(&client, &base, "sam", "reset-password-2")
        .await
        .expect("new password");

    // Changing one's own password ends all one's sessions (this one too).
    let sam = Api::with_session(&base, &s4);
    let (status, body) = sam
        .post_json(
            "/auth/password",
            &json!({ "current_password": "wrong", "new_password": "changed-password-3" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = sam
        .post_json(
            "/auth/password",
            &json!({ "current_password": "reset-password-2", "new_password": "changed-password-3" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me_with_session(&base, &s4).await, StatusCode::UNAUTHORIZED);

    // Sign-out ends only that session.
    let s5 = sign_in(&client, &base, "sam", "changed-password-3")
        .await
        .expect("sign in");
    let s6 = sign_in(&client, &base, "sam", "changed-password-3")
        .await
        .expect("sign in");
    let (status, _) = Api::with_session(&base, &s5)
        .post_empty("/auth/logout")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me_with_session(&base, &s5).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with_session(&base, &s6).await, StatusCode::OK);

    // Idle and absolute expiry, by ageing the rows.
    let db = vault.connect().await;
    let s7 = sign_in(&client, &base, "sam", "changed-password-3")
        .await
        .expect("sign in");
    let long_ago = chrono::Utc::now() - chrono::Duration::days(8);
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastSeenAt, Expr::value(long_ago))
        .filter(sessions::Column::UserId.eq(uid as i32))
        .exec(&db)
        .await
        .expect("age sessions");
    assert_eq!(
        me_with_session(&base, &s6).await,
        StatusCode::UNAUTHORIZED,
        "idle for 8 days (limit 7)"
    );
    assert_eq!(me_with_session(&base, &s7).await, StatusCode::UNAUTHORIZED);
    let s8 = sign_in(&client, &base, "sam", "changed-password-3")
        .await
        .expect("sign in");
    sessions::Entity::update_many()
        .col_expr(sessions::Column::ExpiresAt, Expr::value(chrono::Utc::now()))
        .filter(sessions::Column::UserId.eq(uid as i32))
        .exec(&db)
        .await
        .expect("expire sessions");
    assert_eq!(
        me_with_session(&base, &s8).await,
        StatusCode::UNAUTHORIZED,
        "past the absolute expiry"
    );
}

async fn tokens_are_shown_once_and_stop_when_revoked(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let _server = vault.start().await;
    let base = vault.base.clone();
    let admin = Api::admin(&base).await;
    let uid = make_user(&admin, "slicer").await;
    let client = reqwest::Client::new();
    let session = sign_in(&client, &base, "slicer", PASSWORD)
        .await
        .expect("sign in");
    let me = Api::with_session(&base, &session);
    let (status, created) = me
        .post_json(
            "/auth/tokens",
            &json!({ "name": "PrusaSlicer", "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().expect("secret").to_owned();
    assert!(token.starts_with("psk_"));
    let token_id = id(&created["info"]["id"]);
    let (_, list) = me.get("/auth/tokens").await;
    assert!(
        !list.to_string().contains(&token),
        "lists never show the secret"
    );
    assert_eq!(list[0]["prefix"], token[..12]);

    // Both headers work; the last use is recorded.
    let by_bearer = Api::with_token(&base, &token);
    assert_eq!(by_bearer.get("/models").await.0, StatusCode::OK);
    let res = client
        .get(format!("{base}/api/v1/models"))
        .header("X-Api-Key", &token)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let (_, list) = me.get("/auth/tokens").await;
    assert!(list[0]["last_used_at"].is_string(), "{list}");

    // Someone else cannot revoke it; its owner can, and then it is refused
    // even next to a valid session cookie.
    make_user(&admin, "other").await;
    let other = Api::as_user(&base, "other", PASSWORD).await;
    let (status, _) = other.delete(&format!("/auth/tokens/{token_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, revoked) = me.delete(&format!("/auth/tokens/{token_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(revoked["revoked_at"].is_string());
    let (status, body) = by_bearer.get("/models").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthenticated");
    let res = client
        .get(format!("{base}/api/v1/models"))
        .bearer_auth(&token)
        .header(COOKIE, format!("printstash_session={session}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a bad token never falls back to the cookie"
    );

    // Expiry and a disabled owner stop a token too.
    let (_, second) = me
        .post_json("/auth/tokens", &json!({ "name": "Orca" }))
        .await;
    let second_token = second["token"].as_str().expect("secret").to_owned();
    let by_second = Api::with_token(&base, &second_token);
    assert_eq!(by_second.get("/models").await.0, StatusCode::OK);
    let db = vault.connect().await;
    api_tokens::Entity::update_many()
        .col_expr(
            api_tokens::Column::ExpiresAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(api_tokens::Column::Id.eq(id(&second["info"]["id"]) as i32))
        .exec(&db)
        .await
        .expect("expire");
    assert_eq!(
        by_second.get("/models").await.0,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
    let (_, third) = me
        .post_json("/auth/tokens", &json!({ "name": "script" }))
        .await;
    let by_third = Api::with_token(&base, third["token"].as_str().expect("secret"));
    assert_eq!(by_third.get("/models").await.0, StatusCode::OK);
    admin
        .patch_json(&format!("/users/{uid}"), &json!({ "disabled": true }))
        .await;
    assert_eq!(
        by_third.get("/models").await.0,
        StatusCode::UNAUTHORIZED,
        "owner disabled"
    );
}

async fn cross_site_writes_are_refused(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let _server = vault.start().await;
    let base = vault.base.clone();
    let client = reqwest::Client::new();
    let session = sign_in(&client, &base, "admin", ADMIN_PASSWORD)
        .await
        .expect("sign in");
    let post_tag = |origin: Option<&str>, name: &str| {
        let mut request = client
            .post(format!("{base}/api/v1/tags"))
            .header(COOKIE, format!("printstash_session={session}"))
            .json(&json!({ "name": name }));
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        request.send()
    };
    let res = post_tag(None, "no-origin").await.expect("POST");
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a cookie write without Origin"
    );
    let res = post_tag(Some("https://evil.example"), "evil")
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.expect("json");
    assert_error(&body, "forbidden");
    let res = post_tag(Some("null"), "null-origin").await.expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = client
        .post(format!("{base}/api/v1/tags"))
        .header(COOKIE, format!("printstash_session={session}"))
        .header(reqwest::header::REFERER, "https://evil.example/page")
        .json(&json!({ "name": "evil-referer" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Server functions are guarded the same way.
    let res = client
        .post(format!("{base}/api/create_tag"))
        .header(COOKIE, format!("printstash_session={session}"))
        .header(ORIGIN, "https://evil.example")
        .json(&json!({ "name": "evil-fn" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Login CSRF: a browser sign-in from another site is refused.
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .header(ORIGIN, "https://evil.example")
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let admin = Api::admin(&base).await;
    let (_, tags) = admin.get("/tags").await;
    assert_eq!(
        tags.as_array().map(Vec::len),
        Some(0),
        "nothing was created: {tags}"
    );

    // Our own pages, and token clients, may write.
    let res = post_tag(Some(base.as_str()), "same-site")
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::CREATED);
    let (status, _) = admin
        .post_json("/tags", &json!({ "name": "by-token" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn sign_in_is_rate_limited_and_audited(engine: Engine) {
    let Some(mut vault) = Vault::new(
        engine,
        &[
            ("VAULT_LOGIN_ATTEMPTS_PER_MINUTE", "3"),
            ("VAULT_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP", "8"),
        ],
    )
    .await
    else {
        return;
    };
    let server = vault.start().await;
    let base = vault.base.clone();
    let admin = Api::admin(&base).await; // 1 attempt for "admin" from this IP
    make_user(&admin, "alice").await;
    let attempt = |name: &'static str, password: &'static str| {
        let client = reqwest::Client::new();
        let url = format!("{base}/api/v1/auth/login");
        async move {
            client
                .post(url)
                .json(&json!({ "username": name, "password": password }))
                .send()
                .await
                .expect("POST /auth/login")
        }
    };
    for _ in 0..3 {
        let res = attempt("alice", "guess-guess").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"]["message"], "Wrong username or password.");
    }
    // The fourth within the minute: refused before the password is checked,
    // even the right one, with the time to wait.
    let res = attempt("alice", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=20).contains(&wait), "{wait}");
    let body: Value = res.json().await.expect("json");
    assert_error(&body, "rate_limited");
    assert_eq!(body["error"]["retry_after_s"], wait);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("Try again in {wait} s"))),
        "{body}"
    );
    // Other accounts are still open, until the address uses up its own limit
    // (8 per minute: 1 admin + 4 alice + 3 here).
    for name in ["bob", "carol", "dave"] {
        assert_eq!(
            attempt(name, "x-password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = attempt("erin", "x-password").await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "per-address limit"
    );

    // Failed sign-ins are in the log (with the address) and the audit log.
    let log = server.log_text();
    assert!(
        log.contains("sign-in failed") && log.contains("127.0.0.1"),
        "failed sign-ins are logged"
    );
    let (status, audit) = admin.get("/audit?limit=100").await;
    assert_eq!(status, StatusCode::OK);
    let entries = audit.as_array().expect("entries");
    let failed: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "user.login_failed")
        .collect();
    assert_eq!(failed.len(), 6, "3 for alice, 3 unknown users: {audit}");
    assert!(failed.iter().all(|e| e["ip"] == "127.0.0.1"));
    assert!(entries.iter().any(|e| e["action"] == "user.create"));
    let text = audit.to_string();
    for secret in [PASSWORD, "guess-guess", ADMIN_PASSWORD] {
        assert!(!text.contains(secret), "the audit log holds a password");
    }
}

async fn reset_admin_recovers_a_locked_out_vault(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let mut server = vault.start().await;
    let client = reqwest::Client::new();
    assert!(
        sign_in(&client, &vault.base, "admin", ADMIN_PASSWORD)
            .await
            .is_ok()
    );
    server.kill();

    // The password is read from standard input, never from the arguments.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["reset-admin", "admin"])
        .env("VAULT_DATA_DIR", vault.data_dir())
        .env("VAULT_DATABASE_URL", &vault.database_url)
        .env("VAULT_LOG", "warn")
        .env("VAULT_ARGON2_MEMORY_KIB", "8192")
        .env("VAULT_ARGON2_ITERATIONS", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run server reset-admin");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"recovered-password-7\n")
            .expect("write the password");
    }
    let out = child.wait_with_output().expect("reset-admin ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "reset-admin failed: {stderr}");
    assert!(stderr.contains("admin is an enabled admin"), "{stderr}");
    assert!(
        !stderr.contains("recovered-password-7"),
        "the password was echoed"
    );

    let _server = vault.start().await;
    assert!(
        sign_in(&client, &vault.base, "admin", ADMIN_PASSWORD)
            .await
            .is_err()
    );
    let session = sign_in(&client, &vault.base, "admin", "recovered-password-7")
        .await
        .expect("the new password works");
    let (_, audit) = Api::with_session(&vault.base, &session).get("/audit").await;
    assert!(
        audit
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["action"] == "user.recovered")),
        "{audit}"
    );
}

/// Behind a trusted proxy the cookie is `Secure` over HTTPS and the client
/// address comes from `X-Forwarded-For`; without `VAULT_TRUST_PROXY` both
/// headers are ignored (a client could forge them).
async fn proxy_headers_count_only_when_trusted(engine: Engine) {
    for trusted in [true, false] {
        let env: &[(&str, &str)] = if trusted {
            &[("VAULT_TRUST_PROXY", "true")]
        } else {
            &[]
        };
        let Some(mut vault) = Vault::new(engine, env).await else {
            return;
        };
        let _server = vault.start().await;
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/login", vault.base))
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-For", "203.0.113.9, 10.0.0.1")
            .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD }))
            .send()
            .await
            .expect("POST /auth/login");
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("cookie")
            .to_owned();
        assert_eq!(cookie.contains("; Secure"), trusted, "{cookie}");
        let admin = Api::admin(&vault.base).await;
        let (_, audit) = admin.get("/audit").await;
        let first_login = audit
            .as_array()
            .and_then(|a| a.iter().rev().find(|e| e["action"] == "user.login"))
            .cloned()
            .expect("a login entry");
        let expected_ip = if trusted { "203.0.113.9" } else { "127.0.0.1" };
        assert_eq!(first_login["ip"], expected_ip, "{audit}");
    }
}

#[tokio::test]
async fn proxy_headers_count_only_when_trusted_on_sqlite() {
    proxy_headers_count_only_when_trusted(Engine::Sqlite).await;
}

#[tokio::test]
async fn proxy_headers_count_only_when_trusted_on_postgres() {
    proxy_headers_count_only_when_trusted(Engine::Postgres).await;
}

#[tokio::test]
async fn reset_admin_recovers_on_sqlite() {
    reset_admin_recovers_a_locked_out_vault(Engine::Sqlite).await;
}

#[tokio::test]
async fn reset_admin_recovers_on_postgres() {
    reset_admin_recovers_a_locked_out_vault(Engine::Postgres).await;
}

#[tokio::test]
async fn setup_creates_the_first_admin_once_on_sqlite() {
    setup_flow(Engine::Sqlite).await;
}

#[tokio::test]
async fn setup_creates_the_first_admin_once_on_postgres() {
    setup_flow(Engine::Postgres).await;
}

#[tokio::test]
async fn sessions_are_revoked_on_sqlite() {
    sessions_end_on_disable_reset_change_and_expiry(Engine::Sqlite).await;
}

#[tokio::test]
async fn sessions_are_revoked_on_postgres() {
    sessions_end_on_disable_reset_change_and_expiry(Engine::Postgres).await;
}

#[tokio::test]
async fn tokens_are_revoked_on_sqlite() {
    tokens_are_shown_once_and_stop_when_revoked(Engine::Sqlite).await;
}

#[tokio::test]
async fn tokens_are_revoked_on_postgres() {
    tokens_are_shown_once_and_stop_when_revoked(Engine::Postgres).await;
}

#[tokio::test]
async fn csrf_is_refused_on_sqlite() {
    cross_site_writes_are_refused(Engine::Sqlite).await;
}

#[tokio::test]
async fn csrf_is_refused_on_postgres() {
    cross_site_writes_are_refused(Engine::Postgres).await;
}

#[tokio::test]
async fn sign_in_is_rate_limited_on_sqlite() {
    sign_in_is_rate_limited_and_audited(Engine::Sqlite).await;
}

#[tokio::test]
async fn sign_in_is_rate_limited_on_postgres() {
    sign_in_is_rate_limited_and_audited(Engine::Postgres).await;
}
