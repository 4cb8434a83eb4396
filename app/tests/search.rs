//! Full-text search in browse, on a real SQLite file and on a throw-away
//! PostgreSQL database: what is searched (names, descriptions, tags, live
//! filenames, slicer fields), prefix-AND semantics, index maintenance on
//! every change, composition with filters and cursor pagination, and hostile
//! input.

mod support;

use std::collections::HashSet;

use app::backend::ingest::IngestTarget;
use app::backend::services::{browse, collections, models, revisions, tags};
use app::params::collections::CreateCollectionParams;
use app::params::models::{ListModelsParams, ModelSort, SortOrder, UpdateModelParams};
use app::views::models::IngestOutcome;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};
use support::{Engine, TestDb, TestVault, box_stl, fixture};

/// Runs each scenario once per engine: `<scenario>::sqlite`, `<scenario>::postgres`.
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test]
                async fn sqlite() {
                    super::$scenario(super::Engine::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$scenario(super::Engine::Postgres).await;
                }
            }
        )*
    };
}

on_both_engines!(
    search_matches_names_descriptions_tags_filenames_and_slicer_fields,
    search_follows_renames_tag_changes_trash_and_purge,
    search_composes_with_filters_and_cursor_pagination,
    hostile_search_text_never_errors,
    migration_indexes_models_that_existed_before_it,
    name_sort_pages_through_mixed_case_and_non_ascii_names_once,
);

/// Ids of every live model matching `params` (all pages), in page order.
async fn browse_all(v: &TestVault, mut params: ListModelsParams) -> Vec<i32> {
    let mut ids = Vec::new();
    loop {
        let page = browse::list_models(&v.state, &v.actor, &params)
            .await
            .unwrap_or_else(|err| panic!("browse {params:?}: {err}"));
        ids.extend(page.items.iter().map(|c| c.id));
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor),
            None => return ids,
        }
    }
}

/// Ids of the live models matching search text `q`, sorted.
async fn search(v: &TestVault, q: &str) -> Vec<i32> {
    let mut ids = browse_all(
        v,
        ListModelsParams {
            q: Some(q.to_owned()),
            limit: Some(200),
            ..Default::default()
        },
    )
    .await;
    ids.sort_unstable();
    ids
}

fn sorted(mut ids: Vec<i32>) -> Vec<i32> {
    ids.sort_unstable();
    ids
}

async fn rename(v: &TestVault, id: i32, name: &str, description: Option<&str>) {
    models::update_model(
        &v.state,
        &v.actor,
        id,
        UpdateModelParams {
            name: Some(name.to_owned()),
            description: description.map(str::to_owned),
            ..Default::default()
        },
    )
    .await
    .expect("update model");
}

async fn tag_id(v: &TestVault, name: &str) -> i32 {
    tags::list_tags(&v.state, &v.actor)
        .await
        .expect("list tags")
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("tag {name} exists"))
        .id
}

fn file_id(outcome: &IngestOutcome) -> i32 {
    match outcome {
        IngestOutcome::Created { file_id, .. } | IngestOutcome::Attached { file_id, .. } => {
            *file_id
        }
        other => panic!("expected a stored file, got {other:?}"),
    }
}

/// The model a new upload created.
fn created_model(outcome: &IngestOutcome) -> i32 {
    match outcome {
        IngestOutcome::Created { model_id, .. } => *model_id,
        other => panic!("expected a new model, got {other:?}"),
    }
}

