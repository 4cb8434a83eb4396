//! REST black-box tests: the real `server` binary on a loopback port, driven
//! only over HTTP, each scenario on SQLite and on a throw-away PostgreSQL
//! database (`<scenario>::sqlite`, `<scenario>::postgres`).

#[macro_use]
mod support;

use std::collections::HashSet;

use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};
use support::{
    Api, Engine, Form, Vault, assert_error, fixture, id, sha256_hex, small_gcode, tetrahedron_stl,
};

on_both_engines!(
    mesh_upload_dedupes_across_formats_and_survives_trash_and_restore,
    downloads_honour_range_and_etag,
    mesh_previews_are_psm1_with_an_etag,
    stars_filter_the_library_and_fill_the_offline_manifest,
    gcode_revisions_keep_exactly_one_recommended,
    bad_uploads_get_clear_errors_and_leave_nothing_behind,
    sixteen_concurrent_uploads_all_complete,
    revision_edits_during_concurrent_uploads_never_fail,
    collection_paths_create_nested_collections,
);

fn items(page: &Value) -> &Vec<Value> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page has items: {page}"))
}

fn listed(page: &Value, model_id: i64) -> Option<&Value> {
    items(page).iter().find(|card| card["id"] == model_id)
}

/// The live revisions' `(file id, recommended)` pairs of a model detail.
fn recommended_marks(detail: &Value) -> Vec<(i64, bool)> {
    detail["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|r| {
            (
                id(&r["id"]),
                r["revision"]["recommended"].as_bool().expect("recommended"),
            )
        })
        .collect()
}

fn only_recommended(detail: &Value) -> i64 {
    let marked: Vec<i64> = recommended_marks(detail)
        .into_iter()
        .filter(|(_, rec)| *rec)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        marked.len(),
        1,
        "exactly one recommended revision: {detail}"
    );
    marked[0]
}

