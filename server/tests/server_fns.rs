//! The server functions of `app::api`, called over HTTP exactly as the
//! hydrated UI calls them (a `POST` to the function's `PATH` with its
//! arguments serialized by the generated struct), against the real router on
//! a loopback listener with a throw-away SQLite vault. Their results must be
//! the very views the REST API returns for the same request, and their errors
//! the same `AppError`.

mod in_process;
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use app::api::collections::{
    CreateCollection, DeleteCollection, GetCollection, ListCollections, UpdateCollection,
};
use app::api::jobs::{GetJob, ListJobs};
use app::api::models::{
    ExportModel, GetModel, GetVaultStats, ListModels, ListTrash, PurgeModel, PurgeTrash,
    RestoreModel, TrashModel, UpdateModel, UpdateRevision,
};
use app::api::tags::{AttachTags, CreateTag, DetachTags, ListTags, RenameTag};
use app::error::{AppError, ErrorCode};
use app::params::collections::{CreateCollectionParams, UpdateCollectionParams};
use app::params::jobs::ListJobsParams;
use app::params::models::{
    ListModelsParams, ModelSort, SortOrder, UpdateModelParams, UpdateRevisionParams,
};
use app::params::tags::TagModelsParams;
use app::views::collections::CollectionNode;
use app::views::jobs::{JobKind, JobState, JobView};
use app::views::models::{
    IngestOutcome, ModelCard, ModelDetail, ModelExport, Page, TrashItem, VaultStats,
};
use app::views::tags::TagView;
use in_process::InProcess;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A right tetrahedron with 10 mm legs, as ASCII STL.
const TETRAHEDRON_STL: &str = "solid tetra
  facet normal 0 0 -1
    outer loop
      vertex 0 0 0
      vertex 0 10 0
      vertex 10 0 0
    endloop
  endfacet
  facet normal 0 -1 0
    outer loop
      vertex 0 0 0
      vertex 10 0 0
      vertex 0 0 10
    endloop
  endfacet
  facet normal -1 0 0
    outer loop
      vertex 0 0 0
      vertex 0 0 10
      vertex 0 10 0
    endloop
  endfacet
  facet normal 0.57735026 0.57735026 0.57735026
    outer loop
      vertex 10 0 0
      vertex 0 10 0
      vertex 0 0 10
    endloop
  endfacet
endsolid tetra
";

/// The in-process server and a client with a generous timeout.
struct Running {
    server: InProcess,
    client: reqwest::Client,
}

/// Starts a server and signs in as the admin: server functions are called
/// the way the browser calls them, with the session cookie and this site's
/// Origin.
async fn start() -> Running {
    let server = in_process::start().await;
    let session = support::sign_in(
        &reqwest::Client::new(),
        &server.base,
        support::ADMIN_USER,
        support::ADMIN_PASSWORD,
    )
    .await
    .expect("admin signs in");
    let client = support::Api::with_session(&server.base, &session).client;
    Running { server, client }
}