/// How many index rows a model has (0 or 1).
async fn index_rows(v: &TestVault, model_id: i32) -> i64 {
    let db = &v.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM model_search WHERE model_id = {model_id}"),
        ))
        .await
        .expect("count index rows")
        .expect("one row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn search_matches_names_descriptions_tags_filenames_and_slicer_fields(engine: Engine) {
    let Some(v) = TestVault::new(engine).await else {
        return;
    };
    // A: found by its (edited) name and description, and its filename only.
    let a = v.new_model("a_part.stl", box_stl(10.0, 10.0, 10.0)).await;
    rename(
        &v,
        a,
        "Voron Stealthburner Clockwork",
        Some("Extruder housing for the toolhead."),
    )
    .await;
    // B: tags from the upload request; name from the filename stem.
    let b = created_model(
        &v.ingest(
            IngestTarget::NewModel {
                name: None,
                collection_id: None,
            },
            &["Boats", "Calibration"],
            "benchy_hull.stl",
            box_stl(11.0, 10.0, 10.0),
        )
        .await
        .expect("upload benchy"),
    );
    // C: diacritics in the description; a PrusaSlicer G-code revision whose
    // filename says nothing about the slicer.
    let c = v.new_model("bracket.stl", box_stl(12.0, 10.0, 10.0)).await;
    rename(&v, c, "Wall bracket", Some("Crème brûlée torch holder")).await;
    let revision = v
        .attach(
            c,
            "bracket_rev1.gcode",
            fixture("gcode/cube_20mm_prusa_png.gcode"),
        )
        .await;
    // D: a G-code-only model from Cura.
    let d = v
        .new_model("print.gcode", fixture("gcode/cube_20mm_cura.gcode"))
        .await;

    // Name words, prefixes, any case; all words must match (AND).
    assert_eq!(search(&v, "voron").await, [a]);
    assert_eq!(search(&v, "vor").await, [a], "prefix");
    assert_eq!(search(&v, "VOR").await, [a], "case");
    assert_eq!(search(&v, "stealth clock").await, [a], "prefix AND");
    assert_eq!(search(&v, "clockwork voron").await, [a], "order free");
    assert!(search(&v, "voron benchy").await.is_empty(), "AND, not OR");
    // Description.
    assert_eq!(search(&v, "extruder").await, [a]);
    assert_eq!(search(&v, "toolhead").await, [a]);
    // Tags (whole and prefix).
    assert_eq!(search(&v, "boats").await, [b]);
    assert_eq!(search(&v, "calib").await, [b]);
    // Filenames, split at `_` and `.` like every other word.
    assert_eq!(search(&v, "part").await, [a]);
    assert_eq!(search(&v, "a_part.stl").await, [a]);
    assert_eq!(search(&v, "hull").await, [b]);
    assert_eq!(search(&v, "rev1").await, [c]);
    assert_eq!(search(&v, "stl").await, sorted(vec![a, b, c]));
    // Slicer fields of a G-code revision: slicer, printer model, material.
    assert_eq!(search(&v, "prusaslicer").await, [c]);
    assert_eq!(search(&v, "prusa").await, [c]);
    assert_eq!(search(&v, "mk3s").await, [c]);
    assert_eq!(search(&v, "pla bracket").await, [c]);
    assert_eq!(search(&v, "cura").await, [d]);
    assert_eq!(search(&v, "steamengine").await, [d]);
    // Case folding of non-ASCII letters works on both engines; diacritics
    // are folded by SQLite's FTS5 tokenizer only (PostgreSQL's 'simple'
    // configuration keeps them, see ADR 0005).
    assert_eq!(search(&v, "crème").await, [c]);
    assert_eq!(search(&v, "CRÈME BRÛ").await, [c]);
    if engine == Engine::Sqlite {
        assert_eq!(search(&v, "creme brulee").await, [c]);
    }
    // Nothing matches → empty page, not an error.
    assert!(search(&v, "zzzz").await.is_empty());

    // Trashing the revision drops its filename and slicer fields from the
    // index (refresh_summary runs on artifact trash and restore).
    revisions::trash_file(&v.state, &v.actor, c, file_id(&revision))
        .await
        .expect("trash revision");
    assert!(search(&v, "prusaslicer").await.is_empty());
    assert!(search(&v, "rev1").await.is_empty());
    assert_eq!(search(&v, "bracket").await, [c]);
    revisions::restore_file(&v.state, &v.actor, c, file_id(&revision))
        .await
        .expect("restore revision");
    assert_eq!(search(&v, "prusaslicer").await, [c]);
    v.finish().await;
}

