//! REST `/api/v1`: one file per resource, handlers a few lines each. Every
//! endpoint is declared once in [`endpoints`]; the router and the OpenAPI
//! document are both built from that list, so a route cannot exist without
//! being documented (and tests enumerate it the same way).

pub mod collections;
pub mod files;
pub mod health;
pub mod ingest;
pub mod jobs;
pub mod models;
pub mod openapi;
pub mod settings;
pub mod tags;

use app::backend::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post};

use super::error::ApiError;

/// What an endpoint takes as its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// A JSON object of the named params type (`app::params`).
    Json(&'static str),
    /// `multipart/form-data` with a `file` part and the listed text fields.
    Upload(&'static [&'static str]),
}

/// One documented endpoint.
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path below `/api/v1`, with `{id}`-style parameters.
    pub path: &'static str,
    /// Grouping tag in the document (the resource).
    pub tag: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// Query parameters type (`app::params`), if any.
    pub query: Option<&'static str>,
    /// The request body.
    pub body: Body,
    /// The success status.
    pub status: u16,
    /// The success body: a view type name (`app::views`), `"[Type]"` for a
    /// list, or a media type such as `"application/octet-stream"`.
    pub response: Option<&'static str>,
    handler: MethodRouter<AppState>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a table row, read column by column"
)]
fn ep(
    method: Method,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    query: Option<&'static str>,
    body: Body,
    status: u16,
    response: Option<&'static str>,
    handler: MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        tag,
        summary,
        query,
        body,
        status,
        response,
        handler,
    }
}

const UPLOAD_FIELDS: &[&str] = &["model_name", "collection", "collection_id", "tags"];
const REVISION_FIELDS: &[&str] = &["label", "notes"];

