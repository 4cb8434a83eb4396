//! `server seed`: fills a vault with synthetic but valid benchmark models (never real prints), fast, in batched transactions.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Cursor, Write as _};
use std::time::Instant;

use anyhow::Context;
use app::backend::config::Settings;
use app::backend::db::entities::{blobs, file_metadata, files, model_tags, models};
use app::backend::formats::Limits;
use app::backend::formats::gcode::read_gcode_bytes;
use app::backend::formats::mesh_reader::{MeshKind, read_mesh_from};
use app::backend::ingest::metadata_columns;
use app::backend::services::{blobs as blob_service, collections, search_index, tags};
use app::backend::state::AppState;
use app::backend::storage::PUT_BYTES_LIMIT;
use app::views::models::Outcome;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

/// Models written per transaction.
const BATCH_MODELS: usize = 1_000;
/// Progress is reported every this many models.
const PROGRESS_EVERY: u64 = 10_000;
/// Bound parameters per INSERT statement (well under SQLite's and PostgreSQL's limits).
const MAX_PARAMS_PER_INSERT: usize = 30_000;
/// Distinct STL blobs the seeded mesh artifacts share.
pub const POOL_MESHES: usize = 40;
/// Distinct G-code blobs the seeded revisions share.
pub const POOL_GCODES: usize = 24;
/// Percent of models that get a G-code revision.
const GCODE_PERCENT: u64 = 40;
/// The pool is the same for every `--seed`, so reruns reuse the stored blobs.
const POOL_SEED: u64 = 0x5EED_B10B;
/// Seeded models are created in the two years before this instant (fixed, so
/// the data is deterministic).
const CREATED_UNTIL: &str = "2026-11-01T00:00:00Z";
/// Length of the creation window, in seconds (two years).
const CREATED_SPAN_S: u64 = 2 * 365 * 24 * 3600;

const USAGE: &str = "usage: server seed --models N [--seed S]

Adds N synthetic models to the vault named by the VAULT_* settings (the
database is migrated first). They are benchmark data, not real prints: names
and descriptions come from word lists, identity_kind is \"seed\", and all
artifacts share a pool of 64 tiny real STL/G-code files. The same --seed
(default 1) gives the same models.";

/// What to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// How many models to add.
    pub models: u64,
    /// PRNG seed; the same seed gives the same models.
    pub seed: u64,
}

/// Parses `--models N [--seed S]`.
pub fn parse_args(args: &[String]) -> Result<SeedOptions, String> {
    let mut models = None;
    let mut seed = 1u64;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |flag: &str| {
            iter.next()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("{flag} wants a whole number"))
        };
        match arg.as_str() {
            "--models" | "-n" => models = Some(value("--models")?),
            "--seed" => seed = value("--seed")?,
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    match models {
        Some(n) if (1..=10_000_000).contains(&n) => Ok(SeedOptions { models: n, seed }),
        Some(_) => Err("--models must be between 1 and 10000000".into()),
        None => Err("--models N is required".into()),
    }
}

/// Runs `server seed …` and returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    if matches!(args.first().map(String::as_str), Some("-h" | "--help")) {
        eprintln!("{USAGE}");
        return 0;
    }
    let options = match parse_args(args) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("printstash seed: {err}\n\n{USAGE}");
            return 2;
        }
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("printstash seed: cannot start: {err}");
            return 2;
        }
    };
    crate::telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("printstash seed: cannot start the runtime: {err}");
            return 1;
        }
    };
    let outcome = runtime.block_on(async {
        let state = crate::boot::build_state(settings)
            .await
            .context("booting PrintStash")?;
        seed(&state, options).await
    });
    match outcome {
        Ok(summary) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{summary}").is_err() {
                return 1;
            }
            0
        }
        Err(err) => {
            eprintln!("printstash seed: {err:#}");
            1
        }
    }
}

/// What a seed run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedSummary {
    /// Models added.
    pub models: u64,
    /// G-code revisions added (one per model that has one).
    pub gcode_revisions: u64,
    /// Model–tag links added.
    pub tag_links: u64,
    /// Collections in the seeded tree.
    pub collections: usize,
    /// Tags in the seeded vocabulary.
    pub tags: usize,
    /// Distinct blobs the seeded files share.
    pub blobs: usize,
    /// Wall-clock time of the whole run (after boot), in seconds.
    pub elapsed_s: f64,
    /// Part of `elapsed_s` spent refreshing the search index, in seconds.
    pub index_s: f64,
}

impl std::fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeded {} synthetic models ({} G-code revisions, {} tag links; {} collections, {} tags, {} shared blobs) in {:.2} s ({:.0} models/s, search index {:.2} s)",
            self.models,
            self.gcode_revisions,
            self.tag_links,
            self.collections,
            self.tags,
            self.blobs,
            self.elapsed_s,
            self.models as f64 / self.elapsed_s.max(1e-9),
            self.index_s,
        )
    }
}