async fn search_follows_renames_tag_changes_trash_and_purge(engine: Engine) {
    let Some(v) = TestVault::new(engine).await else {
        return;
    };
    let a = v
        .new_model("voron_panel.stl", box_stl(10.0, 10.0, 10.0))
        .await;
    let b = v.new_model("benchy.stl", box_stl(11.0, 10.0, 10.0)).await;
    let c = v.new_model("clip.stl", box_stl(12.0, 10.0, 10.0)).await;

    // Model rename: the old name words stop matching (the filename still has
    // "panel"), the new ones match.
    rename(&v, a, "Annex Skirt", None).await;
    assert_eq!(search(&v, "annex").await, [a]);
    assert_eq!(search(&v, "panel").await, [a], "filename kept");
    let stale: Vec<i32> = search(&v, "voron_panel annex").await;
    assert_eq!(stale, [a], "filename words still index");
    rename(&v, b, "Hull", Some("")).await;
    assert_eq!(search(&v, "benchy hull").await, [b]);

    // Tags set through update_model.
    models::update_model(
        &v.state,
        &v.actor,
        c,
        UpdateModelParams {
            tags: Some(vec!["Boats".into(), "Calibration".into()]),
            ..Default::default()
        },
    )
    .await
    .expect("set tags");
    assert_eq!(search(&v, "boats").await, [c]);

    // Attach and detach in bulk.
    let printed = tags::create_tag(&v.state, &v.actor, "Printed parts")
        .await
        .expect("create tag");
    tags::attach_tags(&v.state, &v.actor, &[a, b, c], &[printed.id])
        .await
        .expect("attach");
    assert_eq!(search(&v, "printed").await, sorted(vec![a, b, c]));
    tags::detach_tags(&v.state, &v.actor, &[b, c], &[printed.id])
        .await
        .expect("detach");
    assert_eq!(search(&v, "printed").await, [a]);

    // Rename, merge and delete tags.
    let boats = tag_id(&v, "Boats").await;
    tags::rename_tag(&v.state, &v.actor, boats, "Ships")
        .await
        .expect("rename tag");
    assert!(search(&v, "boats").await.is_empty());
    assert_eq!(search(&v, "ships").await, [c]);
    let calibration = tag_id(&v, "Calibration").await;
    tags::merge_tag(&v.state, &v.actor, calibration, printed.id)
        .await
        .expect("merge tag");
    assert!(search(&v, "calibration").await.is_empty());
    assert_eq!(search(&v, "printed parts").await, sorted(vec![a, c]));
    tags::delete_tag(&v.state, &v.actor, printed.id)
        .await
        .expect("delete tag");
    assert!(search(&v, "printed").await.is_empty());
    assert_eq!(search(&v, "ships").await, [c], "other tags stay");

    // Trash: gone from the live browse, back intact on restore.
    models::trash_model(&v.state, &v.actor, a)
        .await
        .expect("trash");
    assert!(search(&v, "annex").await.is_empty());
    models::restore_model(&v.state, &v.actor, a)
        .await
        .expect("restore");
    assert_eq!(search(&v, "annex").await, [a]);

    // Purge: the index row goes with the model.
    models::trash_model(&v.state, &v.actor, a)
        .await
        .expect("trash");
    assert_eq!(index_rows(&v, a).await, 1);
    models::purge_model(&v.state, &v.actor, a)
        .await
        .expect("purge");
    assert_eq!(index_rows(&v, a).await, 0);
    assert!(search(&v, "annex").await.is_empty());
    assert_eq!(index_rows(&v, c).await, 1, "other rows stay");
    v.finish().await;
}