impl Running {
    async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// Posts a server function's arguments and decodes the answer: the
    /// output on 2xx, the `AppError` (always HTTP 500) otherwise.
    async fn post_fn<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<T, AppError> {
        let res = self
            .client
            .post(format!("{}{path}", self.server.base))
            .header(CONTENT_TYPE, content_type)
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status();
        let bytes = res.bytes().await.expect("body");
        if status.is_success() {
            Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{path}: result does not decode ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            }))
        } else {
            assert_eq!(
                status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{path}: server fn errors are 500"
            );
            Err(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{path}: error is not an AppError ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            }))
        }
    }

    /// Calls a server function with JSON input (`input = Json`): the body is
    /// the generated argument struct as JSON, as the hydrated client sends it.
    async fn call<F>(&self, args: F) -> Result<F::Output, AppError>
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        let body = serde_json::to_vec(&args).expect("arguments serialize");
        self.post_fn(F::PATH, "application/json", body).await
    }

    /// Calls a server function without arguments (the default URL-encoded
    /// input, an empty body).
    async fn call_no_args<F>(&self) -> Result<F::Output, AppError>
    where
        F: ServerFn<Error = AppError>,
        F::Output: DeserializeOwned,
    {
        self.post_fn(F::PATH, "application/x-www-form-urlencoded", Vec::new())
            .await
    }

    /// `GET /api/v1{path}`, decoded into the REST view type.
    async fn rest_get<T: DeserializeOwned>(&self, path: &str) -> T {
        let res = self
            .client
            .get(format!("{}/api/v1{path}", self.server.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Uploads `bytes` as a new model through the REST multipart endpoint
    /// and waits for the ingest job; returns the new model's id.
    async fn upload_model(&self, filename: &str, bytes: &[u8]) -> i32 {
        let boundary = "----printstash-server-fns-test";
        let mut body = Vec::new();
        let mut head = String::new();
        write!(
            head,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .expect("write");
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let res = self
            .client
            .post(format!("{}/api/v1/ingest/model", self.server.base))
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("upload");
        assert_eq!(res.status(), StatusCode::ACCEPTED, "upload {filename}");
        let job: JobView = res.json().await.expect("JobView");
        assert_eq!(job.kind, JobKind::Ingest);

        let deadline = Instant::now() + Duration::from_secs(90);
        let job = loop {
            let job: JobView = self.rest_get(&format!("/ingest/jobs/{}", job.job_id)).await;
            if matches!(job.state, JobState::Completed | JobState::Failed) {
                break job;
            }
            assert!(
                Instant::now() < deadline,
                "ingest job {} did not finish",
                job.job_id
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        assert_eq!(job.state, JobState::Completed, "{job:?}");

        // The same job through the server function.
        let polled = self.call(GetJob { id: job.job_id }).await.expect("get_job");
        assert_eq!(polled, job);

        let outcome: IngestOutcome =
            serde_json::from_value(job.result.expect("ingest result")).expect("IngestOutcome");
        match outcome {
            IngestOutcome::Created { model_id, .. } => model_id,
            other => panic!("expected a new model, got {other:?}"),
        }
    }
}

fn not_found(err: &AppError, what: &str) {
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    assert_eq!(err.message, format!("{what} not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_server_functions_return_the_rest_views() {
    let server = start().await;
    let model_id = server
        .upload_model("tetra.stl", TETRAHEDRON_STL.as_bytes())
        .await;

    // Browse: the same page as REST for the same params.
    let params = ListModelsParams {
        sort: ModelSort::Name,
        order: Some(SortOrder::Asc),
        limit: Some(10),
        ..Default::default()
    };
    let page = server
        .call(ListModels { params })
        .await
        .expect("list_models");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, model_id);
    let rest: Page<ModelCard> = server
        .rest_get("/models?sort=name&order=asc&limit=10")
        .await;
    assert_eq!(page, rest);

    // Detail and export.
    let detail = server
        .call(GetModel { id: model_id })
        .await
        .expect("get_model");
    let rest: ModelDetail = server.rest_get(&format!("/models/{model_id}")).await;
    assert_eq!(detail, rest);
    let export = server
        .call(ExportModel { id: model_id })
        .await
        .expect("export_model");
    let rest: ModelExport = server.rest_get(&format!("/models/{model_id}/export")).await;
    assert_eq!((&export.format, &export.model), (&rest.format, &rest.model));
    assert_eq!(export.slicer_configs, rest.slicer_configs);

    // Rename.
    let renamed = server
        .call(UpdateModel {
            id: model_id,
            params: UpdateModelParams {
                name: Some("Calibration tetrahedron".into()),
                ..Default::default()
            },
        })
        .await
        .expect("update_model");
    assert_eq!(renamed.name, "Calibration tetrahedron");
    let rest: ModelDetail = server.rest_get(&format!("/models/{model_id}")).await;
    assert_eq!(renamed, rest);

    // Revision edits answer 404 for a file the model does not have.
    let err = server
        .call(UpdateRevision {
            model_id,
            file_id: 999_999,
            params: UpdateRevisionParams {
                notes: Some("first layer too low".into()),
                ..Default::default()
            },
        })
        .await
        .expect_err("update_revision of a missing file");
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");

    // Trash, list the trash, restore.
    server
        .call(TrashModel { id: model_id })
        .await
        .expect("trash_model");
    let trash = server
        .call_no_args::<ListTrash>()
        .await
        .expect("list_trash");
    assert_eq!(trash.iter().map(|t| t.id).collect::<Vec<_>>(), [model_id]);
    let rest: Vec<TrashItem> = server.rest_get("/models/trash").await;
    assert_eq!(trash, rest);
    let empty = server
        .call(ListModels {
            params: ListModelsParams::default(),
        })
        .await
        .expect("list_models");
    assert!(empty.items.is_empty(), "a trashed model is not browsable");
    let restored = server
        .call(RestoreModel { id: model_id })
        .await
        .expect("restore_model");
    assert_eq!(restored.name, "Calibration tetrahedron");
    assert_eq!(restored.files.len(), detail.files.len(), "restored intact");

    // Stats.
    let stats = server
        .call_no_args::<GetVaultStats>()
        .await
        .expect("vault_stats");
    assert_eq!((stats.models, stats.trashed_models), (1, 0));
    let rest: VaultStats = server.rest_get("/models/stats").await;
    assert_eq!(stats, rest);

    // Jobs: the upload is among the recent ingest jobs.
    let jobs = server
        .call(ListJobs {
            params: ListJobsParams {
                kind: Some(JobKind::Ingest),
                limit: None,
            },
        })
        .await
        .expect("list_jobs");
    let rest: Vec<JobView> = server.rest_get("/jobs?kind=ingest").await;
    assert_eq!(jobs, rest);
    assert_eq!(jobs.len(), 1);

    // Purge: one model, then an empty trash.
    server
        .call(TrashModel { id: model_id })
        .await
        .expect("trash_model");
    let purged = server
        .call_no_args::<PurgeTrash>()
        .await
        .expect("purge_trash");
    assert_eq!(purged.purged, 1);
    let err = server
        .call(PurgeModel { id: model_id })
        .await
        .expect_err("purge of a purged model");
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    let stats = server
        .call_no_args::<GetVaultStats>()
        .await
        .expect("vault_stats");
    assert_eq!((stats.models, stats.trashed_models), (0, 0));

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collection_and_tag_server_functions_return_the_rest_views() {
    let server = start().await;
    let model_id = server
        .upload_model("tetra.stl", TETRAHEDRON_STL.as_bytes())
        .await;

    let parts = server
        .call(CreateCollection {
            params: CreateCollectionParams {
                name: "Parts".into(),
                parent_id: None,
            },
        })
        .await
        .expect("create_collection");
    let voron = server
        .call(CreateCollection {
            params: CreateCollectionParams {
                name: "Voron".into(),
                parent_id: Some(parts.id),
            },
        })
        .await
        .expect("create_collection");
    assert_eq!(voron.parent_id, Some(parts.id));

    let tree = server
        .call_no_args::<ListCollections>()
        .await
        .expect("list_collections");
    let rest: Vec<CollectionNode> = server.rest_get("/collections").await;
    assert_eq!(tree, rest);
    assert_eq!(tree.len(), 1, "one root");
    let node = server
        .call(GetCollection { id: parts.id })
        .await
        .expect("get_collection");
    let rest: CollectionNode = server.rest_get(&format!("/collections/{}", parts.id)).await;
    assert_eq!(node, rest);

    let moved = server
        .call(UpdateCollection {
            id: voron.id,
            params: UpdateCollectionParams {
                name: Some("Voron 2.4".into()),
                parent_id: Some(None),
            },
        })
        .await
        .expect("update_collection");
    assert_eq!((moved.name.as_str(), moved.parent_id), ("Voron 2.4", None));

    // Tags: create, attach to the uploaded model, rename, detach.
    let tag = server
        .call(CreateTag {
            name: "calibration".into(),
        })
        .await
        .expect("create_tag");
    server
        .call(AttachTags {
            params: TagModelsParams {
                model_ids: vec![model_id],
                tag_ids: vec![tag.id],
            },
        })
        .await
        .expect("attach_tags");
    let tags = server.call_no_args::<ListTags>().await.expect("list_tags");
    let rest: Vec<TagView> = server.rest_get("/tags").await;
    assert_eq!(tags, rest);
    assert_eq!(
        tags.iter()
            .map(|t| (t.id, t.model_count))
            .collect::<Vec<_>>(),
        [(tag.id, 1)]
    );
    let renamed = server
        .call(RenameTag {
            id: tag.id,
            name: "Calibration".into(),
        })
        .await
        .expect("rename_tag");
    assert_eq!(renamed.name, "Calibration");
    let detail = server
        .call(GetModel { id: model_id })
        .await
        .expect("get_model");
    assert_eq!(
        detail
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Calibration"]
    );
    server
        .call(DetachTags {
            params: TagModelsParams {
                model_ids: vec![model_id],
                tag_ids: vec![tag.id],
            },
        })
        .await
        .expect("detach_tags");
    let detail = server
        .call(GetModel { id: model_id })
        .await
        .expect("get_model");
    assert!(detail.tags.is_empty());

    let deleted = server
        .call(DeleteCollection { id: parts.id })
        .await
        .expect("delete_collection");
    assert_eq!(
        (deleted.collections_removed, deleted.models_trashed),
        (1, 0)
    );
    let tree = server
        .call_no_args::<ListCollections>()
        .await
        .expect("list_collections");
    assert_eq!(tree.iter().map(|c| c.id).collect::<Vec<_>>(), [voron.id]);

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_function_errors_carry_the_app_error() {
    let server = start().await;

    let err = server
        .call(GetModel { id: 999_999 })
        .await
        .expect_err("get_model of a missing model");
    not_found(&err, "model");

    let err = server
        .call(GetCollection { id: 999_999 })
        .await
        .expect_err("get_collection of a missing collection");
    not_found(&err, "collection");

    let err = server
        .call(CreateCollection {
            params: CreateCollectionParams {
                name: "   ".into(),
                parent_id: None,
            },
        })
        .await
        .expect_err("a blank collection name");
    assert_eq!(err.code, ErrorCode::Invalid, "{err:?}");
    assert_eq!(err.field.as_deref(), Some("name"));
    assert!(!err.message.trim().is_empty());

    let tag = server
        .call(CreateTag { name: "pla".into() })
        .await
        .expect("create_tag");
    let err = server
        .call(CreateTag { name: "PLA".into() })
        .await
        .expect_err("a duplicate tag");
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert!(err.message.to_lowercase().contains("pla"), "{err:?}");
    assert_eq!(tag.name, "pla");

    server.shutdown().await;
}

/// Renames sent from the UI must not move anything: the client serializes
/// the fields it leaves out (`parent_id`, `collection_id` are `None`), and
/// the server must still read them as "unchanged", not as an explicit `null`
/// ("move to the root").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_from_the_ui_leave_unsent_fields_alone() {
    let server = start().await;
    let model_id = server
        .upload_model("tetra.stl", TETRAHEDRON_STL.as_bytes())
        .await;
    let parts = server
        .call(CreateCollection {
            params: CreateCollectionParams {
                name: "Parts".into(),
                parent_id: None,
            },
        })
        .await
        .expect("create_collection");
    let voron = server
        .call(CreateCollection {
            params: CreateCollectionParams {
                name: "Voron".into(),
                parent_id: Some(parts.id),
            },
        })
        .await
        .expect("create_collection");

    let renamed = server
        .call(UpdateCollection {
            id: voron.id,
            params: UpdateCollectionParams {
                name: Some("Voron 2.4".into()),
                ..Default::default()
            },
        })
        .await
        .expect("update_collection");
    assert_eq!(
        renamed.parent_id,
        Some(parts.id),
        "renaming a collection must not move it"
    );

    let filed = server
        .call(UpdateModel {
            id: model_id,
            params: UpdateModelParams {
                collection_id: Some(Some(voron.id)),
                ..Default::default()
            },
        })
        .await
        .expect("update_model");
    assert_eq!(filed.collection_id, Some(voron.id));
    let renamed = server
        .call(UpdateModel {
            id: model_id,
            params: UpdateModelParams {
                name: Some("Tetra".into()),
                ..Default::default()
            },
        })
        .await
        .expect("update_model");
    assert_eq!(
        renamed.collection_id,
        Some(voron.id),
        "renaming a model must not move it"
    );
    server.shutdown().await;
}