/// Adds `options.models` synthetic models to the vault behind `state`.
///
/// Every seeded model has `identity_kind = "seed"` and an `identity_hash`
/// that is the SHA-256 of `printstash-seed:<seed>:<index>`, so seeded rows
/// never collide with real uploads and are easy to find. The invariants of a
/// real ingest hold: each model has one STL artifact (version 1) and about
/// 40 % also a recommended G-code revision (version 2) with slicer metadata;
/// every `files` row references a `blobs` row whose object really exists in
/// storage, with `ref_count` equal to the number of referencing files. To stay
/// fast, the files share a pool of [`POOL_MESHES`] + [`POOL_GCODES`] tiny real
/// blobs, stored once through the storage API and read by the real format
/// readers (so geometry and slicer metadata match the bytes). Each batch is
/// one write transaction that also refreshes the search index of its models,
/// so a crash part-way leaves only complete, searchable models behind.
///
/// The output depends only on `--seed` and on how many seeded models the vault
/// already holds (a second run appends new models instead of colliding).
pub async fn seed(state: &AppState, options: SeedOptions) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let pool = store_pool(state).await.context("storing the blob pool")?;
    let collection_ids = ensure_collections(state)
        .await
        .context("creating collections")?;
    let tag_ids = ensure_tags(state).await.context("creating tags")?;
    let first_index = models::Entity::find()
        .filter(models::Column::IdentityKind.eq("seed"))
        .count(&state.db)
        .await?;
    let admin = state.system.user_id;
    let until = DateTime::parse_from_rfc3339(CREATED_UNTIL)
        .context("the seed window end")?
        .with_timezone(&Utc);
    let vocab = Vocabulary {
        collection_ids: &collection_ids,
        tag_ids: &tag_ids,
        pool: &pool,
        until,
    };

    let mut summary = SeedSummary {
        models: 0,
        gcode_revisions: 0,
        tag_links: 0,
        collections: collection_ids.len(),
        tags: tag_ids.len(),
        blobs: pool.meshes.len() + pool.gcodes.len(),
        elapsed_s: 0.0,
        index_s: 0.0,
    };
    let mut next_report = PROGRESS_EVERY;
    let mut index = 0u64;
    while index < options.models {
        let n = Ord::min(options.models - index, BATCH_MODELS as u64);
        let batch: Vec<SeedModel> = (index..index + n)
            .map(|i| SeedModel::generate(options.seed, first_index + i, &vocab))
            .collect();
        let written = write_batch(state, &batch, &pool, admin)
            .await
            .with_context(|| format!("writing models {}..{}", index + 1, index + n))?;
        summary.gcode_revisions += written.gcode_revisions;
        summary.tag_links += written.tag_links;
        summary.index_s += written.index_s;
        index += n;
        summary.models = index;
        if index >= next_report || index == options.models {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "seed: {index}/{} models ({:.0}/s)",
                options.models,
                index as f64 / secs.max(1e-9)
            );
            next_report = (index / PROGRESS_EVERY + 1) * PROGRESS_EVERY;
        }
    }
    // A bulk load leaves PostgreSQL's planner statistics describing the empty
    // tables until autovacuum gets round to them; refresh them now so the
    // first browse after seeding is planned for the real row counts.
    if state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        state
            .db
            .execute_unprepared("ANALYZE")
            .await
            .context("refreshing planner statistics (ANALYZE)")?;
    }
    summary.elapsed_s = started.elapsed().as_secs_f64();
    Ok(summary)
}

// ---------------------------------------------------------------------------
// Deterministic randomness

/// SplitMix64: tiny, fast, and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    /// An independent stream for `(seed, stream)`.
    fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Self(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next_u64();
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(Ord::max(n, 1))) >> 64) as u64
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

// ---------------------------------------------------------------------------
// Word lists