async fn search_composes_with_filters_and_cursor_pagination(engine: Engine) {
    let Some(v) = TestVault::new(engine).await else {
        return;
    };
    let parent = collections::create_collection(
        &v.state,
        &v.actor,
        CreateCollectionParams {
            name: "Drivetrain".into(),
            parent_id: None,
        },
    )
    .await
    .expect("collection")
    .id;
    let child = collections::create_collection(
        &v.state,
        &v.actor,
        CreateCollectionParams {
            name: "Spares".into(),
            parent_id: Some(parent),
        },
    )
    .await
    .expect("sub-collection")
    .id;

    // 14 gears: every third in `parent`, every third in `child`, the rest at
    // the root; odd ones tagged "metal". Plus non-matching pulleys.
    let mut gears = Vec::new();
    let mut in_parent_tree = Vec::new();
    let mut metal = Vec::new();
    for i in 0..14u8 {
        let collection_id = match i % 3 {
            0 => Some(parent),
            1 => Some(child),
            _ => None,
        };
        let tag_list: &[&str] = if i % 2 == 1 { &["Metal"] } else { &[] };
        let name = if i == 13 {
            "Gearbox housing".to_owned()
        } else {
            format!("Gear {i:02}")
        };
        let outcome = v
            .ingest(
                IngestTarget::NewModel {
                    name: Some(name),
                    collection_id,
                },
                tag_list,
                &format!("g{i}.stl"),
                box_stl(10.0 + f32::from(i), 5.0, 5.0),
            )
            .await
            .expect("upload gear");
        let model_id = created_model(&outcome);
        gears.push(model_id);
        if collection_id.is_some() {
            in_parent_tree.push(model_id);
        }
        if i % 2 == 1 {
            metal.push(model_id);
        }
    }
    let mut pulleys = Vec::new();
    for i in 0..3u8 {
        let outcome = v
            .ingest(
                IngestTarget::NewModel {
                    name: Some(format!("Pulley {i}")),
                    collection_id: Some(parent),
                },
                &["Metal"],
                &format!("p{i}.stl"),
                box_stl(5.0, 5.0, 10.0 + f32::from(i)),
            )
            .await
            .expect("upload pulley");
        pulleys.push(created_model(&outcome));
    }
    // Two gears go to the trash: never in the live browse.
    for trashed in [gears[0], gears[5]] {
        models::trash_model(&v.state, &v.actor, trashed)
            .await
            .expect("trash");
    }
    let live = |ids: &[i32]| -> Vec<i32> {
        sorted(
            ids.iter()
                .copied()
                .filter(|id| *id != gears[0] && *id != gears[5])
                .collect(),
        )
    };
    let metal_id = tag_id(&v, "Metal").await;

    let cases: Vec<(ListModelsParams, Vec<i32>)> = vec![
        (
            ListModelsParams {
                q: Some("gear".into()),
                ..Default::default()
            },
            live(&gears),
        ),
        (
            ListModelsParams {
                q: Some("gear".into()),
                collection_id: Some(parent),
                ..Default::default()
            },
            live(&in_parent_tree),
        ),
        (
            ListModelsParams {
                q: Some("gear".into()),
                collection_id: Some(parent),
                direct: true,
                ..Default::default()
            },
            live(
                &gears
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(i, _)| i % 3 == 0)
                    .map(|(_, id)| id)
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            ListModelsParams {
                q: Some("GEAR".into()),
                tags: vec![metal_id],
                ..Default::default()
            },
            live(&metal),
        ),
        (
            ListModelsParams {
                q: Some("gearbox".into()),
                ..Default::default()
            },
            vec![gears[13]],
        ),
        (
            ListModelsParams {
                q: Some("metal pulley".into()),
                collection_id: Some(parent),
                tags: vec![metal_id],
                ..Default::default()
            },
            sorted(pulleys),
        ),
    ];
    for (base, expected) in cases {
        for (sort, order) in [
            (ModelSort::Name, SortOrder::Asc),
            (ModelSort::Name, SortOrder::Desc),
            (ModelSort::Created, SortOrder::Desc),
            (ModelSort::Size, SortOrder::Asc),
            (ModelSort::PrintTime, SortOrder::Desc),
        ] {
            let params = ListModelsParams {
                sort,
                order: Some(order),
                limit: Some(3),
                ..base.clone()
            };
            let paged = browse_all(&v, params.clone()).await;
            let distinct: HashSet<i32> = paged.iter().copied().collect();
            assert_eq!(
                distinct.len(),
                paged.len(),
                "no duplicates across pages for {params:?}"
            );
            assert_eq!(
                sorted(paged.clone()),
                expected,
                "all matches for {params:?}"
            );
            let one_page = browse_all(
                &v,
                ListModelsParams {
                    limit: Some(200),
                    ..params.clone()
                },
            )
            .await;
            assert_eq!(paged, one_page, "pages in the same order as one page");
        }
    }
    v.finish().await;
}