async fn mesh_upload_dedupes_across_formats_and_survives_trash_and_restore(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;

    let cube = fixture("mesh/cube_20mm_ascii.stl");
    let created = api
        .ingest(
            "cube_20mm_ascii.stl",
            &cube,
            &[("model_name", "Calibration cube"), ("tags", "calibration")],
        )
        .await;
    assert_eq!(created["outcome"], "created", "{created}");
    let model_id = id(&created["model_id"]);
    let file_id = id(&created["file_id"]);

    let (status, page) = api.get("/models").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let card = listed(&page, model_id).expect("the new model is listed");
    assert_eq!(card["name"], "Calibration cube");
    assert_eq!(card["file_count"], 1);
    assert_eq!(card["has_gcode"], false);
    let grid_url = card["thumbnail_url"]
        .as_str()
        .expect("the card has a thumbnail")
        .to_owned();
    assert!(page.get("next_cursor").is_some(), "{page}");

    let (status, detail) = api.get(&format!("/models/{model_id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["id"], model_id);
    assert_eq!(detail["deleted_at"], Value::Null);
    assert_eq!(detail["tags"][0]["name"], "calibration", "{detail}");
    assert_eq!(detail["revisions"], json!([]));
    let files = detail["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "{detail}");
    let file = &files[0];
    assert_eq!(file["id"], file_id);
    assert_eq!(file["kind"], "stl");
    assert_eq!(file["original_filename"], "cube_20mm_ascii.stl");
    assert_eq!(file["size_bytes"], cube.len());
    assert_eq!(file["sha256"], sha256_hex(&cube));
    assert_eq!(
        file["download_url"],
        format!("/api/v1/files/{file_id}/download")
    );
    let full_url = file["thumbnail_url"]
        .as_str()
        .expect("the file has a thumbnail")
        .to_owned();

    for url in [full_url, grid_url] {
        let res = api.client.get(api.url(&url)).send().await.expect("GET");
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/webp", "{url}");
        let bytes = res.bytes().await.expect("body");
        assert!(
            bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
            "{url} is a WebP image"
        );
    }

    // The same mesh in every other format is recognised as the same model.
    for (name, path) in [
        ("cube_20mm_binary.stl", "mesh/cube_20mm_binary.stl"),
        ("cube_20mm.obj", "mesh/cube_20mm.obj"),
        ("cube_20mm.3mf", "mesh/cube_20mm.3mf"),
    ] {
        let outcome = api.ingest(name, &fixture(path), &[]).await;
        assert_eq!(outcome["outcome"], "duplicate", "{name}: {outcome}");
        assert_eq!(outcome["model_id"], model_id, "{name}");
        assert_eq!(outcome["model_name"], "Calibration cube", "{name}");
    }
    let (_, stats) = api.get("/models/stats").await;
    assert_eq!(stats["models"], 1, "{stats}");
    assert_eq!(stats["files"], 1, "{stats}");

    // Trashed: out of the browse list, into the trash list.
    let (status, body) = api.delete(&format!("/models/{model_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, page) = api.get("/models").await;
    assert!(
        listed(&page, model_id).is_none(),
        "trashed model listed: {page}"
    );
    let (status, trash) = api.get("/models/trash").await;
    assert_eq!(status, StatusCode::OK, "{trash}");
    assert!(
        trash
            .as_array()
            .expect("trash list")
            .iter()
            .any(|t| t["id"] == model_id),
        "{trash}"
    );

    // Uploading it again points at the trashed model and how to restore it.
    let outcome = api.ingest("cube_again.stl", &cube, &[]).await;
    assert_eq!(outcome["outcome"], "duplicate_in_trash", "{outcome}");
    assert_eq!(outcome["model_id"], model_id);
    assert_eq!(outcome["model_name"], "Calibration cube");
    let restore_url = outcome["restore_url"].as_str().expect("restore_url");
    assert_eq!(restore_url, format!("/api/v1/models/{model_id}/restore"));

    let (status, restored) = api.post_empty(restore_url).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["id"], model_id);
    assert_eq!(restored["deleted_at"], Value::Null);
    assert_eq!(restored["files"][0]["id"], file_id, "{restored}");
    let (_, page) = api.get("/models").await;
    assert!(listed(&page, model_id).is_some(), "restored model listed");
    let (_, trash) = api.get("/models/trash").await;
    assert_eq!(trash, json!([]));
    let outcome = api
        .ingest(
            "cube_20mm_binary.stl",
            &fixture("mesh/cube_20mm_binary.stl"),
            &[],
        )
        .await;
    assert_eq!(outcome["outcome"], "duplicate", "{outcome}");
}

async fn downloads_honour_range_and_etag(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;
    let mesh = tetrahedron_stl(7);
    let created = api.ingest("wedge.stl", &mesh, &[]).await;
    let url = api.url(&format!("/files/{}/download", id(&created["file_id"])));

    let res = api.client.get(&url).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()[header::ETAG].clone();
    assert_eq!(
        etag.to_str().expect("ascii"),
        format!("\"{}\"", sha256_hex(&mesh))
    );
    assert_eq!(res.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(res.bytes().await.expect("body").as_ref(), mesh.as_slice());

    let res = api
        .client
        .get(&url)
        .header(header::RANGE, "bytes=0-9")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()[header::CONTENT_RANGE],
        format!("bytes 0-9/{}", mesh.len()).as_str()
    );
    let body = res.bytes().await.expect("body");
    assert_eq!(body.len(), 10);
    assert_eq!(body.as_ref(), &mesh[..10]);

    let res = api
        .client
        .get(&url)
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()[header::ETAG], etag);
    assert!(res.bytes().await.expect("body").is_empty());

    let res = api
        .client
        .get(&url)
        .header(header::RANGE, format!("bytes={}-", mesh.len() + 10))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

async fn mesh_previews_are_psm1_with_an_etag(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;
    let created = api
        .ingest("cube.stl", &fixture("mesh/cube_20mm_binary.stl"), &[])
        .await;
    let model = id(&created["model_id"]);
    let (_, detail) = api.get(&format!("/models/{model}")).await;
    let preview_url = detail["files"][0]["preview_url"]
        .as_str()
        .expect("a mesh has a preview URL")
        .to_owned();

    let res = api
        .client
        .get(format!("{}{preview_url}", server.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()[header::ETAG].clone();
    let body = res.bytes().await.expect("body");
    assert_eq!(&body[..4], b"PSM1");
    // A cube: 8 welded corners, 12 triangles, nothing decimated.
    assert_eq!(
        (le_u32(&body, 4), le_u32(&body, 8), le_u32(&body, 12)),
        (8, 12, 12)
    );
    let max_z = f32::from_le_bytes(body[36..40].try_into().expect("f32"));
    assert!((max_z - 20.0).abs() < 1e-3, "{max_z}");
    assert_eq!(body.len(), 40 + 48 + 12 * 12);

    let res = api
        .client
        .get(format!("{}{preview_url}", server.base))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // G-code has no mesh preview.
    let (status, revision) = api
        .upload(
            &format!("/models/{model}/gcode-revisions"),
            Form::new().file("file", "cube.gcode", &small_gcode(3)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{revision}");
    let (status, body) = api
        .get(&format!("/files/{}/preview-mesh", id(&revision["file_id"])))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
}

async fn stars_filter_the_library_and_fill_the_offline_manifest(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;
    let keep = api.ingest("keep.stl", &tetrahedron_stl(41), &[]).await;
    let other = api.ingest("other.stl", &tetrahedron_stl(42), &[]).await;
    let (keep, other) = (id(&keep["model_id"]), id(&other["model_id"]));
    let (status, revision) = api
        .upload(
            &format!("/models/{keep}/gcode-revisions"),
            Form::new().file("file", "keep.gcode", &small_gcode(4)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{revision}");

    for _ in 0..2 {
        let (status, body) = api
            .put_json(&format!("/models/{keep}/star"), &json!({}))
            .await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "starring twice is fine: {body}"
        );
    }
    let (_, page) = api.get("/models?starred=true").await;
    let ids: Vec<i64> = items(&page).iter().map(|m| id(&m["id"])).collect();
    assert_eq!(ids, vec![keep]);
    let (_, page) = api.get("/models").await;
    assert_eq!(listed(&page, keep).expect("listed")["starred"], true);
    assert_eq!(listed(&page, other).expect("listed")["starred"], false);
    let (_, detail) = api.get(&format!("/models/{keep}")).await;
    assert_eq!(detail["starred"], true);

    let (status, manifest) = api.get("/offline-manifest").await;
    assert_eq!(status, StatusCode::OK, "{manifest}");
    let pages: Vec<&str> = manifest["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        pages,
        vec!["/?starred=true".to_owned(), format!("/models/{keep}")]
    );
    let assets: Vec<&str> = manifest["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let download = format!("/api/v1/files/{}/download", id(&revision["file_id"]));
    assert!(assets.contains(&download.as_str()), "{manifest}");
    assert!(
        assets.iter().any(|a| a.ends_with("/preview-mesh")),
        "{manifest}"
    );

    // A trashed model leaves the offline set; stars are per user.
    let (status, _) = api.delete(&format!("/models/{keep}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, manifest) = api.get("/offline-manifest").await;
    assert_eq!(manifest["pages"], json!(["/?starred=true"]));
    let (status, _) = api.post_empty(&format!("/models/{keep}/restore")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api.delete(&format!("/models/{keep}/star")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = api.get("/models?starred=true").await;
    assert!(items(&page).is_empty(), "{page}");
}

async fn gcode_revisions_keep_exactly_one_recommended(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;
    let created = api.ingest("bracket.stl", &tetrahedron_stl(1), &[]).await;
    let model_id = id(&created["model_id"]);
    let revisions = format!("/models/{model_id}/gcode-revisions");

    let (status, first) = api
        .upload(
            &revisions,
            Form::new()
                .text("label", "0.2 mm PLA")
                .text("notes", "first try")
                .file(
                    "file",
                    "bracket_cura.gcode",
                    &fixture("gcode/cube_20mm_cura.gcode"),
                ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["outcome"], "attached", "{first}");
    assert_eq!(first["model_id"], model_id);
    assert_eq!(first["revision_number"], 1);
    let first_id = id(&first["file_id"]);

    let (status, second) = api
        .upload(
            &revisions,
            Form::new().file("file", "bracket_fast.gcode", &small_gcode(2)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["revision_number"], 2);
    let second_id = id(&second["file_id"]);

    let (_, detail) = api.get(&format!("/models/{model_id}")).await;
    assert_eq!(
        detail["revisions"].as_array().map(Vec::len),
        Some(2),
        "{detail}"
    );
    assert_eq!(
        only_recommended(&detail),
        first_id,
        "the first G-code claims the marker"
    );
    let first_view = &detail["revisions"][0];
    assert_eq!(first_view["revision"]["label"], "0.2 mm PLA");
    assert_eq!(first_view["revision"]["notes"], "first try");
    assert_eq!(first_view["revision"]["status"], "needs_test");
    let (_, page) = api.get("/models").await;
    assert_eq!(listed(&page, model_id).expect("listed")["has_gcode"], true);

    // Marking the second hands the marker over in one step.
    let (status, detail) = api
        .patch_json(
            &format!("/models/{model_id}/files/{second_id}/revision"),
            &json!({ "recommended": true, "status": "known_good", "label": "fast" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(only_recommended(&detail), second_id);
    assert_eq!(detail["revisions"][0]["revision"]["status"], "known_good");

    // The marker cannot just be taken away.
    let (status, body) = api
        .patch_json(
            &format!("/models/{model_id}/files/{second_id}/revision"),
            &json!({ "recommended": false }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "invalid");
    assert_eq!(body["error"]["field"], "recommended");

    // Trashing the recommended revision hands the marker on.
    let (status, detail) = api
        .delete(&format!("/models/{model_id}/files/{second_id}/revision"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        recommended_marks(&detail),
        vec![(first_id, true)],
        "{detail}"
    );
    let (_, detail) = api.get(&format!("/models/{model_id}")).await;
    assert_eq!(only_recommended(&detail), first_id);

    let (status, body) = api
        .patch_json(
            &format!("/models/{model_id}/files/{second_id}/revision"),
            &json!({ "recommended": true }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a trashed revision: {body}");
    assert_error(&body, "not_found");
}

async fn bad_uploads_get_clear_errors_and_leave_nothing_behind(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[("VAULT_MAX_UPLOAD_MB", "1")]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;

    let (status, body) = api
        .upload("/ingest/model", Form::new().file("file", "empty.stl", b""))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "invalid");
    assert_eq!(body["error"]["field"], "file");

    let (status, body) = api
        .upload(
            "/ingest/model",
            Form::new().file("file", "notes.txt", b"just some notes, not a model\n"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "invalid");
    assert_eq!(body["error"]["field"], "file");

    let (status, body) = api
        .upload("/ingest/model", Form::new().text("model_name", "no file"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "invalid");

    let (_, jobs) = api.get("/ingest/jobs").await;
    assert_eq!(jobs, json!([]), "rejected uploads create no jobs");

    // Only the last path segment of a file name is kept.
    let outcome = api.ingest("../../evil.stl", &tetrahedron_stl(2), &[]).await;
    assert_eq!(outcome["outcome"], "created", "{outcome}");
    let (_, detail) = api
        .get(&format!("/models/{}", id(&outcome["model_id"])))
        .await;
    assert_eq!(
        detail["files"][0]["original_filename"], "evil.stl",
        "{detail}"
    );
    assert_eq!(detail["name"], "evil");
    let data_dir = vault.data_dir();
    for dir in [
        data_dir.clone(),
        data_dir.join(".."),
        data_dir.join("../.."),
    ] {
        assert!(
            !dir.join("evil.stl").exists(),
            "nothing written at {}",
            dir.display()
        );
    }

    for path in [
        "/models/999999",
        "/files/999999/download",
        "/jobs/999999",
        "/collections/999999",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_error(&body, "not_found");
    }
    let (status, body) = api.delete("/models/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "not_found");
    // Ids that are not numbers: a 4xx with the envelope, whatever the method.
    for path in ["/models/abc", "/files/-x/download", "/jobs/1.5"] {
        let (status, body) = api.get(path).await;
        assert!(status.is_client_error(), "{path}: {status} {body}");
        assert_error(&body, "not_found");
    }
    for path in ["/models/abc", "/models/1/files/abc/revision"] {
        let (status, body) = api.patch_json(path, &json!({ "name": "x" })).await;
        assert!(status.is_client_error(), "PATCH {path}: {status} {body}");
        assert_error(&body, "not_found");
    }

    // Over VAULT_MAX_UPLOAD_MB=1: cut off while streaming, nothing kept.
    let (_, before) = api.get("/models/stats").await;
    let mut big = b"solid big\n".to_vec();
    big.resize(2 * 1024 * 1024 + 100, b' ');
    let (status, body) = api
        .upload("/ingest/model", Form::new().file("file", "big.stl", &big))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1 MiB")),
        "the message names the limit: {body}"
    );
    assert_eq!(
        vault.staged_files(),
        Vec::<std::path::PathBuf>::new(),
        "no staged upload left"
    );
    let (_, after) = api.get("/models/stats").await;
    assert_eq!(before, after, "nothing stored");

    // The server still works after all of that.
    let outcome = api.ingest("fine.stl", &tetrahedron_stl(3), &[]).await;
    assert_eq!(outcome["outcome"], "created", "{outcome}");
}

async fn sixteen_concurrent_uploads_all_complete(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;

    let mut uploads = tokio::task::JoinSet::new();
    for n in 0..16u32 {
        let api = api.clone();
        uploads.spawn(async move {
            let mesh = tetrahedron_stl(100 + n);
            let job_id = api.submit_model(&format!("part_{n}.stl"), &mesh, &[]).await;
            api.wait_job(job_id).await
        });
    }
    let mut model_ids = HashSet::new();
    let mut errors = Vec::new();
    while let Some(job) = uploads.join_next().await {
        let job = job.expect("upload task");
        if job["state"] != "completed" || job["result"]["outcome"] != "created" {
            errors.push(job);
            continue;
        }
        model_ids.insert(id(&job["result"]["model_id"]));
    }
    assert_eq!(errors, Vec::<Value>::new(), "every upload completes");
    assert_eq!(model_ids.len(), 16, "16 distinct models");

    let (_, stats) = api.get("/models/stats").await;
    assert_eq!(stats["models"], 16, "{stats}");
    assert_eq!(stats["files"], 16, "{stats}");
    let (_, page) = api.get("/models?limit=100").await;
    let listed: HashSet<i64> = items(&page).iter().map(|c| id(&c["id"])).collect();
    assert_eq!(listed, model_ids);
    let (_, jobs) = api.get("/ingest/jobs").await;
    let jobs = jobs.as_array().expect("jobs");
    assert_eq!(jobs.len(), 16);
    assert!(
        jobs.iter()
            .all(|j| j["state"] == "completed" && j["error"].is_null())
    );
}

async fn revision_edits_during_concurrent_uploads_never_fail(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;
    let created = api.ingest("hinge.stl", &tetrahedron_stl(60), &[]).await;
    let model_id = id(&created["model_id"]);
    let (status, revision) = api
        .upload(
            &format!("/models/{model_id}/gcode-revisions"),
            Form::new().file("file", "hinge.gcode", &small_gcode(60)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{revision}");
    let revision_path = format!(
        "/models/{model_id}/files/{}/revision",
        id(&revision["file_id"])
    );

    // Uploads write job rows and artifacts while revision edits (read, then
    // write, in one transaction) run next to them.
    let mut uploads = tokio::task::JoinSet::new();
    for n in 0..16u32 {
        let api = api.clone();
        uploads.spawn(async move {
            let job_id = api
                .submit_model(&format!("hinge_{n}.stl"), &tetrahedron_stl(200 + n), &[])
                .await;
            api.wait_job(job_id).await
        });
    }
    let mut failed_edits = Vec::new();
    let mut edits = 0;
    while !uploads.is_empty() {
        while let Some(job) = uploads.try_join_next() {
            let job = job.expect("upload task");
            assert_eq!(job["state"], "completed", "{job}");
        }
        edits += 1;
        let (status, body) = api
            .patch_json(&revision_path, &json!({ "label": format!("edit {edits}") }))
            .await;
        if status != StatusCode::OK {
            failed_edits.push(format!("{status} {body}"));
        }
    }
    assert_eq!(
        failed_edits,
        Vec::<String>::new(),
        "every edit of {edits} succeeds"
    );
    let (_, detail) = api.get(&format!("/models/{model_id}")).await;
    assert_eq!(
        detail["revisions"][0]["revision"]["label"],
        format!("edit {edits}")
    );
}

fn find_child<'a>(nodes: &'a Value, name: &str) -> Option<&'a Value> {
    nodes.as_array()?.iter().find(|n| n["name"] == name)
}

async fn collection_paths_create_nested_collections(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;

    let first = api
        .ingest(
            "voron_clip.stl",
            &tetrahedron_stl(30),
            &[
                ("collection", "Parts/Voron"),
                ("tags", "voron, printed part"),
            ],
        )
        .await;
    let (_, detail) = api
        .get(&format!("/models/{}", id(&first["model_id"])))
        .await;
    let voron_id = id(&detail["collection_id"]);
    let mut tags: Vec<&str> = detail["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, ["printed part", "voron"]);

    // The same path again reuses the collections; a sibling path adds one.
    let second = api
        .ingest(
            "voron_duct.stl",
            &tetrahedron_stl(31),
            &[("collection", "Parts/Voron")],
        )
        .await;
    let (_, detail) = api
        .get(&format!("/models/{}", id(&second["model_id"])))
        .await;
    assert_eq!(id(&detail["collection_id"]), voron_id);
    let third = api
        .ingest(
            "prusa_knob.stl",
            &tetrahedron_stl(32),
            &[("collection", "Parts/Prusa")],
        )
        .await;

    let (status, tree) = api.get("/collections").await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    let roots: Vec<&Value> = tree
        .as_array()
        .expect("tree")
        .iter()
        .filter(|n| n["name"] == "Parts")
        .collect();
    assert_eq!(roots.len(), 1, "one Parts collection: {tree}");
    let parts = roots[0];
    assert_eq!(parts["parent_id"], Value::Null);
    assert_eq!(parts["model_count"], 0);
    assert_eq!(parts["total_model_count"], 3);
    assert_eq!(
        parts["children"].as_array().map(Vec::len),
        Some(2),
        "{tree}"
    );
    let voron = find_child(&parts["children"], "Voron").expect("Parts/Voron");
    assert_eq!(voron["id"], voron_id);
    assert_eq!(voron["parent_id"], parts["id"]);
    assert_eq!(voron["model_count"], 2);
    let prusa = find_child(&parts["children"], "Prusa").expect("Parts/Prusa");
    let (_, detail) = api
        .get(&format!("/models/{}", id(&third["model_id"])))
        .await;
    assert_eq!(detail["collection_id"], prusa["id"]);

    let (status, page) = api
        .get(&format!("/models?collection_id={}", parts["id"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(items(&page).len(), 3, "descendants included: {page}");

    // A dropped folder inside the browsed collection: the path starts there.
    let voron = voron_id.to_string();
    let nested = api
        .ingest(
            "bed_clip.stl",
            &tetrahedron_stl(34),
            &[
                ("collection_id", voron.as_str()),
                ("collection", "Trident/Bed"),
            ],
        )
        .await;
    let (_, detail) = api
        .get(&format!("/models/{}", id(&nested["model_id"])))
        .await;
    let (_, bed) = api
        .get(&format!("/collections/{}", id(&detail["collection_id"])))
        .await;
    assert_eq!(bed["name"], "Bed", "{bed}");
    let (_, trident) = api
        .get(&format!("/collections/{}", id(&bed["parent_id"])))
        .await;
    assert_eq!(
        (&trident["name"], id(&trident["parent_id"])),
        (&json!("Trident"), voron_id)
    );

    let (status, body) = api
        .upload(
            "/ingest/model",
            Form::new().text("collection_id", "999999").file(
                "file",
                "lost.stl",
                &tetrahedron_stl(33),
            ),
        )
        .await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(body["error"]["field"], "collection_id", "{body}");
}
