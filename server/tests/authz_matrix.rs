//! The authorisation matrix: EVERY REST route (from the endpoint table the
//! router is built from) and EVERY server function (from the server-fn
//! registry) called as anonymous, viewer, editor, collection admin and vault
//! admin, on objects inside the collection they were granted ("in") and in
//! one they were not ("out"). The expected answer of each cell is data in
//! [`CASES`]; a route or server function without a row fails the test, so a
//! new one cannot be forgotten. Besides the status, no answer to a non-admin
//! may contain the marker every "out" object carries in its name.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{
    ADMIN_PASSWORD, ADMIN_USER, Api, Engine, Form, Vault, id, small_gcode, tetrahedron_stl,
};

/// Every object outside the callers' collection carries this in its name.
const MARKER: &str = "HIDDEN";
/// The password of every test user but the admin.
const PASSWORD: &str = "role-password-1";

/// The callers, in the order of the expectation strings.
const ROLES: [&str; 5] = ["anonymous", "viewer", "editor", "cadmin", "admin"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    /// The call names no object.
    Any,
    /// Objects in collection A, where viewer/editor/cadmin hold view/edit/admin.
    In,
    /// Objects in collection B, where they hold nothing.
    Out,
}

/// What a call acts on; prepared before the call (see [`Matrix::prepare`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Nothing, or the shared objects of the scope.
    Shared,
    /// A fresh model with a G-code revision.
    Model,
    /// A fresh model in the trash.
    TrashedModel,
    /// A fresh model whose G-code revision is in the trash.
    TrashedFile,
    /// A fresh sub-collection.
    ChildCollection,
    /// Two fresh tags.
    Tags,
    /// A fresh user.
    User,
    /// A fresh API token: the caller's own ("in") or the admin's ("out").
    Token,
    /// A fresh grant for the `other` user on A or B.
    Grant,
    /// A fresh printer (pointing nowhere).
    Printer,
    /// A fresh print job: the scope's revision sent to the simulated printer.
    PrintJob,
}

/// One row: a route (`"METHOD /path"`) or server function (`"fn name"`),
/// what it needs, and the expected answer per scope for
/// anonymous/viewer/editor/cadmin/admin: `A` 2xx, `U` 401, `F` 403,
/// `N` 404, `I` 422 (a hidden object reads as a missing one), `C` 409.
/// `last` rows run after all others (they empty the trash or end sessions).
struct Case {
    key: &'static str,
    need: Need,
    last: bool,
    expect: &'static [(Scope, &'static str)],
}

