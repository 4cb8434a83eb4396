//! Crash test: the real `server` binary is SIGKILLed at random points while a
//! client uploads 50 distinct meshes and a few G-code revisions, restarted
//! each time, and the uploads carry on. Afterwards, with the server stopped,
//! the database and the blob store must agree: every artifact's bytes are
//! there and intact, no referenced blob is missing, reference counts match,
//! no temp file survives a boot, interrupted uploads are failed with a
//! reason, and orphan GC removes exactly the one old orphan and nothing a row
//! refers to. On SQLite and on a throw-away PostgreSQL database.
//!
//! The kill points come from a PRNG seeded from the clock; the seed is
//! printed, and `CRASH_TEST_SEED=<seed>` replays the same kill schedule.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use app::backend::db::entities::{blobs, files, jobs, models};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use support::{Api, Engine, Form, HANG_GUARD, Vault, id, sha256_hex, small_gcode, tetrahedron_stl};
use tokio::io::AsyncWriteExt;

/// Distinct meshes uploaded.
const MODELS: u32 = 50;
/// A G-code revision is attached after every this many uploads.
const REVISION_EVERY: u32 = 10;
/// Upload jobs the client lets run at once.
const WINDOW: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_uploads_leaves_a_consistent_vault_on_sqlite() {
    crash_and_recover(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_uploads_leaves_a_consistent_vault_on_postgres() {
    crash_and_recover(Engine::Postgres).await;
}

/// SplitMix64: small, deterministic, good enough to place kills.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    std::env::var("CRASH_TEST_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// What the uploading client saw.
#[derive(Debug, Default)]
struct ClientLog {
    /// `(mesh number, ingest job id)` of every accepted upload, retries included.
    jobs: Vec<(u32, i64)>,
    /// The finished jobs by id.
    finished: BTreeMap<i64, Value>,
    /// `(model id, file id)` of every revision the server answered 201 for.
    revisions: Vec<(i64, i64)>,
    /// Requests that failed because the server was down.
    connection_errors: u32,
    /// Uploads sent again because a crash interrupted their job.
    resubmitted: u32,
}

/// Submits one mesh, retrying through crashes until it is accepted.
async fn submit(api: &Api, log: &mut ClientLog, n: u32) -> i64 {
    let mesh = tetrahedron_stl(n);
    let name = format!("crash_part_{n}.stl");
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let form = Form::new().file("file", &name, &mesh);
        match api.try_upload("/ingest/model", form).await {
            Ok((StatusCode::ACCEPTED, job)) => {
                let job_id = id(&job["job_id"]);
                log.jobs.push((n, job_id));
                return job_id;
            }
            Ok((status, body)) => panic!("upload {name}: {status} {body}"),
            Err(_) => {
                log.connection_errors += 1;
                assert!(Instant::now() < deadline, "{name} never got through");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Uploads meshes 0..MODELS with at most `WINDOW` jobs outstanding (so kills
/// land while files are being stored, not only while they queue), sends an
/// upload again when a crash interrupted its job, and every
/// `REVISION_EVERY` uploads attaches a G-code revision.
async fn upload_everything(api: Api, progress: Arc<AtomicU32>) -> ClientLog {
    let mut log = ClientLog::default();
    let mut outstanding: VecDeque<(u32, i64, u32)> = VecDeque::new();
    let mut next = 0;
    while next < MODELS || !outstanding.is_empty() {
        if next < MODELS && outstanding.len() < WINDOW {
            let job_id = submit(&api, &mut log, next).await;
            outstanding.push_back((next, job_id, 1));
            next += 1;
            progress.store(next, Ordering::SeqCst);
            if next % REVISION_EVERY == 0
                && let Some(revision) = attach_revision(&api, &mut log, next).await
            {
                log.revisions.push(revision);
            }
            continue;
        }
        let Some((n, job_id, attempt)) = outstanding.pop_front() else {
            break;
        };
        let job = api.wait_job(job_id).await;
        let interrupted = job["state"] == "failed";
        log.finished.insert(job_id, job);
        if interrupted && attempt < 3 {
            log.resubmitted += 1;
            let job_id = submit(&api, &mut log, n).await;
            outstanding.push_back((n, job_id, attempt + 1));
        }
    }
    log
}

/// Attaches `small_gcode(n)` to the newest model already stored, retrying
/// through crashes; `None` when no stored model was found.
async fn attach_revision(api: &Api, log: &mut ClientLog, n: u32) -> Option<(i64, i64)> {
    let mut model_id = None;
    for job in log.finished.values().rev() {
        if job["state"] == "completed" {
            model_id = job["result"]["model_id"].as_i64();
            break;
        }
    }
    let model_id = model_id?;
    let gcode = small_gcode(n);
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let form = Form::new()
            .text("label", &format!("revision after upload {n}"))
            .file("file", &format!("crash_part_{n}.gcode"), &gcode);
        match api
            .try_upload(&format!("/models/{model_id}/gcode-revisions"), form)
            .await
        {
            Ok((StatusCode::CREATED, outcome)) => {
                assert_eq!(outcome["outcome"], "attached", "{outcome}");
                return Some((model_id, id(&outcome["file_id"])));
            }
            Ok((status, body)) => panic!("revision for model {model_id}: {status} {body}"),
            Err(_) => {
                log.connection_errors += 1;
                assert!(Instant::now() < deadline, "revision never got through");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Opens an upload and sends only part of it, so the server holds a staged
/// temp file when it is killed.
async fn start_partial_upload(base: &str, token: &str) -> tokio::net::TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let boundary = "crash-test-boundary";
    let part_head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"interrupted.stl\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let announced = part_head.len() + 8 * 1024 * 1024;
    let head = format!(
        "POST /api/v1/ingest/model HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {announced}\r\n\r\n{part_head}solid interrupted\n"
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    stream
        .write_all(&vec![b' '; 256 * 1024])
        .await
        .expect("send");
    stream.flush().await.expect("flush");
    stream
}

/// The stored object of a blob: `(exists, size, sha256)`.
fn object_on_disk(vault: &Vault, storage_key: &str) -> Option<(u64, String)> {
    let bytes = std::fs::read(vault.data_dir().join(storage_key)).ok()?;
    Some((bytes.len() as u64, sha256_hex(&bytes)))
}

/// Checks, with the server stopped, that rows and stored objects agree.
/// Returns the blob rows by id.
async fn assert_consistent(vault: &Vault, db: &DatabaseConnection) -> BTreeMap<i32, blobs::Model> {
    let blob_rows: BTreeMap<i32, blobs::Model> = blobs::Entity::find()
        .all(db)
        .await
        .expect("blobs")
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let file_rows = files::Entity::find().all(db).await.expect("files");
    let mut references: HashMap<i32, i32> = HashMap::new();
    for file in &file_rows {
        let blob = blob_rows
            .get(&file.blob_id)
            .unwrap_or_else(|| panic!("file {} points at missing blob {}", file.id, file.blob_id));
        *references.entry(blob.id).or_default() += 1;
        assert_eq!(blob.sha256, file.sha256, "file {} hash", file.id);
        assert_eq!(blob.size_bytes, file.size_bytes, "file {} size", file.id);
    }
    for blob in blob_rows.values() {
        let referenced = references.get(&blob.id).copied().unwrap_or(0);
        assert_eq!(
            blob.ref_count, referenced,
            "blob {} ref_count matches the file rows pointing at it",
            blob.id
        );
        if blob.ref_count > 0 {
            let (size, sha) = object_on_disk(vault, &blob.storage_key).unwrap_or_else(|| {
                panic!(
                    "blob {} (ref_count {}) has no object at {}",
                    blob.id, blob.ref_count, blob.storage_key
                )
            });
            assert_eq!(size, blob.size_bytes as u64, "blob {} object size", blob.id);
            assert_eq!(sha, blob.sha256, "blob {} object content", blob.id);
            assert!(
                blob.storage_key.ends_with(&blob.sha256),
                "blob {} key {} is content-addressed",
                blob.id,
                blob.storage_key
            );
        } else {
            assert!(
                blob.unreferenced_since.is_some(),
                "unreferenced blob {} records since when",
                blob.id
            );
        }
    }
    let identities: Vec<String> = models::Entity::find()
        .all(db)
        .await
        .expect("models")
        .into_iter()
        .map(|m| m.identity_hash)
        .collect();
    let distinct: BTreeSet<&String> = identities.iter().collect();
    assert_eq!(
        distinct.len(),
        identities.len(),
        "no mesh stored as two models"
    );

    for job in jobs::Entity::find().all(db).await.expect("jobs") {
        if job.kind == "ingest" {
            assert!(
                job.status == "completed" || job.status == "failed",
                "ingest job {} left {} after a restart",
                job.id,
                job.status
            );
        }
        if job.status == "failed" {
            assert!(
                job.error.as_deref().is_some_and(|e| !e.trim().is_empty()),
                "failed job {} says why",
                job.id
            );
        }
    }
    blob_rows
}

async fn crash_and_recover(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[("VAULT_BLOB_GC_GRACE_HOURS", "1")]).await else {
        return;
    };
    let seed = seed();
    eprintln!("crash test on {engine:?}: seed {seed} (replay with CRASH_TEST_SEED={seed})");
    let mut rng = Rng(seed);
    let kills = 4 + rng.below(3) as usize;
    let mut points = BTreeSet::new();
    while points.len() < kills {
        points.insert(2 + rng.below(u64::from(MODELS) - 4) as u32);
    }

    let mut server = vault.start().await;
    let api = Api::admin(&vault.base).await;
    let progress = Arc::new(AtomicU32::new(0));
    let client = tokio::spawn(upload_everything(api.clone(), Arc::clone(&progress)));
    for (k, point) in points.iter().enumerate() {
        let deadline = Instant::now() + HANG_GUARD;
        while progress.load(Ordering::SeqCst) < *point && !client.is_finished() {
            assert!(Instant::now() < deadline, "uploads stalled before {point}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.below(60))).await;
        eprintln!(
            "kill -9 #{} (pid {}) after {} upload(s)",
            k + 1,
            server.pid(),
            progress.load(Ordering::SeqCst)
        );
        server.kill();
        server = vault.start().await;
    }
    let log = client.await.expect("client task");
    eprintln!(
        "client: {} uploads accepted ({} sent again after a crash), {} revisions, {} requests hit a dead server",
        log.jobs.len(),
        log.resubmitted,
        log.revisions.len(),
        log.connection_errors
    );

    // Every accepted upload ends: stored, a duplicate of a retry, or failed
    // because the server died under it.
    let mut created: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
    let mut interrupted_meshes = BTreeSet::new();
    let mut interrupted = 0;
    for (n, job_id) in &log.jobs {
        let job = api.wait_job(*job_id).await;
        match job["state"].as_str() {
            Some("completed") if job["result"]["outcome"] == "created" => {
                let ids = (
                    id(&job["result"]["model_id"]),
                    id(&job["result"]["file_id"]),
                );
                assert!(created.insert(*n, ids).is_none(), "mesh {n} created twice");
            }
            Some("completed") => {
                assert_eq!(job["result"]["outcome"], "duplicate", "{job}");
                // Only a retry can be a duplicate: the crash hit after the
                // earlier job's files were committed but before the job was.
                assert!(
                    interrupted_meshes.contains(n),
                    "mesh {n} duplicate without a crash: {job}"
                );
                eprintln!(
                    "note: mesh {n} was stored although its interrupted job said nothing was kept"
                );
            }
            _ => {
                let error = job["error"].as_str().unwrap_or_default();
                assert!(
                    error.contains("restarted"),
                    "upload job failed for a reason other than the crash: {job}"
                );
                interrupted += 1;
                interrupted_meshes.insert(*n);
            }
        }
    }
    eprintln!(
        "{} meshes stored, {interrupted} upload job(s) interrupted",
        created.len()
    );
    assert!(!created.is_empty(), "some uploads were stored");

    // One more crash while an upload is being staged; the next boot sweeps it.
    let partial =
        start_partial_upload(&vault.base, api.token.as_deref().expect("admin token")).await;
    let deadline = Instant::now() + HANG_GUARD;
    while vault.staged_files().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the partial upload was never staged"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    drop(partial);
    assert!(
        !vault.staged_files().is_empty(),
        "the crash left a temp file behind"
    );
    server = vault.start().await;
    assert_eq!(
        vault.staged_files(),
        Vec::<std::path::PathBuf>::new(),
        "boot swept interrupted uploads"
    );

    // Acknowledged writes survived every crash.
    let revised: BTreeSet<i64> = log.revisions.iter().map(|(m, _)| *m).collect();
    for (model_id, file_id) in &log.revisions {
        let (status, detail) = api.get(&format!("/models/{model_id}")).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let revisions = detail["revisions"].as_array().expect("revisions");
        assert!(
            revisions.iter().any(|r| r["id"] == *file_id),
            "revision {file_id} kept"
        );
        let recommended = revisions
            .iter()
            .filter(|r| r["revision"]["recommended"] == true)
            .count();
        assert_eq!(recommended, 1, "one recommended revision: {detail}");
    }
    for (model_id, file_id) in created.values() {
        let (status, detail) = api.get(&format!("/models/{model_id}")).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        assert_eq!(detail["files"][0]["id"], *file_id, "{detail}");
    }

    // Make exactly one orphan: purge a stored model that has only its mesh.
    let (victim_model, victim_file) = created
        .values()
        .copied()
        .find(|(model_id, _)| !revised.contains(model_id))
        .expect("a model without revisions");
    let db = vault.connect().await;
    let victim = files::Entity::find_by_id(victim_file as i32)
        .one(&db)
        .await
        .expect("query")
        .expect("victim file row");
    db.close().await.ok();
    let (status, body) = api.delete(&format!("/models/{victim_model}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = api.delete(&format!("/models/{victim_model}/purge")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    server.kill();

    // With the server stopped: rows and objects agree; age the orphan.
    let db = vault.connect().await;
    let before = assert_consistent(&vault, &db).await;
    let orphan = before.get(&victim.blob_id).expect("the orphan's blob row");
    assert_eq!(orphan.ref_count, 0);
    assert!(
        object_on_disk(&vault, &orphan.storage_key).is_some(),
        "the orphan's bytes are still there before GC"
    );
    let mut victim_objects = vec![orphan.storage_key.clone()];
    victim_objects.extend(victim.thumbnail_key.clone());
    victim_objects.extend(victim.thumbnail_grid_key.clone());
    for key in &victim_objects {
        assert!(
            vault.data_dir().join(key).exists(),
            "{key} exists before GC"
        );
    }
    // Every other object on disk must survive GC (referenced blobs, and
    // unreferenced ones still inside their grace period).
    let kept_objects: Vec<String> = before
        .values()
        .filter(|b| b.id != victim.blob_id)
        .map(|b| b.storage_key.clone())
        .filter(|key| vault.data_dir().join(key).exists())
        .collect();
    blobs::Entity::update_many()
        .col_expr(
            blobs::Column::UnreferencedSince,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(2)),
        )
        .filter(blobs::Column::Id.eq(victim.blob_id))
        .exec(&db)
        .await
        .expect("age the orphan");
    db.close().await.ok();

    // Orphan GC on request.
    server = vault.start().await;
    let (status, job) = api.post_json("/jobs", &json!({ "kind": "blob_gc" })).await;
    match status {
        StatusCode::ACCEPTED => {
            eprintln!("blob_gc job {} queued", job["job_id"]);
            let done = api.wait_job(id(&job["job_id"])).await;
            assert_eq!(done["state"], "completed", "{done}");
            assert_eq!(done["result"]["blobs_deleted"], 1, "{done}");
            assert_eq!(done["result"]["candidates"], 1, "{done}");
        }
        // A GC job interrupted by an earlier crash was already queued again.
        StatusCode::CONFLICT => {
            eprintln!("a blob_gc job was already outstanding; waiting for it");
            let (_, listed) = api.get("/jobs?kind=blob_gc&limit=500").await;
            for job in listed.as_array().expect("jobs") {
                if job["state"] == "pending" || job["state"] == "running" {
                    api.wait_job(id(&job["job_id"])).await;
                }
            }
        }
        other => panic!("POST /jobs blob_gc: {other} {job}"),
    }
    let (_, listed) = api.get("/jobs?kind=blob_gc&limit=500").await;
    let deleted: i64 = listed
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["state"] == "completed")
        .filter_map(|j| j["result"]["blobs_deleted"].as_i64())
        .sum();
    assert_eq!(deleted, 1, "GC deleted exactly the aged orphan: {listed}");
    wait_until_no_job_outstanding(&api).await;
    server.kill();

    let db = vault.connect().await;
    let after = assert_consistent(&vault, &db).await;
    db.close().await.ok();
    let expected: BTreeSet<i32> = before
        .keys()
        .copied()
        .filter(|b| *b != victim.blob_id)
        .collect();
    let remaining: BTreeSet<i32> = after.keys().copied().collect();
    assert_eq!(remaining, expected, "only the aged orphan's row went");
    for key in &victim_objects {
        assert!(!vault.data_dir().join(key).exists(), "GC removed {key}");
    }
    for key in &kept_objects {
        assert!(vault.data_dir().join(key).exists(), "GC left {key} alone");
    }
    assert_eq!(vault.staged_files(), Vec::<std::path::PathBuf>::new());
}

/// Waits until no job is pending or running (maintenance jobs requeued by a
/// restart run at the worker's first tick).
async fn wait_until_no_job_outstanding(api: &Api) {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let (_, listed) = api.get("/jobs?limit=500").await;
        let outstanding: Vec<&Value> = listed
            .as_array()
            .expect("jobs")
            .iter()
            .filter(|j| j["state"] == "pending" || j["state"] == "running")
            .collect();
        if outstanding.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "jobs stuck after a restart: {outstanding:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