const SYSTEMS: &[&str] = &[
    "Voron",
    "Prusa",
    "Bambu",
    "Ender",
    "Gridfinity",
    "IKEA",
    "Raspberry Pi",
    "Arduino",
    "Dyson",
    "GoPro",
    "Nintendo Switch",
    "Steam Deck",
    "MagSafe",
    "Milwaukee",
    "DeWalt",
    "Sonoff",
    "Anker",
    "Logitech",
    "Vorwerk",
    "Sony",
];
const PARTS: &[&str] = &[
    "toolhead",
    "hotend",
    "extruder",
    "spool",
    "filament",
    "cable",
    "camera",
    "fan",
    "bed",
    "door",
    "drawer",
    "shelf",
    "wall",
    "desk",
    "battery",
    "LED strip",
    "handle",
    "lid",
    "controller",
    "headphone",
    "charger",
    "router",
    "monitor",
    "sensor",
    "nozzle",
];
const KINDS: &[&str] = &[
    "mount",
    "holder",
    "duct",
    "clip",
    "bracket",
    "cover",
    "adapter",
    "guide",
    "hinge",
    "knob",
    "stand",
    "case",
    "box",
    "hook",
    "spacer",
    "organizer",
    "insert",
    "tray",
    "shroud",
    "enclosure",
];
const ADJECTIVES: &[&str] = &[
    "Parametric",
    "Low-poly",
    "Articulated",
    "Print-in-place",
    "Modular",
    "Stackable",
    "Hexagonal",
    "Minimal",
    "Heavy-duty",
    "Compact",
    "Twisted",
    "Honeycomb",
    "Voronoi",
    "Geometric",
    "Snap-fit",
    "Collapsible",
];
const OBJECTS: &[&str] = &[
    "vase",
    "planter",
    "dragon",
    "cable chain",
    "pencil cup",
    "headphone stand",
    "phone stand",
    "coaster",
    "lamp shade",
    "dice tower",
    "fidget spinner",
    "gear set",
    "storage box",
    "keychain",
    "benchy",
    "whistle",
    "bookend",
    "planetary gear",
    "skull",
    "octopus",
    "desk organizer",
    "soap dish",
    "plant pot",
    "watch stand",
];
const DESCRIPTION_PARTS: &[&str] = &[
    "Prints without supports on a textured sheet.",
    "Remix of a community design with thicker walls and rounded edges.",
    "Snap fit, no screws needed; tolerances tuned for a 0.4 mm nozzle.",
    "Use at least three perimeters if it has to carry weight.",
    "Tested with PETG and ASA; PLA softens in a hot car.",
    "Needs two M3x8 screws and heat-set inserts.",
    "Scale to 102 % if your printer over-extrudes.",
    "Print flat side down, brim recommended for ABS.",
    "The STEP file is in the original upload; this is the exported mesh.",
    "Works as a gift; prints in about an hour at draft settings.",
    "Fits the stock part one to one, mounting holes unchanged.",
    "Vase mode friendly: a single wall and no top layers.",
];
const REVISION_LABELS: &[&str] = &[
    "draft",
    "final",
    "fit test",
    "fast profile",
    "fine detail",
    "strong walls",
    "0.6 nozzle",
];

/// The collection tree: `/`-separated paths, parents before children (30 nodes).
const COLLECTIONS: &[&str] = &[
    "Printer parts",
    "Printer parts/Voron",
    "Printer parts/Voron/Stealthburner",
    "Printer parts/Voron/Skirts",
    "Printer parts/Prusa",
    "Printer parts/Prusa/MK4",
    "Printer parts/Prusa/MINI",
    "Printer parts/Bambu Lab",
    "Printer parts/Ender",
    "Household",
    "Household/Kitchen",
    "Household/Bathroom",
    "Household/Garden",
    "Household/Storage",
    "Workshop",
    "Workshop/Tool holders",
    "Workshop/Jigs",
    "Workshop/Gridfinity",
    "Electronics",
    "Electronics/Enclosures",
    "Electronics/Cable management",
    "Toys and games",
    "Toys and games/Miniatures",
    "Toys and games/Puzzles",
    "Toys and games/Board game inserts",
    "Art",
    "Art/Vases",
    "Art/Lithophanes",
    "Cosplay",
    "Calibration",
];

/// The tag vocabulary (50 tags).
const TAGS: &[&str] = &[
    "PLA",
    "PETG",
    "ASA",
    "ABS",
    "TPU",
    "Nylon",
    "functional",
    "decorative",
    "gift",
    "print-in-place",
    "no supports",
    "supports needed",
    "multicolor",
    "vase mode",
    "articulated",
    "remix",
    "Gridfinity",
    "Voron",
    "Prusa",
    "Bambu",
    "Ender",
    "upgrade",
    "spare part",
    "kitchen",
    "garden",
    "cosplay",
    "miniature",
    "terrain",
    "tabletop",
    "calibration",
    "benchy",
    "tool",
    "organizer",
    "mount",
    "clip",
    "hook",
    "bracket",
    "enclosure",
    "cable",
    "fan",
    "LED",
    "magnets",
    "screws",
    "threaded",
    "parametric",
    "OpenSCAD",
    "Fusion 360",
    "tested",
    "wip",
    "favourite",
];

// ---------------------------------------------------------------------------
// The blob pool

/// One stored pool blob and what the readers learned from it.
struct PoolBlob {
    blob_id: i32,
    sha256: String,
    size_bytes: i64,
    /// Canonical mesh hash (STL only).
    mesh_sha256: Option<String>,
    /// The metadata row every file of this blob gets (`file_id`/`created_at` unset).
    metadata: file_metadata::ActiveModel,
    /// Estimated print time (G-code only).
    print_time_s: Option<i64>,
    /// Layer height, material and printer for the G-code filename.
    gcode_name_parts: Option<(f64, String, String)>,
}

struct Pool {
    meshes: Vec<PoolBlob>,
    gcodes: Vec<PoolBlob>,
}

/// A closed box or hexagonal prism as binary STL; distinct per `i`.
pub fn pool_stl(i: usize) -> Vec<u8> {
    let f = i as f32;
    let (w, d, h) = (8.0 + f * 1.5, 6.0 + (f * 0.7) % 9.0, 4.0 + (f * 1.3) % 11.0);
    let triangles = if i.is_multiple_of(2) {
        box_triangles(w, d, h)
    } else {
        prism_triangles(w / 2.0, h, 6)
    };
    binary_stl(&triangles)
}