/// Every `/api/v1` endpoint.
pub fn endpoints() -> Vec<Endpoint> {
    use Body::{Json, None as NoBody, Upload};
    let upload = |h: MethodRouter<AppState>| h.layer(DefaultBodyLimit::disable());
    vec![
        ep(
            Method::GET,
            "/health",
            "system",
            "Version, database kind and status",
            None,
            NoBody,
            200,
            Some("Health"),
            get(health::get_health),
        ),
        ep(
            Method::GET,
            "/openapi.json",
            "system",
            "This document",
            None,
            NoBody,
            200,
            Some("application/json"),
            get(openapi::get_openapi),
        ),
        ep(
            Method::GET,
            "/models",
            "models",
            "Browse: filter, full-text search, sort, cursor pages",
            Some("ListModelsParams"),
            NoBody,
            200,
            Some("Page<ModelCard>"),
            get(models::list_models),
        ),
        ep(
            Method::GET,
            "/models/facets",
            "models",
            "Facet counts for the browse filters under the same filters and search",
            Some("ListModelsParams"),
            NoBody,
            200,
            Some("Facets"),
            get(models::model_facets),
        ),
        ep(
            Method::GET,
            "/models/stats",
            "models",
            "Vault-wide counts and sizes",
            None,
            NoBody,
            200,
            Some("VaultStats"),
            get(models::vault_stats),
        ),
        ep(
            Method::GET,
            "/models/trash",
            "trash",
            "Trashed models with days left",
            None,
            NoBody,
            200,
            Some("[TrashItem]"),
            get(models::list_trash),
        ),
        ep(
            Method::DELETE,
            "/models/trash",
            "trash",
            "Empty the whole trash",
            None,
            NoBody,
            200,
            Some("Purged"),
            delete(models::purge_trash),
        ),
        ep(
            Method::DELETE,
            "/models/trash/expired",
            "trash",
            "Purge what is past VAULT_TRASH_RETENTION_DAYS",
            None,
            NoBody,
            200,
            Some("Purged"),
            delete(models::purge_expired_trash),
        ),
        ep(
            Method::GET,
            "/models/{id}",
            "models",
            "Model detail: artifacts, revisions (recommended first), metadata",
            None,
            NoBody,
            200,
            Some("ModelDetail"),
            get(models::get_model),
        ),
        ep(
            Method::PATCH,
            "/models/{id}",
            "models",
            "Edit name, description, collection, tags",
            None,
            Json("UpdateModelParams"),
            200,
            Some("ModelDetail"),
            patch(models::update_model),
        ),
        ep(
            Method::DELETE,
            "/models/{id}",
            "trash",
            "Move a model to the trash",
            None,
            NoBody,
            204,
            None,
            delete(models::trash_model),
        ),
        ep(
            Method::POST,
            "/models/{id}/restore",
            "trash",
            "Restore a trashed model intact",
            None,
            NoBody,
            200,
            Some("ModelDetail"),
            post(models::restore_model),
        ),
        ep(
            Method::DELETE,
            "/models/{id}/purge",
            "trash",
            "Delete a trashed model for good",
            None,
            NoBody,
            204,
            None,
            delete(models::purge_model),
        ),
        ep(
            Method::GET,
            "/models/{id}/export",
            "models",
            "JSON export of a model with its files, metadata and slicer configs",
            None,
            NoBody,
            200,
            Some("ModelExport"),
            get(models::export_model),
        ),
        ep(
            Method::POST,
            "/models/{id}/gcode-revisions",
            "revisions",
            "Upload a G-code revision (stored before the answer)",
            None,
            Upload(REVISION_FIELDS),
            201,
            Some("IngestOutcome"),
            upload(post(ingest::upload_revision)),
        ),
        ep(
            Method::PATCH,
            "/models/{id}/files/{file_id}/revision",
            "revisions",
            "Set outcome, label, notes or the recommended marker",
            None,
            Json("UpdateRevisionParams"),
            200,
            Some("ModelDetail"),
            patch(models::update_revision),
        ),
        ep(
            Method::DELETE,
            "/models/{id}/files/{file_id}/revision",
            "revisions",
            "Trash one revision (the marker is handed on)",
            None,
            NoBody,
            200,
            Some("ModelDetail"),
            delete(models::trash_file),
        ),
        ep(
            Method::DELETE,
            "/models/{id}/files/{file_id}",
            "revisions",
            "Trash one artifact",
            None,
            NoBody,
            200,
            Some("ModelDetail"),
            delete(models::trash_file),
        ),
        ep(
            Method::POST,
            "/models/{id}/files/{file_id}/restore",
            "revisions",
            "Restore a trashed artifact",
            None,
            NoBody,
            200,
            Some("ModelDetail"),
            post(models::restore_file),
        ),
        ep(
            Method::POST,
            "/ingest/model",
            "ingest",
            "Upload a mesh or G-code as a new model (a job to poll)",
            None,
            Upload(UPLOAD_FIELDS),
            202,
            Some("JobView"),
            upload(post(ingest::upload_model)),
        ),
        ep(
            Method::POST,
            "/ingest/orca",
            "ingest",
            "Same as /ingest/model (the slicer hook's path)",
            None,
            Upload(UPLOAD_FIELDS),
            202,
            Some("JobView"),
            upload(post(ingest::upload_model)),
        ),
        ep(
            Method::GET,
            "/ingest/jobs",
            "ingest",
            "The caller's recent upload jobs",
            None,
            NoBody,
            200,
            Some("[JobView]"),
            get(ingest::list_ingest_jobs),
        ),
        ep(
            Method::GET,
            "/ingest/jobs/{id}",
            "ingest",
            "One upload job",
            None,
            NoBody,
            200,
            Some("JobView"),
            get(ingest::get_job),
        ),
        ep(
            Method::GET,
            "/jobs",
            "jobs",
            "Recent background jobs",
            Some("ListJobsParams"),
            NoBody,
            200,
            Some("[JobView]"),
            get(jobs::list_jobs),
        ),
        ep(
            Method::POST,
            "/jobs",
            "jobs",
            "Run trash expiry, orphan GC or a thumbnail rebuild now (admin)",
            None,
            Json("QueueJobParams"),
            202,
            Some("JobView"),
            post(jobs::queue_job),
        ),
        ep(
            Method::GET,
            "/jobs/{id}",
            "jobs",
            "One job with progress",
            None,
            NoBody,
            200,
            Some("JobView"),
            get(ingest::get_job),
        ),
        ep(
            Method::GET,
            "/collections",
            "collections",
            "The collection tree with counts including descendants",
            None,
            NoBody,
            200,
            Some("[CollectionNode]"),
            get(collections::list_collections),
        ),
        ep(
            Method::POST,
            "/collections",
            "collections",
            "Create a collection",
            None,
            Json("CreateCollectionParams"),
            201,
            Some("CollectionNode"),
            post(collections::create_collection),
        ),
        ep(
            Method::GET,
            "/collections/{id}",
            "collections",
            "One collection with its subtree",
            None,
            NoBody,
            200,
            Some("CollectionNode"),
            get(collections::get_collection),
        ),
        ep(
            Method::PATCH,
            "/collections/{id}",
            "collections",
            "Rename or move a subtree (cycles rejected)",
            None,
            Json("UpdateCollectionParams"),
            200,
            Some("CollectionNode"),
            patch(collections::update_collection),
        ),
        ep(
            Method::DELETE,
            "/collections/{id}",
            "collections",
            "Delete a subtree; its models go to the trash",
            None,
            NoBody,
            200,
            Some("CollectionDeleted"),
            delete(collections::delete_collection),
        ),
        ep(
            Method::GET,
            "/files/{id}/download",
            "files",
            "Download an artifact (ETag, Range)",
            None,
            NoBody,
            200,
            Some("application/octet-stream"),
            get(files::download_file),
        ),
        ep(
            Method::GET,
            "/files/{id}/thumbnail",
            "files",
            "An artifact's thumbnail (WebP; legacy PNG)",
            None,
            NoBody,
            200,
            Some("image/webp"),
            get(files::file_thumbnail),
        ),
        ep(
            Method::GET,
            "/settings",
            "settings",
            "Admin-editable runtime settings with their effective and default values",
            None,
            NoBody,
            200,
            Some("RuntimeSettings"),
            get(settings::get_settings),
        ),
        ep(
            Method::PATCH,
            "/settings",
            "settings",
            "Override settings (null resets to the VAULT_* value); admin",
            None,
            Json("UpdateSettingsParams"),
            200,
            Some("RuntimeSettings"),
            patch(settings::update_settings),
        ),
        ep(
            Method::GET,
            "/tags",
            "tags",
            "Tags with model counts",
            None,
            NoBody,
            200,
            Some("[TagView]"),
            get(tags::list_tags),
        ),
        ep(
            Method::POST,
            "/tags",
            "tags",
            "Create a tag",
            None,
            Json("TagNameParams"),
            201,
            Some("TagView"),
            post(tags::create_tag),
        ),
        ep(
            Method::POST,
            "/tags/attach",
            "tags",
            "Attach tags to many models",
            None,
            Json("TagModelsParams"),
            204,
            None,
            post(tags::attach_tags),
        ),
        ep(
            Method::POST,
            "/tags/detach",
            "tags",
            "Detach tags from many models",
            None,
            Json("TagModelsParams"),
            204,
            None,
            post(tags::detach_tags),
        ),
        ep(
            Method::PATCH,
            "/tags/{id}",
            "tags",
            "Rename a tag",
            None,
            Json("TagNameParams"),
            200,
            Some("TagView"),
            patch(tags::rename_tag),
        ),
        ep(
            Method::DELETE,
            "/tags/{id}",
            "tags",
            "Delete a tag",
            None,
            NoBody,
            204,
            None,
            delete(tags::delete_tag),
        ),
        ep(
            Method::POST,
            "/tags/{id}/merge",
            "tags",
            "Merge a tag into another",
            None,
            Json("MergeTagParams"),
            200,
            Some("TagView"),
            post(tags::merge_tag),
        ),
    ]
}

/// The `/api/v1` routes (nested by `crate::router`).
pub fn router() -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.handler))
        .fallback(|| async {
            ApiError(app::error::AppError::new(
                app::error::ErrorCode::NotFound,
                "No such API endpoint; the list is at /api/v1/openapi.json.",
            ))
        })
}
