//! Behaviour tests of the storage layer on real temp directories: staging,
//! the local backend's put/get/head/delete, ranges, dedupe, concurrency and
//! crash-safety properties (no partial files, no leftovers).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use sha2::{Digest, Sha256};

use super::*;

/// Deterministic pseudo-random bytes (xorshift), so chunk boundaries are not
/// hidden by repeated patterns.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256Hex::from_digest(&Sha256::digest(bytes).into()).to_string()
}

fn chunks(
    bytes: &[u8],
    size: usize,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    let parts: Vec<io::Result<Bytes>> = bytes
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(parts)
}

async fn open_store() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).await.unwrap();
    (dir, Arc::new(store))
}

async fn stage(store: &Storage, bytes: &[u8]) -> StagedFile {
    store
        .staging()
        .stage_stream(chunks(bytes, 10_000), u64::MAX)
        .await
        .unwrap()
}

async fn collect(read: BlobRead) -> (Vec<usize>, Vec<u8>) {
    let mut sizes = Vec::new();
    let mut out = Vec::new();
    let mut stream = read.stream;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        sizes.push(chunk.len());
        out.extend_from_slice(&chunk);
    }
    (sizes, out)
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn put_then_get_round_trips_the_bytes_in_64_kib_chunks() {
    let (_dir, store) = open_store().await;
    let bytes = data(200_003, 1);
    let staged = stage(&store, &bytes).await;
    assert_eq!(staged.sha256().as_str(), sha_hex(&bytes));
    assert_eq!(staged.size_bytes(), 200_003);
    let key = staged.blob_key();

    let outcome = store.put(&key, staged).await.unwrap();
    assert!(!outcome.already_present);

    let read = store.get(&key, None).await.unwrap();
    assert_eq!(read.total_size, 200_003);
    assert_eq!(read.range, None);
    assert_eq!(read.content_length(), 200_003);
    assert!(read.modified.is_some());
    let (sizes, got) = collect(read).await;
    assert_eq!(sizes, vec![65_536, 65_536, 65_536, 3_395]);
    assert_eq!(got, bytes);

    let meta = store.head(&key).await.unwrap().unwrap();
    assert_eq!(meta.size, 200_003);
    assert!(files_in(store.staging().dir()).is_empty());
}

#[tokio::test]
async fn ranged_gets_return_exactly_the_requested_bytes() {
    let (_dir, store) = open_store().await;
    let bytes = data(150_000, 2);
    let staged = stage(&store, &bytes).await;
    let key = staged.blob_key();
    store.put(&key, staged).await.unwrap();

    let cases = [
        ("bytes=0-0", 0..1),
        ("bytes=-100", 149_900..150_000),
        ("bytes=70000-70009", 70_000..70_010),
        ("bytes=1000-", 1_000..150_000),
        ("bytes=140000-999999", 140_000..150_000),
    ];
    for (header, expected) in cases {
        let range = range::parse_range_header(header);
        let read = store.get(&key, range).await.unwrap();
        let resolved = read.range.unwrap();
        assert_eq!(resolved.first(), expected.start as u64, "{header}");
        assert_eq!(
            read.content_length(),
            (expected.end - expected.start) as u64,
            "{header}"
        );
        assert_eq!(
            resolved.content_range(read.total_size),
            format!("bytes {}-{}/150000", expected.start, expected.end - 1)
        );
        let (_, got) = collect(read).await;
        assert_eq!(got, &bytes[expected], "{header}");
    }

    for beyond in [
        ByteRange::From { first: 150_000 },
        ByteRange::FromTo {
            first: 200_000,
            last: 300_000,
        },
    ] {
        match store.get(&key, Some(beyond)).await {
            Err(StorageError::RangeNotSatisfiable { size }) => assert_eq!(size, 150_000),
            other => panic!("expected RangeNotSatisfiable, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn putting_identical_content_again_is_a_no_op() {
    let (_dir, store) = open_store().await;
    let bytes = data(5_000, 3);
    let first = stage(&store, &bytes).await;
    let key = first.blob_key();
    assert!(!store.put(&key, first).await.unwrap().already_present);
    let before = store.head(&key).await.unwrap().unwrap();

    let second = stage(&store, &bytes).await;
    let second_path = second.path().to_path_buf();
    assert!(store.put(&key, second).await.unwrap().already_present);
    assert!(
        !second_path.exists(),
        "the duplicate staged file is removed"
    );
    assert!(files_in(store.staging().dir()).is_empty());
    assert_eq!(
        store.head(&key).await.unwrap().unwrap(),
        before,
        "the stored file is untouched"
    );

    let again = store
        .put_bytes(&key, Bytes::from(bytes.clone()))
        .await
        .unwrap();
    assert!(again.already_present);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_puts_of_one_blob_all_succeed_and_store_one_file() {
    let (dir, store) = open_store().await;
    let bytes = Arc::new(data(300_000, 4));
    let key = StorageKey::blob(&Sha256Hex::parse(&sha_hex(&bytes)).unwrap());

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            let bytes = Arc::clone(&bytes);
            let key = key.clone();
            tokio::spawn(async move {
                let staged = store
                    .staging()
                    .stage_stream(chunks(&bytes, 8_192), u64::MAX)
                    .await?;
                store.put(&key, staged).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let shard = dir
        .path()
        .join("blobs")
        .join(&key.sha256()[..2])
        .join(&key.sha256()[2..4]);
    assert_eq!(files_in(&shard), vec![key.sha256().to_owned()]);
    let (_, got) = collect(store.get(&key, None).await.unwrap()).await;
    assert_eq!(got, *bytes);
    assert!(
        files_in(store.staging().dir()).is_empty(),
        "no staged file is left behind"
    );
}

#[tokio::test]
async fn staging_over_the_limit_fails_and_leaves_no_file() {
    let (_dir, store) = open_store().await;
    let bytes = data(100_000, 5);

    let err = store
        .staging()
        .stage_stream(chunks(&bytes, 4_096), 50_000)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::TooLarge {
                limit_bytes: 50_000
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the file is larger than the limit of 50000 bytes"
    );
    assert!(files_in(store.staging().dir()).is_empty());

    let err = store
        .staging()
        .stage_reader(&bytes[..], 99_999)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::TooLarge {
                limit_bytes: 99_999
            }
        ),
        "{err:?}"
    );
    assert!(files_in(store.staging().dir()).is_empty());

    // Exactly at the limit is fine.
    let staged = store
        .staging()
        .stage_reader(&bytes[..], 100_000)
        .await
        .unwrap();
    assert_eq!(staged.size_bytes(), 100_000);
    assert_eq!(staged.sha256().as_str(), sha_hex(&bytes));
}

#[tokio::test]
async fn the_limit_stops_an_endless_stream() {
    let (_dir, store) = open_store().await;
    let endless = stream::repeat_with(|| Ok::<_, io::Error>(Bytes::from_static(&[7u8; 1024])));
    let err = store
        .staging()
        .stage_stream(endless, 1_000_000)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::TooLarge { .. }));
    assert!(files_in(store.staging().dir()).is_empty());
}

#[tokio::test]
async fn a_failing_source_discards_the_partial_upload() {
    let (_dir, store) = open_store().await;
    let items = vec![
        Ok(Bytes::from_static(b"hello")),
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ];
    let err = store
        .staging()
        .stage_stream(stream::iter(items), 1_000)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::SourceFailed { .. }), "{err:?}");
    assert!(files_in(store.staging().dir()).is_empty());
}