type Tri = [[f32; 3]; 3];

fn box_triangles(w: f32, d: f32, h: f32) -> Vec<Tri> {
    let v = |x: f32, y: f32, z: f32| [x * w, y * d, z * h];
    let quads = [
        [v(0., 0., 0.), v(0., 1., 0.), v(1., 1., 0.), v(1., 0., 0.)],
        [v(0., 0., 1.), v(1., 0., 1.), v(1., 1., 1.), v(0., 1., 1.)],
        [v(0., 0., 0.), v(1., 0., 0.), v(1., 0., 1.), v(0., 0., 1.)],
        [v(1., 0., 0.), v(1., 1., 0.), v(1., 1., 1.), v(1., 0., 1.)],
        [v(1., 1., 0.), v(0., 1., 0.), v(0., 1., 1.), v(1., 1., 1.)],
        [v(0., 1., 0.), v(0., 0., 0.), v(0., 0., 1.), v(0., 1., 1.)],
    ];
    quads
        .iter()
        .flat_map(|[a, b, c, e]| [[*a, *b, *c], [*a, *c, *e]])
        .collect()
}

fn prism_triangles(r: f32, h: f32, sides: usize) -> Vec<Tri> {
    let ring: Vec<[f32; 2]> = (0..sides)
        .map(|k| {
            let a = k as f32 * std::f32::consts::TAU / sides as f32;
            [r * a.cos(), r * a.sin()]
        })
        .collect();
    let mut out = Vec::with_capacity(sides * 4);
    for k in 0..sides {
        let [x0, y0] = ring[k];
        let [x1, y1] = ring[(k + 1) % sides];
        out.push([[0., 0., 0.], [x1, y1, 0.], [x0, y0, 0.]]);
        out.push([[0., 0., h], [x0, y0, h], [x1, y1, h]]);
        out.push([[x0, y0, 0.], [x1, y1, 0.], [x1, y1, h]]);
        out.push([[x0, y0, 0.], [x1, y1, h], [x0, y0, h]]);
    }
    out
}