const fn case(key: &'static str, need: Need, expect: &'static [(Scope, &'static str)]) -> Case {
    Case {
        key,
        need,
        last: false,
        expect,
    }
}

const fn last(key: &'static str, need: Need, expect: &'static [(Scope, &'static str)]) -> Case {
    Case {
        key,
        need,
        last: true,
        expect,
    }
}

use Need::*;
use Scope::{Any, In, Out};

const PUBLIC: &[(Scope, &str)] = &[(Any, "AAAAA")];
const SIGNED_IN: &[(Scope, &str)] = &[(Any, "UAAAA")];
const ADMIN_ONLY: &[(Scope, &str)] = &[(Any, "UFFFA")];
const EDITORS: &[(Scope, &str)] = &[(Any, "UFAAA")];
const COLLECTION_ADMINS: &[(Scope, &str)] = &[(Any, "UFFAA")];
const READ: &[(Scope, &str)] = &[(In, "UAAAA"), (Out, "UNNNA")];
const EDIT: &[(Scope, &str)] = &[(In, "UFAAA"), (Out, "UNNNA")];
const EDIT_HIDDEN_INVALID: &[(Scope, &str)] = &[(In, "UFAAA"), (Out, "UIIIA")];
const ADMINISTER: &[(Scope, &str)] = &[(In, "UFFAA"), (Out, "UNNNA")];
const CREATE_UNDER: &[(Scope, &str)] = &[(In, "UFFAA"), (Out, "UIIIA")];
const OWN_ONLY: &[(Scope, &str)] = &[(In, "UAAAA"), (Out, "UNNNA")];
const SETUP_DONE: &[(Scope, &str)] = &[(Any, "CCCCC")];
/// Allowed for everyone signed in, but the simulated printer has nothing to pause.
const PRINTER_REFUSES: &[(Scope, &str)] = &[(Any, "UCCCC")];
const ADMIN_JOB: &[(Scope, &str)] = &[(Any, "UNNNA")];

const CASES: &[Case] = &[
    // system
    case("GET /health", Shared, PUBLIC),
    case("GET /openapi.json", Shared, PUBLIC),
    case("fn get_server_info", Shared, PUBLIC),
    case("fn check_health", Shared, PUBLIC),
    // sign-in
    case("GET /auth/setup", Shared, PUBLIC),
    case("POST /auth/setup", Shared, SETUP_DONE),
    case("POST /auth/login", Shared, PUBLIC),
    case("GET /auth/me", Shared, SIGNED_IN),
    case("GET /auth/tokens", Shared, SIGNED_IN),
    case("POST /auth/tokens", Shared, SIGNED_IN),
    case("DELETE /auth/tokens/{id}", Token, OWN_ONLY),
    case("fn get_setup_status", Shared, PUBLIC),
    case("fn setup_admin", Shared, SETUP_DONE),
    case("fn login", Shared, PUBLIC),
    case("fn get_session_state", Shared, PUBLIC),
    case("fn list_api_tokens", Shared, SIGNED_IN),
    case("fn create_api_token", Shared, SIGNED_IN),
    case("fn revoke_api_token", Token, OWN_ONLY),
    // users and audit
    case("GET /users", Shared, COLLECTION_ADMINS),
    case("POST /users", Shared, ADMIN_ONLY),
    case("PATCH /users/{id}", User, ADMIN_ONLY),
    case("DELETE /users/{id}", User, ADMIN_ONLY),
    case("POST /users/{id}/password", User, ADMIN_ONLY),
    case("GET /audit", Shared, ADMIN_ONLY),
    case("fn list_users", Shared, COLLECTION_ADMINS),
    case("fn create_user", Shared, ADMIN_ONLY),
    case("fn update_user", User, ADMIN_ONLY),
    case("fn delete_user", User, ADMIN_ONLY),
    case("fn reset_password", User, ADMIN_ONLY),
    case("fn list_audit", Shared, ADMIN_ONLY),
    // browse and models
    case("GET /models", Shared, SIGNED_IN),
    case("GET /models/facets", Shared, SIGNED_IN),
    case("GET /models/stats", Shared, ADMIN_ONLY),
    case("GET /models/trash", Shared, SIGNED_IN),
    case("DELETE /models/trash/expired", Shared, ADMIN_ONLY),
    case("GET /models/{id}", Shared, READ),
    case("PATCH /models/{id}", Shared, EDIT),
    case("DELETE /models/{id}", Model, EDIT),
    case("POST /models/{id}/restore", TrashedModel, EDIT),
    case("DELETE /models/{id}/purge", TrashedModel, ADMINISTER),
    case("GET /models/{id}/export", Shared, READ),
    case("POST /models/{id}/gcode-revisions", Shared, EDIT),
    case("PATCH /models/{id}/files/{file_id}/revision", Shared, EDIT),
    case("DELETE /models/{id}/files/{file_id}/revision", Model, EDIT),
    case("DELETE /models/{id}/files/{file_id}", Model, EDIT),
    case(
        "POST /models/{id}/files/{file_id}/restore",
        TrashedFile,
        EDIT,
    ),
    case("GET /files/{id}/download", Shared, READ),
    case("GET /files/{id}/thumbnail", Shared, READ),
    case("GET /files/{id}/preview-mesh", Shared, READ),
    case("PUT /models/{id}/star", Shared, READ),
    case("DELETE /models/{id}/star", Shared, READ),
    case("GET /offline-manifest", Shared, SIGNED_IN),
    case("fn star_model", Shared, READ),
    case("fn list_models", Shared, SIGNED_IN),
    case("fn model_facets", Shared, SIGNED_IN),
    case("fn vault_stats", Shared, ADMIN_ONLY),
    case("fn list_trash", Shared, SIGNED_IN),
    case("fn get_model", Shared, READ),
    case("fn update_model", Shared, EDIT),
    case("fn trash_model", Model, EDIT),
    case("fn restore_model", TrashedModel, EDIT),
    case("fn purge_model", TrashedModel, ADMINISTER),
    case("fn export_model", Shared, READ),
    case("fn update_revision", Shared, EDIT),
    case("fn trash_file", Model, EDIT),
    case("fn restore_file", TrashedFile, EDIT),
    // uploads and jobs
    case("POST /ingest/model", Shared, EDIT_HIDDEN_INVALID),
    case("POST /ingest/orca", Shared, EDIT_HIDDEN_INVALID),
    case("GET /ingest/jobs", Shared, SIGNED_IN),
    case("GET /ingest/jobs/{id}", Shared, ADMIN_JOB),
    case("GET /jobs", Shared, SIGNED_IN),
    case("POST /jobs", Shared, ADMIN_ONLY),
    case("GET /jobs/{id}", Shared, ADMIN_JOB),
    case("fn get_job", Shared, ADMIN_JOB),
    case("fn list_jobs", Shared, SIGNED_IN),
    case("fn queue_job", Shared, ADMIN_ONLY),
    // collections and roles
    case("GET /collections", Shared, SIGNED_IN),
    case("POST /collections", Shared, CREATE_UNDER),
    case("GET /collections/{id}", Shared, READ),
    case("PATCH /collections/{id}", ChildCollection, ADMINISTER),
    case("DELETE /collections/{id}", ChildCollection, ADMINISTER),
    case("GET /collections/{id}/grants", Shared, ADMINISTER),
    case("PUT /collections/{id}/grants", Shared, ADMINISTER),
    case(
        "DELETE /collections/{id}/grants/{user_id}",
        Grant,
        ADMINISTER,
    ),
    case("fn list_collections", Shared, SIGNED_IN),
    case("fn get_collection", Shared, READ),
    case("fn create_collection", Shared, CREATE_UNDER),
    case("fn update_collection", ChildCollection, ADMINISTER),
    case("fn delete_collection", ChildCollection, ADMINISTER),
    case("fn list_grants", Shared, ADMINISTER),
    case("fn set_grant", Shared, ADMINISTER),
    case("fn remove_grant", Grant, ADMINISTER),
    // settings
    case("GET /settings", Shared, ADMIN_ONLY),
    case("fn get_runtime_settings", Shared, ADMIN_ONLY),
    case("fn update_runtime_settings", Shared, ADMIN_ONLY),
    case("PATCH /settings", Shared, ADMIN_ONLY),
    // tags
    case("GET /tags", Shared, SIGNED_IN),
    case("POST /tags", Shared, EDITORS),
    case("POST /tags/attach", Shared, EDIT_HIDDEN_INVALID),
    case("POST /tags/detach", Shared, EDIT_HIDDEN_INVALID),
    case("PATCH /tags/{id}", Tags, ADMIN_ONLY),
    case("DELETE /tags/{id}", Tags, ADMIN_ONLY),
    case("POST /tags/{id}/merge", Tags, ADMIN_ONLY),
    case("fn list_tags", Shared, SIGNED_IN),
    case("fn create_tag", Shared, EDITORS),
    case("fn attach_tags", Shared, EDIT_HIDDEN_INVALID),
    case("fn detach_tags", Shared, EDIT_HIDDEN_INVALID),
    case("fn rename_tag", Tags, ADMIN_ONLY),
    case("fn merge_tag", Tags, ADMIN_ONLY),
    case("fn delete_tag", Tags, ADMIN_ONLY),
    // printers (vault-wide; sending needs the revision to be visible)
    case("GET /printers", Shared, SIGNED_IN),
    case("POST /printers", Shared, ADMIN_ONLY),
    case("GET /printers/status", Shared, SIGNED_IN),
    case("GET /printers/live", Shared, SIGNED_IN),
    case("GET /printers/{id}", Shared, SIGNED_IN),
    case("PATCH /printers/{id}", Printer, ADMIN_ONLY),
    case("DELETE /printers/{id}", Printer, ADMIN_ONLY),
    case("POST /printers/{id}/control", Shared, PRINTER_REFUSES),
    case("GET /printers/{id}/files", Shared, SIGNED_IN),
    case("GET /printers/{id}/preflight", Shared, READ),
    case("POST /printers/{id}/send", Shared, READ),
    case("GET /printers/{id}/jobs", Shared, SIGNED_IN),
    case("GET /print-jobs", Shared, SIGNED_IN),
    case("POST /print-jobs/{id}/outcome", PrintJob, EDIT),
    case("fn list_printers", Shared, SIGNED_IN),
    case("fn printer_statuses", Shared, SIGNED_IN),
    case("fn create_printer", Shared, ADMIN_ONLY),
    case("fn update_printer", Printer, ADMIN_ONLY),
    case("fn delete_printer", Printer, ADMIN_ONLY),
    case("fn control_printer", Shared, PRINTER_REFUSES),
    case("fn list_printer_files", Shared, SIGNED_IN),
    case("fn preflight_print", Shared, READ),
    case("fn send_to_printer", Shared, READ),
    case("fn list_print_jobs", Shared, SIGNED_IN),
    case("fn record_print_outcome", PrintJob, EDIT),
    // last: they empty the trash or end the callers' sessions
    last("DELETE /models/trash", Shared, ADMIN_ONLY),
    last("fn purge_trash", Shared, ADMIN_ONLY),
    last("POST /auth/password", Shared, SIGNED_IN),
    last("fn change_password", Shared, SIGNED_IN),
    last("POST /auth/logout", Shared, PUBLIC),
    last("fn logout", Shared, PUBLIC),
];

/// The ids a call may refer to.
#[derive(Debug, Clone, Copy, Default)]
struct Target {
    model: i64,
    file: i64,
    mesh_file: i64,
    collection: i64,
    tag: i64,
    tag2: i64,
    user: i64,
    token: i64,
    job: i64,
    printer: i64,
    print_job: i64,
}

/// One caller: a REST client (API token) and a browser session for server
/// functions; both absent for the anonymous caller.
struct Principal {
    name: &'static str,
    password: &'static str,
    rest: Api,
    session: Option<String>,
}

struct Matrix {
    base: String,
    admin: Api,
    callers: Vec<Principal>,
    other_user: i64,
    collection_a: i64,
    collection_b: i64,
    shared: BTreeMap<Scope, Target>,
    counter: AtomicU32,
    /// The printer every shared target sends to.
    sim: Option<simulators::moonraker::MoonrakerSim>,
}

fn letter(status: StatusCode) -> char {
    match status.as_u16() {
        // A websocket upgrade is how the live route says yes.
        101 | 200..=299 => 'A',
        401 => 'U',
        403 => 'F',
        404 => 'N',
        409 => 'C',
        422 => 'I',
        429 => 'R',
        _ => '?',
    }
}

fn fn_letter(status: StatusCode, body: &Value) -> char {
    if status.is_success() {
        return 'A';
    }
    match body["code"].as_str() {
        Some("unauthenticated") => 'U',
        Some("forbidden") => 'F',
        Some("not_found") => 'N',
        Some("conflict") => 'C',
        Some("invalid") => 'I',
        Some("rate_limited") => 'R',
        _ => '?',
    }
}

impl Matrix {
    fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn collection(&self, scope: Scope) -> i64 {
        if scope == Out {
            self.collection_b
        } else {
            self.collection_a
        }
    }

    fn label(&self, scope: Scope, what: &str) -> String {
        let n = self.next();
        if scope == Out {
            format!("{MARKER}-{what}-{n}")
        } else {
            format!("shared-{what}-{n}")
        }
    }

    /// A new model (in A or B) with a mesh and a G-code revision.
    async fn model(&self, scope: Scope) -> Target {
        let name = self.label(scope, "model");
        let collection = self.collection(scope).to_string();
        let result = self
            .admin
            .ingest(
                &format!("{name}.stl"),
                &tetrahedron_stl(1000 + self.next()),
                &[
                    ("model_name", name.as_str()),
                    ("collection_id", collection.as_str()),
                ],
            )
            .await;
        assert_eq!(result["outcome"], "created", "{result}");
        let model = id(&result["model_id"]);
        let (status, revision) = self
            .admin
            .upload(
                &format!("/models/{model}/gcode-revisions"),
                Form::new().file(
                    "file",
                    &format!("{name}.gcode"),
                    &small_gcode(5000 + self.next()),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{revision}");
        Target {
            model,
            file: id(&revision["file_id"]),
            mesh_file: id(&result["file_id"]),
            collection: self.collection(scope),
            ..self.shared_or_default(scope)
        }
    }

    fn shared_or_default(&self, scope: Scope) -> Target {
        self.shared.get(&scope).copied().unwrap_or_default()
    }

    async fn tag(&self) -> i64 {
        let name = format!("tag-{}", self.next());
        let (status, tag) = self
            .admin
            .post_json("/tags", &json!({ "name": name }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tag}");
        id(&tag["id"])
    }

    /// A Moonraker printer at 127.0.0.1:`port` (made by the admin).
    async fn printer(&self, name: &str, port: u16) -> i64 {
        let (status, printer) = self
            .admin
            .post_json(
                "/printers",
                &json!({ "name": format!("{name}-{}", self.next()), "provider": "moonraker", "host": "127.0.0.1", "port": port }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{printer}");
        id(&printer["id"])
    }

    /// Sends `t`'s revision to the simulated printer; the print job's id.
    async fn print_job(&self, t: &Target) -> i64 {
        let (status, job) = self
            .admin
            .post_json(
                &format!("/printers/{}/send", t.printer),
                &json!({ "file_id": t.file, "start": false }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        let job_id = id(&job["job_id"]);
        for _ in 0..200 {
            let (_, job) = self.admin.get(&format!("/jobs/{job_id}")).await;
            match job["state"].as_str() {
                Some("completed") => return id(&job["result"]["print_job_id"]),
                Some("failed") => panic!("sending to the simulated printer failed: {job}"),
                _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
        panic!("sending to the simulated printer did not finish");
    }

    async fn user(&self, name: &str) -> i64 {
        let (status, user) = self
            .admin
            .post_json("/users", &json!({ "username": name, "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        id(&user["id"])
    }

    /// Makes the objects a call of `need` acts on, for `caller`.
    async fn prepare(&self, need: Need, scope: Scope, caller: &Principal) -> Target {
        let shared = self.shared_or_default(scope);
        match need {
            Shared => shared,
            Model => self.model(scope).await,
            TrashedModel => {
                let t = self.model(scope).await;
                let (status, body) = self.admin.delete(&format!("/models/{}", t.model)).await;
                assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
                t
            }
            TrashedFile => {
                let t = self.model(scope).await;
                let (status, body) = self
                    .admin
                    .delete(&format!("/models/{}/files/{}", t.model, t.file))
                    .await;
                assert!(status.is_success(), "{body}");
                t
            }
            ChildCollection => {
                let (status, c) = self
                    .admin
                    .post_json(
                        "/collections",
                        &json!({ "name": self.label(scope, "col"), "parent_id": self.collection(scope) }),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{c}");
                Target {
                    collection: id(&c["id"]),
                    ..shared
                }
            }
            Tags => Target {
                tag: self.tag().await,
                tag2: self.tag().await,
                ..shared
            },
            User => Target {
                user: self.user(&format!("user{}", self.next())).await,
                ..shared
            },
            Token => {
                // "in": the caller's own token; "out": someone else's.
                let owner = if scope == In && caller.session.is_some() {
                    &caller.rest
                } else {
                    &self.admin
                };
                let (status, t) = owner
                    .post_json("/auth/tokens", &json!({ "name": "matrix" }))
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{t}");
                Target {
                    token: id(&t["info"]["id"]),
                    ..shared
                }
            }
            Printer => Target {
                printer: self.printer("nowhere", 1).await,
                ..shared
            },
            PrintJob => Target {
                print_job: self.print_job(&shared).await,
                ..shared
            },
            Grant => {
                let collection = self.collection(scope);
                let (status, g) = self
                    .admin
                    .put_json(
                        &format!("/collections/{collection}/grants"),
                        &json!({ "user_id": self.other_user, "role": "view" }),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{g}");
                Target {
                    collection,
                    user: self.other_user,
                    ..shared
                }
            }
        }
    }

    /// The path of a REST route with its `{…}` filled from `t`.
    fn rest_path(path: &str, t: &Target) -> String {
        let first = if path.starts_with("/printers/") {
            t.printer
        } else if path.starts_with("/print-jobs/") {
            t.print_job
        } else if path.starts_with("/models/") {
            t.model
        } else if path.starts_with("/collections/") {
            t.collection
        } else if path.starts_with("/tags/") {
            t.tag
        } else if path.starts_with("/users/") {
            t.user
        } else if path.starts_with("/auth/tokens/") {
            t.token
        } else if path.starts_with("/files/") {
            t.mesh_file
        } else {
            t.job
        };
        let path = path
            .replace("{id}", &first.to_string())
            .replace("{file_id}", &t.file.to_string())
            .replace("{user_id}", &t.user.to_string());
        if path.ends_with("/preflight") {
            format!("{path}?file_id={}", t.file)
        } else {
            path
        }
    }

    /// The JSON body or multipart form of a REST call.
    fn rest_body(&self, key: &str, t: &Target, caller: &Principal) -> Option<Result<Value, Form>> {
        let n = self.next();
        let json = |v: Value| Some(Ok(v));
        match key {
            "POST /auth/setup" => json(json!({ "username": "second", "password": PASSWORD })),
            "POST /auth/login" => json(json!({ "username": "other", "password": PASSWORD })),
            "POST /auth/tokens" => json(json!({ "name": format!("t{n}") })),
            "POST /auth/password" => json(json!({
                "current_password": caller.password,
                "new_password": caller.password,
            })),
            "POST /users" => json(json!({ "username": format!("made{n}"), "password": PASSWORD })),
            "PATCH /users/{id}" => json(json!({ "display_name": format!("Name {n}") })),
            "POST /users/{id}/password" => json(json!({ "new_password": PASSWORD })),
            "PATCH /models/{id}" => json(json!({ "description": format!("edited {n}") })),
            "PATCH /models/{id}/files/{file_id}/revision" => {
                json(json!({ "status": "known_good" }))
            }
            "POST /models/{id}/gcode-revisions" => Some(Err(Form::new().file(
                "file",
                &format!("rev{n}.gcode"),
                &small_gcode(20_000 + n),
            ))),
            "POST /ingest/model" | "POST /ingest/orca" => Some(Err(Form::new()
                .text("collection_id", &t.collection.to_string())
                .file("file", &format!("up{n}.stl"), &tetrahedron_stl(30_000 + n)))),
            "POST /jobs" => json(json!({ "kind": "thumbnail_rebuild", "only_missing": true })),
            "POST /collections" => {
                json(json!({ "name": format!("new{n}"), "parent_id": t.collection }))
            }
            "PATCH /collections/{id}" => json(json!({ "name": format!("renamed{n}") })),
            "PUT /collections/{id}/grants" => {
                json(json!({ "user_id": self.other_user, "role": "view" }))
            }
            "PATCH /settings" => json(json!({ "trash_retention_days": 30 })),
            "POST /tags" => json(json!({ "name": format!("new-tag-{n}") })),
            "POST /tags/attach" | "POST /tags/detach" => {
                json(json!({ "model_ids": [t.model], "tag_ids": [t.tag] }))
            }
            "PATCH /tags/{id}" => json(json!({ "name": format!("renamed-tag-{n}") })),
            "POST /tags/{id}/merge" => json(json!({ "into_tag_id": t.tag2 })),
            "POST /printers" => json(
                json!({ "name": format!("p{n}"), "provider": "moonraker", "host": "127.0.0.1", "port": 1 }),
            ),
            "PATCH /printers/{id}" => json(json!({ "name": format!("renamed-p{n}") })),
            "POST /printers/{id}/control" => json(json!({ "action": "pause" })),
            "POST /printers/{id}/send" => json(json!({ "file_id": t.file, "start": false })),
            "POST /print-jobs/{id}/outcome" => json(json!({ "outcome": "known_good" })),
            _ => None,
        }
    }

    /// The JSON arguments of a server function (`None`: it takes none).
    fn fn_args(&self, name: &str, t: &Target, caller: &Principal) -> Option<Value> {
        let n = self.next();
        Some(match name {
            "get_job" => json!({ "id": t.job }),
            "list_jobs" | "list_models" | "model_facets" | "list_audit" => {
                json!({ "params": {} })
            }
            "queue_job" => json!({ "params": { "kind": "trash_expiry" } }),
            "setup_admin" => json!({ "params": { "username": "second", "password": PASSWORD } }),
            "login" => json!({ "params": { "username": "other", "password": PASSWORD } }),
            "change_password" => json!({ "params": {
                "current_password": caller.password,
                "new_password": caller.password,
            } }),
            "update_runtime_settings" => json!({ "params": { "trash_retention_days": 30 } }),
            "create_api_token" => json!({ "params": { "name": format!("t{n}") } }),
            "revoke_api_token" => json!({ "id": t.token }),
            "get_collection" | "delete_collection" => json!({ "id": t.collection }),
            "create_collection" => {
                json!({ "params": { "name": format!("fn-new{n}"), "parent_id": t.collection } })
            }
            "update_collection" => {
                json!({ "id": t.collection, "params": { "name": format!("fn-renamed{n}") } })
            }
            "create_user" => {
                json!({ "params": { "username": format!("fnmade{n}"), "password": PASSWORD } })
            }
            "update_user" => {
                json!({ "id": t.user, "params": { "display_name": format!("N {n}") } })
            }
            "delete_user" => json!({ "id": t.user }),
            "reset_password" => json!({ "id": t.user, "params": { "new_password": PASSWORD } }),
            "list_grants" => json!({ "collection_id": t.collection }),
            "set_grant" => json!({
                "collection_id": t.collection,
                "params": { "user_id": self.other_user, "role": "view" },
            }),
            "remove_grant" => json!({ "collection_id": t.collection, "user_id": t.user }),
            "create_tag" => json!({ "name": format!("fn-tag-{n}") }),
            "rename_tag" => json!({ "id": t.tag, "name": format!("fn-renamed-tag-{n}") }),
            "merge_tag" => json!({ "id": t.tag, "into_tag_id": t.tag2 }),
            "delete_tag" => json!({ "id": t.tag }),
            "attach_tags" | "detach_tags" => {
                json!({ "params": { "model_ids": [t.model], "tag_ids": [t.tag] } })
            }
            "get_model" | "trash_model" | "restore_model" | "purge_model" | "export_model" => {
                json!({ "id": t.model })
            }
            "update_model" => {
                json!({ "id": t.model, "params": { "description": format!("fn {n}") } })
            }
            "update_revision" => json!({
                "model_id": t.model,
                "file_id": t.file,
                "params": { "status": "known_good" },
            }),
            "trash_file" | "restore_file" => json!({ "model_id": t.model, "file_id": t.file }),
            "star_model" => json!({ "id": t.model, "starred": true }),
            "list_print_jobs" => json!({ "printer_id": null, "file_id": null }),
            "create_printer" => {
                json!({ "params": { "name": format!("fn-p{n}"), "provider": "moonraker", "host": "127.0.0.1", "port": 1 } })
            }
            "update_printer" => {
                json!({ "id": t.printer, "params": { "name": format!("fn-renamed-p{n}") } })
            }
            "delete_printer" | "list_printer_files" => json!({ "id": t.printer }),
            "control_printer" => json!({ "id": t.printer, "action": "pause" }),
            "preflight_print" => json!({ "printer_id": t.printer, "file_id": t.file }),
            "send_to_printer" => {
                json!({ "printer_id": t.printer, "params": { "file_id": t.file, "start": false } })
            }
            "record_print_outcome" => {
                json!({ "id": t.print_job, "params": { "outcome": "known_good" } })
            }
            _ => return None,
        })
    }

    /// Calls one route or server function as `caller`; the answer's letter
    /// and body text.
    async fn call(&self, key: &str, t: &Target, caller: &Principal) -> (char, String) {
        if let Some(name) = key.strip_prefix("fn ") {
            let mut request = reqwest::Client::new()
                .post(format!("{}/api/{name}", self.base))
                .header(reqwest::header::ORIGIN, &self.base)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(session) = &caller.session {
                request = request.header(
                    reqwest::header::COOKIE,
                    format!("printstash_session={session}"),
                );
            }
            request = match self.fn_args(name, t, caller) {
                Some(args) => request.json(&args),
                None => request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(""),
            };
            let res = request.send().await.expect("server fn call");
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            return (fn_letter(status, &body), text);
        }
        let (method, path) = key.split_once(' ').expect("METHOD /path");
        let url = caller.rest.url(&Self::rest_path(path, t));
        let method: reqwest::Method = method.parse().expect("method");
        let mut request = caller.rest.client.request(method, url);
        if key == "GET /printers/live" {
            request = request
                .header(reqwest::header::CONNECTION, "Upgrade")
                .header(reqwest::header::UPGRADE, "websocket")
                .header(reqwest::header::SEC_WEBSOCKET_VERSION, "13")
                .header(
                    reqwest::header::SEC_WEBSOCKET_KEY,
                    "dGhlIHNhbXBsZSBub25jZQ==",
                );
        }
        request = match self.rest_body(key, t, caller) {
            Some(Ok(json)) => request.json(&json),
            Some(Err(form)) => {
                let (content_type, body) = form.finish();
                request
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(body)
            }
            None => request,
        };
        let res = request.send().await.expect("REST call");
        let status = res.status();
        if status == StatusCode::SWITCHING_PROTOCOLS {
            return (letter(status), String::new());
        }
        (letter(status), res.text().await.unwrap_or_default())
    }

    /// Signs every caller in again (a password change or sign-out ended
    /// their sessions).
    async fn refresh_sessions(&mut self) {
        let client = reqwest::Client::new();
        for caller in &mut self.callers {
            if caller.session.is_some() {
                let session = support::sign_in(&client, &self.base, caller.name, caller.password)
                    .await
                    .unwrap_or_else(|e| panic!("{} signs in again: {e:?}", caller.name));
                caller.session = Some(session);
            }
        }
    }
}

/// Every key the server has: REST routes and server functions.
fn every_route_and_server_fn() -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = server::http::rest::endpoints()
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    for (path, _method) in leptos::server_fn::axum::server_fn_paths() {
        let name = path.rsplit('/').next().unwrap_or(path);
        keys.insert(format!("fn {name}"));
    }
    keys
}

async fn set_up(engine: Engine) -> Option<(Vault, support::ServerProcess, Matrix)> {
    let mut vault = Vault::new(
        engine,
        &[
            ("VAULT_DEFAULT_ROLE", "none"),
            ("VAULT_LOGIN_ATTEMPTS_PER_MINUTE", "1000"),
            ("VAULT_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP", "10000"),
        ],
    )
    .await?;
    let server = vault.start().await;
    let base = vault.base.clone();
    let admin = Api::admin(&base).await;
    let mut matrix = Matrix {
        base: base.clone(),
        admin,
        callers: Vec::new(),
        other_user: 0,
        collection_a: 0,
        collection_b: 0,
        shared: BTreeMap::new(),
        counter: AtomicU32::new(0),
        sim: None,
    };
    let (_, a) = matrix
        .admin
        .post_json("/collections", &json!({ "name": "shared-A" }))
        .await;
    let (_, b) = matrix
        .admin
        .post_json("/collections", &json!({ "name": format!("{MARKER}-B") }))
        .await;
    matrix.collection_a = id(&a["id"]);
    matrix.collection_b = id(&b["id"]);
    matrix.other_user = matrix.user("other").await;
    for (name, role) in [("viewer", "view"), ("editor", "edit"), ("cadmin", "admin")] {
        let user = matrix.user(name).await;
        let (status, body) = matrix
            .admin
            .put_json(
                &format!("/collections/{}/grants", matrix.collection_a),
                &json!({ "user_id": user, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let client = reqwest::Client::new();
    for role in ROLES {
        let (password, rest, session) = match role {
            "anonymous" => ("", Api::new(&base), None),
            "admin" => {
                let session = support::sign_in(&client, &base, ADMIN_USER, ADMIN_PASSWORD)
                    .await
                    .expect("admin session");
                (ADMIN_PASSWORD, Api::admin(&base).await, Some(session))
            }
            name => {
                let session = support::sign_in(&client, &base, name, PASSWORD)
                    .await
                    .expect("session");
                (
                    PASSWORD,
                    Api::as_user(&base, name, PASSWORD).await,
                    Some(session),
                )
            }
        };
        matrix.callers.push(Principal {
            name: if role == "admin" { ADMIN_USER } else { role },
            password,
            rest,
            session,
        });
    }
    // A simulated Moonraker printer that every shared target sends to.
    let sim = simulators::moonraker::MoonrakerSim::start(Default::default())
        .await
        .expect("moonraker simulator");
    let printer = matrix.printer("shared", sim.addr().port()).await;
    matrix.sim = Some(sim);
    // Shared objects per scope: a model with a revision, tags, an admin job.
    for scope in [In, Out] {
        let t = matrix.model(scope).await;
        let tag = matrix.tag().await;
        let tag2 = matrix.tag().await;
        let (status, jobs) = matrix.admin.get("/jobs?limit=1").await;
        assert_eq!(status, StatusCode::OK, "{jobs}");
        let job = id(&jobs[0]["job_id"]);
        matrix.shared.insert(
            scope,
            Target {
                tag,
                tag2,
                job,
                user: matrix.other_user,
                printer,
                ..t
            },
        );
    }
    // Something in the trash on both sides, for the trash lists.
    for scope in [In, Out] {
        let t = matrix.model(scope).await;
        let (status, _) = matrix.admin.delete(&format!("/models/{}", t.model)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let any = matrix.shared[&In];
    matrix.shared.insert(Any, any);
    Some((vault, server, matrix))
}

async fn run_matrix(engine: Engine) {
    // Completeness first: every route and server function has a row.
    let known: BTreeSet<String> = CASES.iter().map(|c| c.key.to_owned()).collect();
    let actual = every_route_and_server_fn();
    let missing: Vec<&String> = actual.difference(&known).collect();
    let stale: Vec<&String> = known.difference(&actual).collect();
    assert!(
        missing.is_empty(),
        "routes/server fns without a row in CASES: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows in CASES that no longer exist: {stale:?}"
    );

    let Some((_vault, _server, mut matrix)) = set_up(engine).await else {
        return;
    };
    let mut cells = 0;
    let mut wrong = Vec::new();
    let mut leaks = Vec::new();
    let order = CASES
        .iter()
        .filter(|c| !c.last)
        .chain(CASES.iter().filter(|c| c.last));
    for case in order {
        if case.last {
            matrix.refresh_sessions().await;
        }
        for (scope, expected) in case.expect {
            let mut target: Option<Target> = None;
            for (i, want) in expected.chars().enumerate() {
                let caller = &matrix.callers[i];
                // Token rows need the caller's own token; other objects are
                // reused until a call that was allowed used them up.
                let t = match (case.need, target) {
                    (Token, _) | (_, None) => matrix.prepare(case.need, *scope, caller).await,
                    (_, Some(t)) => t,
                };
                target = Some(t);
                let (got, body) = matrix.call(case.key, &t, caller).await;
                cells += 1;
                if got == 'A' && case.need != Shared {
                    target = None;
                }
                if got != want {
                    wrong.push(format!(
                        "{} [{scope:?}] as {}: expected {want}, got {got}: {}",
                        case.key,
                        ROLES[i],
                        body.chars().take(200).collect::<String>()
                    ));
                }
                if ROLES[i] != "admin" && body.contains(MARKER) {
                    leaks.push(format!(
                        "{} [{scope:?}] as {} leaked: {}",
                        case.key,
                        ROLES[i],
                        body.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
    }
    eprintln!(
        "authorisation matrix on {engine:?}: {} routes and server functions, {cells} calls, {} wrong, {} leaks",
        CASES.len(),
        wrong.len(),
        leaks.len()
    );
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
    assert!(
        wrong.is_empty(),
        "unexpected answers:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn every_route_and_server_fn_is_authorised_on_sqlite() {
    run_matrix(Engine::Sqlite).await;
}

#[tokio::test]
async fn every_route_and_server_fn_is_authorised_on_postgres() {
    run_matrix(Engine::Postgres).await;
}