async fn hostile_search_text_never_errors(engine: Engine) {
    let Some(v) = TestVault::new(engine).await else {
        return;
    };
    let a = v
        .new_model("Voron_Cube.stl", box_stl(10.0, 10.0, 10.0))
        .await;
    let b = v
        .new_model("Ünïcode 日本語.stl", box_stl(11.0, 10.0, 10.0))
        .await;
    let all = sorted(vec![a, b]);

    // Only punctuation and operators: no words, so no filter at all.
    for q in [
        "",
        "   ",
        "\"",
        "*",
        "'",
        ":*",
        "\\",
        "\"\"",
        "''",
        "&",
        "|",
        "!",
        "()",
        "-",
        "^",
        "%",
        "_",
        "--",
        ";",
        "\0",
        "\"*\"",
        "( ) & | ! :* <-> <=>",
    ] {
        assert_eq!(search(&v, q).await, all, "no words in {q:?}: no filter");
    }
    // Operators of either engine are plain words (ANDed prefixes): no error,
    // no syntax, just (usually) no match.
    for q in [
        "AND OR NOT",
        "voron AND",
        "voron OR benchy",
        "NOT voron",
        "NEAR(voron cube)",
        "body:voron",
        "model_id:1",
        "{body}: voron",
        "vor:* | zz",
        "vor:*A",
        "!voron",
        "voron & !cube",
        "'voron' <-> 'cube'",
        "voron\\",
        "vor\"on",
        "\"voron\"*",
        "x'); DROP TABLE models; --",
        "🚀 voron",
        "½ ² ⅷ",
        "İstanbul ß ǅ",
        "\u{301}e\u{301}",
        "日本",
        "ünï",
        "ÜNÏCODE",
    ] {
        browse::list_models(
            &v.state,
            &v.actor,
            &ListModelsParams {
                q: Some(q.to_owned()),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|err| panic!("search {q:?} failed: {err}"));
    }
    // Stray syntax around real words does not stop them matching.
    for q in [
        "\"voron\"*",
        "vor*",
        "-vor",
        "(vor)",
        "vor:*",
        "'vor'",
        "voron\\",
        "VORON!",
    ] {
        assert_eq!(search(&v, q).await, [a], "{q:?}");
    }
    assert_eq!(search(&v, "ünï").await, [b]);
    assert_eq!(search(&v, "ÜNÏCODE").await, [b]);
    assert_eq!(search(&v, "日本語").await, [b]);
    // A very long text is bounded, not an error.
    let long = "voron ".repeat(2_000) + &"x".repeat(10_000);
    browse::list_models(
        &v.state,
        &v.actor,
        &ListModelsParams {
            q: Some(long),
            ..Default::default()
        },
    )
    .await
    .expect("long search");
    v.finish().await;
}

async fn migration_indexes_models_that_existed_before_it(engine: Engine) {
    let Some(test) = TestDb::empty(engine).await else {
        return;
    };
    // The schema before full-text search, with one model, a tag, a live and
    // a trashed file (with slicer metadata).
    Migrator::up(&test.db, Some(2)).await.expect("migrate to 2");
    for sql in [
        "INSERT INTO models (id, name, description, identity_hash, identity_kind, created_at, updated_at) \
         VALUES (41, 'Voron Cube', 'Calibration print', 'h41', 'mesh', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO models (id, name, description, identity_hash, identity_kind, created_at, updated_at, deleted_at) \
         VALUES (42, 'Old Thing', '', 'h42', 'mesh', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO tags (id, name, name_key, created_at) VALUES (7, 'Boats', 'boats', CURRENT_TIMESTAMP)",
        "INSERT INTO model_tags (model_id, tag_id) VALUES (41, 7)",
        "INSERT INTO blobs (id, sha256, size_bytes, storage_key, ref_count, created_at) \
         VALUES (1, 'aa', 1, 'blobs/aa', 2, CURRENT_TIMESTAMP)",
        "INSERT INTO files (id, model_id, blob_id, version, kind, original_filename, size_bytes, sha256, created_at) \
         VALUES (1, 41, 1, 1, 'gcode', 'cube_print.gcode', 1, 'aa', CURRENT_TIMESTAMP)",
        "INSERT INTO files (id, model_id, blob_id, version, kind, original_filename, size_bytes, sha256, created_at, deleted_at) \
         VALUES (2, 41, 1, 2, 'stl', 'forgotten.stl', 1, 'aa', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO file_metadata (file_id, slicer_name, printer_model, material_type, material_brand, created_at) \
         VALUES (1, 'OrcaSlicer', 'Bambu Lab X1 Carbon', 'PETG', 'Polymaker', CURRENT_TIMESTAMP)",
    ] {
        test.db.execute_unprepared(sql).await.expect(sql);
    }
    let v = TestVault::from_db(test).await;
    for q in [
        "voron",
        "calib",
        "boats",
        "cube_print",
        "orca",
        "x1 carbon",
        "petg",
        "polymaker",
    ] {
        assert_eq!(search(&v, q).await, [41], "{q}");
    }
    assert!(search(&v, "forgotten").await.is_empty(), "trashed file");
    assert!(search(&v, "old").await.is_empty(), "trashed model");
    assert_eq!(
        index_rows(&v, 42).await,
        1,
        "trashed models are indexed too"
    );
    v.finish().await;
}

/// Sorting by name pages through every model exactly once, in the order the
/// database itself sorts (SQLite folds ASCII case only, PostgreSQL all of
/// Unicode), even when names differ only in case or start with non-ASCII
/// capitals — the cursor must carry the database's own sort key.
async fn name_sort_pages_through_mixed_case_and_non_ascii_names_once(engine: Engine) {
    let Some(v) = TestVault::new(engine).await else {
        return;
    };
    let names = [
        "Ärger bracket",
        "ärger bracket",
        "Zahnrad",
        "apfel",
        "Apfel",
        "Öse",
        "öse",
        "Élan clip",
        "bolt",
        "BOLT",
        "Übergang",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let id = v
            .new_model(&format!("part{i}.stl"), box_stl(10.0 + i as f32, 7.0, 3.0))
            .await;
        rename(&v, id, name, None).await;
        ids.push(id);
    }
    for order in [SortOrder::Asc, SortOrder::Desc] {
        let everything = browse_all(
            &v,
            ListModelsParams {
                sort: ModelSort::Name,
                order: Some(order),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await;
        let paged = browse_all(
            &v,
            ListModelsParams {
                sort: ModelSort::Name,
                order: Some(order),
                limit: Some(2),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            everything.len(),
            names.len(),
            "{order:?}: one page sees all"
        );
        assert_eq!(
            paged, everything,
            "{order:?}: pages of 2 give the same order, each model once"
        );
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        let mut seen = paged.clone();
        seen.sort_unstable();
        assert_eq!(seen, sorted, "{order:?}: every model once");
    }
    v.finish().await;
}