fn binary_stl(triangles: &[Tri]) -> Vec<u8> {
    let mut out = Vec::with_capacity(84 + triangles.len() * 50);
    let mut header = [0u8; 80];
    let label = b"PrintStash seed mesh";
    header[..label.len()].copy_from_slice(label);
    out.extend_from_slice(&header);
    out.extend_from_slice(&(triangles.len() as u32).to_le_bytes());
    for tri in triangles {
        out.extend_from_slice(&[0u8; 12]);
        for vertex in tri {
            for c in vertex {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

fn duration_text(mut s: u64) -> String {
    let (d, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    s %= 60;
    let mut out = String::new();
    for (value, unit) in [(d, "d"), (h, "h"), (m, "m")] {
        if value > 0 || !out.is_empty() {
            let _ = write!(out, "{value}{unit} ");
        }
    }
    let _ = write!(out, "{s}s");
    out
}

/// A small G-code file in PrusaSlicer or OrcaSlicer dialect; distinct per `i`.
pub fn pool_gcode(i: usize) -> Vec<u8> {
    let mut rng = Rng::new(POOL_SEED, 1_000 + i as u64);
    let (material, nozzle_c, bed_c) = *rng.pick(&[
        ("PLA", 215, 60),
        ("PETG", 240, 80),
        ("ASA", 260, 100),
        ("ABS", 255, 100),
        ("TPU", 230, 50),
        ("PLA", 210, 55),
    ]);
    let brand = *rng.pick(&[
        "Prusament",
        "Polymaker",
        "eSUN",
        "Bambu Lab",
        "Generic",
        "Sunlu",
    ]);
    let layer = *rng.pick(&[0.1, 0.15, 0.2, 0.2, 0.25, 0.28]);
    let time_s = 600 + rng.below(20 * 3600);
    let grams = time_s as f64 / 300.0 + 1.0;
    let length_mm = grams * 330.0;
    let infill = *rng.pick(&[10, 15, 20, 25, 40]);
    let walls = 2 + rng.below(3);
    let mut text = String::new();
    let moves = |text: &mut String, rng: &mut Rng| {
        text.push_str("G28\nG90\nM83\n");
        for k in 0..40 {
            let _ = writeln!(
                text,
                "G1 X{}.{} Y{}.{} E0.0{} F1800",
                20 + rng.below(180),
                rng.below(10),
                20 + rng.below(180),
                rng.below(10),
                1 + k % 9
            );
        }
        text.push_str("M104 S0\nM140 S0\nM84\n");
    };
    if i % 3 == 2 {
        let version = *rng.pick(&["2.1.1", "2.2.0", "2.3.0"]);
        let printer = *rng.pick(&[
            "Bambu Lab X1 Carbon",
            "Bambu Lab P1S",
            "Bambu Lab A1 mini",
            "Voron 2.4 350",
            "Creality Ender-3 V3",
        ]);
        let t = duration_text(time_s);
        let _ = write!(
            text,
            "; HEADER_BLOCK_START\n; generated by OrcaSlicer {version} on 2025-06-0{} at 10:00:00\n\
             ; model printing time: {t}; total estimated time: {t}\n; total layer number: {}\n\
             ; total filament length [mm] : {length_mm:.2}\n; total filament weight [g] : {grams:.2}\n\
             ; HEADER_BLOCK_END\n\n; CONFIG_BLOCK_START\n; filament_type = {material}\n\
             ; filament_vendor = \"{brand}\"\n; layer_height = {layer}\n; initial_layer_print_height = 0.2\n\
             ; nozzle_diameter = 0.4\n; nozzle_temperature = {nozzle_c}\n; printer_model = {printer}\n\
             ; sparse_infill_density = {infill}%\n; wall_loops = {walls}\n; CONFIG_BLOCK_END\n\n\
             ; EXECUTABLE_BLOCK_START\n",
            1 + i % 9,
            Ord::max(time_s / 30, 10),
        );
        moves(&mut text, &mut rng);
        text.push_str("; EXECUTABLE_BLOCK_END\n");
    } else {
        let version = *rng.pick(&["2.7.4", "2.8.1", "2.9.0"]);
        let printer = *rng.pick(&["MK4", "MK3S", "MINI", "XL", "COREONE"]);
        let _ = write!(
            text,
            "; generated by PrusaSlicer {version} on 2025-05-1{} at 09:30:00 UTC\n;\n\n",
            i % 10
        );
        moves(&mut text, &mut rng);
        let _ = write!(
            text,
            "; filament used [mm] = {length_mm:.2}\n; filament used [g] = {grams:.2}\n\
             ; filament cost = {:.2}\n; estimated printing time (normal mode) = {}\n\
             ; prusaslicer_config = begin\n; bed_temperature = {bed_c}\n; filament_type = {material}\n\
             ; filament_vendor = {brand}\n; fill_density = {infill}%\n; first_layer_height = 0.2\n\
             ; layer_height = {layer}\n; nozzle_diameter = 0.4\n; perimeters = {walls}\n\
             ; printer_model = {printer}\n; support_material = 0\n; temperature = {nozzle_c}\n\
             ; prusaslicer_config = end\n",
            grams * 0.025,
            duration_text(time_s),
        );
    }
    text.into_bytes()
}

/// Stages and stores one pool blob the way ingest does: blob row (count 0)
/// first, then the bytes, so a crash leaves only a collectable orphan.
async fn store_blob(state: &AppState, bytes: Vec<u8>) -> anyhow::Result<(i32, String, i64)> {
    let staged = state
        .storage
        .staging()
        .stage_bytes(Bytes::from(bytes), PUT_BYTES_LIMIT)
        .await?;
    let sha256 = staged.sha256().to_string();
    let size_bytes = i64::try_from(staged.size_bytes()).unwrap_or(i64::MAX);
    let key = staged.blob_key();
    let txn = state.begin_write().await?;
    let blob = blob_service::find_or_create(&*txn, &sha256, size_bytes, key.as_str()).await?;
    txn.commit().await?;
    state.storage.put(&key, staged).await?;
    Ok((blob.id, sha256, size_bytes))
}

async fn store_pool(state: &AppState) -> anyhow::Result<Pool> {
    let limits = Limits::default();
    let mut meshes = Vec::with_capacity(POOL_MESHES);
    for i in 0..POOL_MESHES {
        let bytes = pool_stl(i);
        let mesh = read_mesh_from(MeshKind::Stl, Cursor::new(&bytes), &limits)
            .with_context(|| format!("reading seed mesh {i}"))?;
        let geometry = mesh.stats();
        let mesh_sha256 = mesh.canonical_hash();
        let (blob_id, sha256, size_bytes) = store_blob(state, bytes).await?;
        meshes.push(PoolBlob {
            blob_id,
            sha256,
            size_bytes,
            mesh_sha256: Some(mesh_sha256),
            metadata: metadata_columns(None, Some(&geometry), None),
            print_time_s: None,
            gcode_name_parts: None,
        });
    }
    let mut gcodes = Vec::with_capacity(POOL_GCODES);
    for i in 0..POOL_GCODES {
        let bytes = pool_gcode(i);
        let summary =
            read_gcode_bytes(&bytes).with_context(|| format!("reading seed G-code {i}"))?;
        let m = &summary.metadata;
        let (Some(layer), Some(material), Some(printer), Some(time_s)) = (
            m.layer_height_mm,
            m.material_type.clone(),
            m.printer_model.clone(),
            m.estimated_time_s,
        ) else {
            anyhow::bail!("seed G-code {i} lacks layer height, material, printer or print time");
        };
        let metadata = metadata_columns(Some(m), None, Some(&summary.config));
        let (blob_id, sha256, size_bytes) = store_blob(state, bytes).await?;
        gcodes.push(PoolBlob {
            blob_id,
            sha256,
            size_bytes,
            mesh_sha256: None,
            metadata,
            print_time_s: Some(i64::try_from(time_s).unwrap_or(i64::MAX)),
            gcode_name_parts: Some((layer, material, printer)),
        });
    }
    Ok(Pool { meshes, gcodes })
}

async fn ensure_collections(state: &AppState) -> anyhow::Result<Vec<i32>> {
    let mut ids = Vec::with_capacity(COLLECTIONS.len());
    for path in COLLECTIONS {
        ids.push(collections::ensure_path(state, &state.system, None, path).await?);
    }
    Ok(ids)
}

async fn ensure_tags(state: &AppState) -> anyhow::Result<Vec<i32>> {
    let txn = state.begin_write().await?;
    let mut ids = Vec::with_capacity(TAGS.len());
    for name in TAGS {
        ids.push(tags::find_or_create(&*txn, name).await?.id);
    }
    txn.commit().await?;
    Ok(ids)
}

// ---------------------------------------------------------------------------
// Models

/// What a model is generated from.
struct Vocabulary<'a> {
    collection_ids: &'a [i32],
    tag_ids: &'a [i32],
    pool: &'a Pool,
    until: DateTime<Utc>,
}

/// One generated model before it has ids.
struct SeedModel {
    identity_hash: String,
    name: String,
    description: String,
    collection_id: Option<i32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    mesh: usize,
    stl_name: String,
    gcode: Option<SeedRevision>,
    tag_ids: Vec<i32>,
}

/// The one G-code revision a seeded model may carry.
struct SeedRevision {
    /// Index into the G-code pool.
    pool_index: usize,
    filename: String,
    status: Outcome,
    label: Option<String>,
    uploaded_at: DateTime<Utc>,
}

fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

impl SeedModel {
    fn generate(seed: u64, index: u64, v: &Vocabulary<'_>) -> Self {
        let mut rng = Rng::new(seed, index);
        let mut name = match rng.below(10) {
            0..=4 => format!(
                "{} {} {}",
                rng.pick(SYSTEMS),
                rng.pick(PARTS),
                rng.pick(KINDS)
            ),
            5..=7 => format!("{} {}", rng.pick(ADJECTIVES), rng.pick(OBJECTS)),
            _ => format!(
                "{} for {} {}",
                capitalised(rng.pick::<&str>(KINDS)),
                rng.pick(SYSTEMS),
                rng.pick(PARTS)
            ),
        };
        if rng.chance(35) {
            let _ = write!(name, " v{}", 1 + rng.below(5));
        }
        let mut description = String::new();
        for _ in 0..rng.below(4) {
            if !description.is_empty() {
                description.push(' ');
            }
            description.push_str(rng.pick::<&str>(DESCRIPTION_PARTS));
        }
        let collection_id = rng.chance(85).then(|| *rng.pick(v.collection_ids));
        let created_at = v.until
            - chrono::Duration::seconds(i64::try_from(1 + rng.below(CREATED_SPAN_S)).unwrap_or(1));
        let room = (v.until - created_at).num_seconds().clamp(0, 30 * 86_400);
        let updated_at =
            created_at + chrono::Duration::seconds(rng.below(room.unsigned_abs() + 1) as i64);
        let mesh = rng.index(v.pool.meshes.len());
        let base = slug(&name);
        let stl_name = format!("{base}.stl");
        let gcode = rng.chance(GCODE_PERCENT).then(|| {
            let pool_index = rng.index(v.pool.gcodes.len());
            let blob = &v.pool.gcodes[pool_index];
            let (layer, material, printer) =
                blob.gcode_name_parts
                    .clone()
                    .unwrap_or((0.2, "PLA".into(), "printer".into()));
            let minutes = blob.print_time_s.unwrap_or(0) / 60;
            let filename = format!(
                "{base}_{layer}mm_{material}_{}_{}h{}m.gcode",
                slug(&printer),
                minutes / 60,
                minutes % 60
            );
            let status = match rng.below(100) {
                0..=54 => Outcome::KnownGood,
                55..=94 => Outcome::NeedsTest,
                _ => Outcome::Failed,
            };
            let label = rng
                .chance(50)
                .then(|| format!("{material} {layer}mm {}", rng.pick(REVISION_LABELS)));
            let span = Ord::max((updated_at - created_at).num_seconds(), 0).unsigned_abs();
            let at = created_at + chrono::Duration::seconds(rng.below(span + 1) as i64);
            SeedRevision {
                pool_index,
                filename,
                status,
                label,
                uploaded_at: at,
            }
        });
        let mut tag_ids = Vec::new();
        for _ in 0..rng.below(5) {
            let tag = *rng.pick(v.tag_ids);
            if !tag_ids.contains(&tag) {
                tag_ids.push(tag);
            }
        }
        let identity = Sha256::digest(format!("printstash-seed:{seed}:{index}").as_bytes());
        Self {
            identity_hash: identity.iter().map(|b| format!("{b:02x}")).collect(),
            name,
            description,
            collection_id,
            created_at,
            updated_at,
            mesh,
            stl_name,
            gcode,
            tag_ids,
        }
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Inserts `rows` in statements of at most [`MAX_PARAMS_PER_INSERT`] parameters.
async fn insert_chunked<A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    columns: usize,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
{
    let per_statement = (MAX_PARAMS_PER_INSERT / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

struct BatchWritten {
    gcode_revisions: u64,
    tag_links: u64,
    index_s: f64,
}

/// Writes one batch in one write transaction: models, files, metadata, tag
/// links, blob references and the search index rows.
async fn write_batch(
    state: &AppState,
    batch: &[SeedModel],
    pool: &Pool,
    admin: Option<i32>,
) -> anyhow::Result<BatchWritten> {
    let txn = state.begin_write().await?;
    let model_rows: Vec<models::ActiveModel> = batch
        .iter()
        .map(|m| {
            let mesh = &pool.meshes[m.mesh];
            let gcode = m.gcode.as_ref().map(|r| &pool.gcodes[r.pool_index]);
            models::ActiveModel {
                name: Set(m.name.clone()),
                description: Set(m.description.clone()),
                identity_hash: Set(m.identity_hash.clone()),
                identity_kind: Set("seed".to_owned()),
                collection_id: Set(m.collection_id),
                thumbnail_file_id: Set(None),
                total_size_bytes: Set(mesh.size_bytes + gcode.map_or(0, |g| g.size_bytes)),
                print_time_s: Set(gcode.and_then(|g| g.print_time_s)),
                has_gcode: Set(gcode.is_some()),
                created_by: Set(admin),
                created_at: Set(m.created_at),
                updated_at: Set(m.updated_at),
                deleted_at: Set(None),
                deleted_by: Set(None),
                ..Default::default()
            }
        })
        .collect();
    insert_chunked(&*txn, model_rows, 15).await?;
    let ids: HashMap<String, i32> = models::Entity::find()
        .select_only()
        .columns([models::Column::IdentityHash, models::Column::Id])
        .filter(models::Column::IdentityHash.is_in(batch.iter().map(|m| m.identity_hash.clone())))
        .into_tuple::<(String, i32)>()
        .all(&*txn)
        .await?
        .into_iter()
        .collect();
    let model_id = |m: &SeedModel| {
        ids.get(&m.identity_hash).copied().ok_or_else(|| {
            anyhow::anyhow!(
                "seeded model {} was not found after insert",
                m.identity_hash
            )
        })
    };

    let mut file_rows = Vec::with_capacity(batch.len() * 2);
    let mut references: HashMap<i32, i32> = HashMap::new();
    let mut gcode_revisions = 0u64;
    for m in batch {
        let id = model_id(m)?;
        let mesh = &pool.meshes[m.mesh];
        *references.entry(mesh.blob_id).or_default() += 1;
        file_rows.push(files::ActiveModel {
            model_id: Set(id),
            blob_id: Set(mesh.blob_id),
            version: Set(1),
            kind: Set("stl".to_owned()),
            original_filename: Set(m.stl_name.clone()),
            size_bytes: Set(mesh.size_bytes),
            sha256: Set(mesh.sha256.clone()),
            mesh_sha256: Set(mesh.mesh_sha256.clone()),
            revision_label: Set(None),
            revision_status: Set(None),
            revision_notes: Set(String::new()),
            is_recommended: Set(false),
            thumbnail_key: Set(None),
            thumbnail_grid_key: Set(None),
            processing_error: Set(None),
            uploaded_by: Set(admin),
            created_at: Set(m.created_at),
            deleted_at: Set(None),
            deleted_by: Set(None),
            ..Default::default()
        });
        if let Some(SeedRevision {
            pool_index: i,
            filename,
            status,
            label,
            uploaded_at: at,
        }) = &m.gcode
        {
            let gcode = &pool.gcodes[*i];
            *references.entry(gcode.blob_id).or_default() += 1;
            gcode_revisions += 1;
            file_rows.push(files::ActiveModel {
                model_id: Set(id),
                blob_id: Set(gcode.blob_id),
                version: Set(2),
                kind: Set("gcode".to_owned()),
                original_filename: Set(filename.clone()),
                size_bytes: Set(gcode.size_bytes),
                sha256: Set(gcode.sha256.clone()),
                mesh_sha256: Set(None),
                revision_label: Set(label.clone()),
                revision_status: Set(Some(status.as_str().to_owned())),
                revision_notes: Set(String::new()),
                is_recommended: Set(true),
                thumbnail_key: Set(None),
                thumbnail_grid_key: Set(None),
                processing_error: Set(None),
                uploaded_by: Set(admin),
                created_at: Set(*at),
                deleted_at: Set(None),
                deleted_by: Set(None),
                ..Default::default()
            });
        }
    }
    insert_chunked(&*txn, file_rows, 20).await?;
    let batch_ids: Vec<i32> = ids.values().copied().collect();
    let file_ids: HashMap<(i32, i32), i32> = files::Entity::find()
        .select_only()
        .columns([
            files::Column::ModelId,
            files::Column::Version,
            files::Column::Id,
        ])
        .filter(files::Column::ModelId.is_in(batch_ids.iter().copied()))
        .into_tuple::<(i32, i32, i32)>()
        .all(&*txn)
        .await?
        .into_iter()
        .map(|(model, version, file)| ((model, version), file))
        .collect();

    let mut metadata_rows = Vec::with_capacity(file_ids.len());
    let mut tag_rows = Vec::new();
    for m in batch {
        let id = model_id(m)?;
        let file_id = |version: i32| {
            file_ids.get(&(id, version)).copied().ok_or_else(|| {
                anyhow::anyhow!("seeded file {id}/v{version} was not found after insert")
            })
        };
        let mut row = pool.meshes[m.mesh].metadata.clone();
        row.file_id = Set(file_id(1)?);
        row.created_at = Set(m.created_at);
        metadata_rows.push(row);
        if let Some(SeedRevision {
            pool_index: i,
            uploaded_at: at,
            ..
        }) = &m.gcode
        {
            let mut row = pool.gcodes[*i].metadata.clone();
            row.file_id = Set(file_id(2)?);
            row.created_at = Set(*at);
            metadata_rows.push(row);
        }
        tag_rows.extend(m.tag_ids.iter().map(|tag| model_tags::ActiveModel {
            model_id: Set(id),
            tag_id: Set(*tag),
        }));
    }
    insert_chunked(&*txn, metadata_rows, 28).await?;
    let tag_links = tag_rows.len() as u64;
    insert_chunked(&*txn, tag_rows, 2).await?;

    for (blob_id, n) in references {
        blobs::Entity::update_many()
            .col_expr(
                blobs::Column::RefCount,
                Expr::col(blobs::Column::RefCount).add(n),
            )
            .col_expr(
                blobs::Column::UnreferencedSince,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(blobs::Column::Id.eq(blob_id))
            .exec(&*txn)
            .await?;
    }

    let index_started = Instant::now();
    search_index::refresh_many(&*txn, &batch_ids).await?;
    let index_s = index_started.elapsed().as_secs_f64();
    txn.commit().await?;
    Ok(BatchWritten {
        gcode_revisions,
        tag_links,
        index_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parse_args_needs_models_and_takes_a_seed() {
        assert_eq!(
            parse_args(&args("--models 10 --seed 7")),
            Ok(SeedOptions {
                models: 10,
                seed: 7
            })
        );
        assert_eq!(parse_args(&args("--models 3")).map(|o| o.seed), Ok(1));
        assert!(parse_args(&args("--seed 3")).is_err());
        assert!(parse_args(&args("--models x")).is_err());
        assert!(parse_args(&args("--models 0")).is_err());
        assert!(parse_args(&args("--models 1 extra")).is_err());
    }

    #[test]
    fn pool_gcode_yields_the_metadata_the_rows_need() {
        for i in 0..POOL_GCODES {
            let summary = read_gcode_bytes(&pool_gcode(i)).expect("readable");
            let m = &summary.metadata;
            assert!(m.slicer_name.is_some(), "{i}: slicer");
            assert!(m.slicer_version.is_some(), "{i}: version");
            assert!(m.printer_model.is_some(), "{i}: printer");
            assert!(m.material_type.is_some(), "{i}: material");
            assert!(m.layer_height_mm.is_some(), "{i}: layer height");
            assert!(m.estimated_time_s.is_some(), "{i}: print time");
        }
    }

    #[test]
    fn pool_meshes_are_distinct_closed_solids() {
        let limits = Limits::default();
        let mut hashes = std::collections::HashSet::new();
        for i in 0..POOL_MESHES {
            let mesh =
                read_mesh_from(MeshKind::Stl, Cursor::new(pool_stl(i)), &limits).expect("mesh");
            assert!(mesh.stats().volume_mm3 > 1.0, "{i}: volume");
            assert!(hashes.insert(mesh.canonical_hash()), "{i}: duplicate mesh");
        }
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(1, 5).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(1, 5).next_u64(), Rng::new(2, 5).next_u64());
        assert_ne!(Rng::new(1, 5).next_u64(), Rng::new(1, 6).next_u64());
    }

    #[test]
    fn creation_window_is_two_years_before_the_end() {
        let until = DateTime::parse_from_rfc3339(CREATED_UNTIL)
            .expect("date")
            .with_timezone(&Utc);
        let start = until - chrono::Duration::seconds(CREATED_SPAN_S as i64);
        assert_eq!((until - start).num_days(), 730);
    }

    #[test]
    fn durations_read_like_the_slicers_write_them() {
        assert_eq!(duration_text(59), "59s");
        assert_eq!(duration_text(1132), "18m 52s");
        assert_eq!(duration_text(90_061), "1d 1h 1m 1s");
    }
}