#[tokio::test]
async fn a_staged_file_dropped_without_put_is_deleted() {
    let (_dir, store) = open_store().await;
    let staged = stage(&store, b"never committed").await;
    let path = staged.path().to_path_buf();
    assert!(path.exists());
    drop(staged);
    assert!(!path.exists());
    assert!(files_in(store.staging().dir()).is_empty());
}

#[tokio::test]
async fn sweep_removes_only_leftover_staged_files() {
    let (_dir, store) = open_store().await;
    let tmp = store.staging().dir().to_path_buf();
    std::fs::write(tmp.join("stage-1-2-3.part"), b"crashed upload").unwrap();
    std::fs::write(tmp.join("stage-9-9-9.part"), b"another").unwrap();
    std::fs::write(tmp.join("notes.txt"), b"not ours").unwrap();

    // A fresh file is younger than an hour: kept by a periodic sweep.
    let report = store
        .staging()
        .sweep(Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(report, SweepReport::default());

    // At boot everything staged goes.
    let report = store.staging().sweep(Duration::ZERO).await.unwrap();
    assert_eq!(report.removed_files, 2);
    assert_eq!(report.removed_bytes, 21);
    assert_eq!(files_in(&tmp), vec!["notes.txt".to_owned()]);
}

#[tokio::test]
async fn invalid_keys_and_mismatched_content_are_rejected() {
    let (dir, store) = open_store().await;
    let sha = sha_hex(b"x");
    for bad in [
        format!("blobs/../../{sha}"),
        format!("blobs/{}/{}/../{sha}", &sha[..2], &sha[2..4]),
        "/etc/passwd".to_owned(),
        format!("thumbs/{}/{sha}-grid.exe", &sha[..2]),
    ] {
        let err = StorageKey::parse(&bad).unwrap_err();
        assert!(matches!(err, StorageError::InvalidKey { .. }), "{bad}");
    }

    // A blob key only accepts the content it is named after.
    let other_key = StorageKey::blob(&Sha256Hex::parse(&sha).unwrap());
    let staged = stage(&store, b"not x").await;
    let err = store.put(&other_key, staged).await.unwrap_err();
    assert!(
        matches!(err, StorageError::ContentMismatch { .. }),
        "{err:?}"
    );
    assert!(store.head(&other_key).await.unwrap().is_none());
    assert!(files_in(store.staging().dir()).is_empty());
    assert!(!err.to_string().contains(&*dir.path().to_string_lossy()));
}

#[tokio::test]
async fn delete_is_idempotent_and_missing_objects_are_not_found() {
    let (dir, store) = open_store().await;
    let staged = stage(&store, b"short-lived").await;
    let key = staged.blob_key();
    store.put(&key, staged).await.unwrap();

    assert!(store.delete(&key).await.unwrap());
    assert!(!store.delete(&key).await.unwrap());
    assert!(store.head(&key).await.unwrap().is_none());
    let err = store.get(&key, None).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert_eq!(message, format!("stored file {key} was not found"));
    assert!(
        !message.contains(&*dir.path().to_string_lossy()),
        "no filesystem path in messages"
    );
}

#[tokio::test]
async fn thumbnails_are_replaced_atomically_by_put_bytes() {
    let (_dir, store) = open_store().await;
    let source = Sha256Hex::parse(&sha_hex(b"a mesh")).unwrap();
    let key = StorageKey::thumb(&source, "grid", ThumbFormat::Webp).unwrap();

    assert!(
        !store
            .put_bytes(&key, Bytes::from_static(b"first render"))
            .await
            .unwrap()
            .already_present
    );
    assert!(
        !store
            .put_bytes(&key, Bytes::from_static(b"second"))
            .await
            .unwrap()
            .already_present
    );
    let (_, got) = collect(store.get(&key, None).await.unwrap()).await;
    assert_eq!(got, b"second");
    assert!(files_in(store.staging().dir()).is_empty());

    let too_big = Bytes::from(vec![0u8; (PUT_BYTES_LIMIT + 1) as usize]);
    let err = store.put_bytes(&key, too_big).await.unwrap_err();
    assert!(matches!(
        err,
        StorageError::TooLarge {
            limit_bytes: PUT_BYTES_LIMIT
        }
    ));
}

#[tokio::test]
async fn an_empty_file_round_trips_and_rejects_every_range() {
    let (_dir, store) = open_store().await;
    let staged = stage(&store, b"").await;
    assert_eq!(staged.sha256().as_str(), sha_hex(b""));
    let key = staged.blob_key();
    store.put(&key, staged).await.unwrap();
    let read = store.get(&key, None).await.unwrap();
    assert_eq!(read.total_size, 0);
    assert!(collect(read).await.1.is_empty());
    let err = store
        .get(&key, Some(ByteRange::From { first: 0 }))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::RangeNotSatisfiable { size: 0 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_is_never_observed_partially_written_during_a_big_put() {
    const SIZE: usize = 20 * 1024 * 1024;
    let (dir, store) = open_store().await;
    let bytes = Arc::new(data(SIZE, 6));
    let key = StorageKey::blob(&Sha256Hex::parse(&sha_hex(&bytes)).unwrap());
    let final_path = dir.path().join(key.as_str());

    let writer = {
        let (store, bytes, key) = (Arc::clone(&store), Arc::clone(&bytes), key.clone());
        tokio::spawn(async move {
            let staged = store
                .staging()
                .stage_stream(chunks(&bytes, 16 * 1024), u64::MAX)
                .await?;
            store.put(&key, staged).await
        })
    };

    let mut polls = 0u64;
    let mut seen_absent = 0u64;
    while !writer.is_finished() {
        polls += 1;
        // Both through the API and on the raw filesystem: absent or complete.
        match store.head(&key).await.unwrap() {
            None => seen_absent += 1,
            Some(meta) => assert_eq!(meta.size, SIZE as u64, "partial object visible"),
        }
        if let Ok(meta) = std::fs::metadata(&final_path) {
            assert_eq!(meta.len(), SIZE as u64, "partial file at the final path");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    writer.await.unwrap().unwrap();
    assert!(
        polls > 5 && seen_absent > 0,
        "the poller ran while the put was in progress ({polls} polls)"
    );

    let (_, got) = collect(store.get(&key, None).await.unwrap()).await;
    assert!(got == *bytes, "stored bytes differ");
    assert!(files_in(store.staging().dir()).is_empty());
}

#[tokio::test]
async fn stage_reader_hashes_what_it_writes() {
    let (_dir, store) = open_store().await;
    let bytes = data(70_000, 7);
    let staged = store
        .staging()
        .stage_reader(&bytes[..], u64::MAX)
        .await
        .unwrap();
    assert_eq!(staged.sha256().as_str(), sha_hex(&bytes));
    assert_eq!(std::fs::read(staged.path()).unwrap(), bytes);
}

#[tokio::test]
async fn reopening_a_store_keeps_its_objects() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let store = LocalStore::open(dir.path()).await.unwrap();
        let staged = store
            .staging()
            .stage_reader(&b"persist me"[..], 100)
            .await
            .unwrap();
        let key = staged.blob_key();
        store.put(&key, staged).await.unwrap();
        key
    };
    let store = LocalStore::open(dir.path()).await.unwrap();
    assert_eq!(store.head(&key).await.unwrap().unwrap().size, 10);
    // The open-time probe leaves nothing behind.
    assert!(
        files_in(&dir.path().join("blobs"))
            .iter()
            .all(|n| !n.starts_with(".probe"))
    );
    assert!(files_in(store.staging().dir()).is_empty());
}
