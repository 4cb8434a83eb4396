//! Shapes of models, their artifacts and revisions: browse card, detail,
//! trash item, export, vault stats, ingest outcome.

use serde::{Deserialize, Serialize};

/// What kind of file an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// STL mesh (binary or ASCII).
    Stl,
    /// Wavefront OBJ mesh.
    Obj,
    /// 3MF package (mesh or slicer project).
    #[serde(rename = "3mf")]
    ThreeMf,
    /// Plain-text G-code.
    Gcode,
    /// Prusa binary G-code.
    Bgcode,
    /// A slicer project that carries sliced G-code (`.gcode.3mf`).
    #[serde(rename = "gcode_3mf")]
    Gcode3mf,
}

impl FileKind {
    /// The stored/wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stl => "stl",
            Self::Obj => "obj",
            Self::ThreeMf => "3mf",
            Self::Gcode => "gcode",
            Self::Bgcode => "bgcode",
            Self::Gcode3mf => "gcode_3mf",
        }
    }

    /// Parses the stored/wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "stl" => Self::Stl,
            "obj" => Self::Obj,
            "3mf" => Self::ThreeMf,
            "gcode" => Self::Gcode,
            "bgcode" => Self::Bgcode,
            "gcode_3mf" => Self::Gcode3mf,
            _ => return None,
        })
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Stl => "STL",
            Self::Obj => "OBJ",
            Self::ThreeMf => "3MF",
            Self::Gcode => "G-code",
            Self::Bgcode => "Binary G-code",
            Self::Gcode3mf => "G-code 3MF",
        }
    }

    /// Whether this kind is sliced G-code (i.e. a revision).
    pub fn is_gcode(self) -> bool {
        matches!(self, Self::Gcode | Self::Bgcode | Self::Gcode3mf)
    }
}

/// A revision's outcome status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Sliced but not yet proven on the printer.
    NeedsTest,
    /// Printed successfully; trust this one.
    KnownGood,
    /// Didn't print right — kept so you don't repeat it.
    Failed,
    /// Old, but retained for history.
    Archived,
}

impl Outcome {
    /// The stored/wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsTest => "needs_test",
            Self::KnownGood => "known_good",
            Self::Failed => "failed",
            Self::Archived => "archived",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::NeedsTest => "Needs test",
            Self::KnownGood => "Known good",
            Self::Failed => "Failed",
            Self::Archived => "Archived",
        }
    }

    /// Parses the stored/wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "needs_test" => Self::NeedsTest,
            "known_good" => Self::KnownGood,
            "failed" => Self::Failed,
            "archived" => Self::Archived,
            _ => return None,
        })
    }
}

/// A tag as shown on a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TagRef {
    /// Tag id.
    pub id: i32,
    /// Display name.
    pub name: String,
}

/// One model in a browse grid or list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ModelCard {
    /// Model id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Collection the model lives in, if any.
    pub collection_id: Option<i32>,
    /// URL of the grid-sized thumbnail, if one exists.
    pub thumbnail_url: Option<String>,
    /// Number of live artifacts.
    pub file_count: u32,
    /// Whether any live G-code exists.
    pub has_gcode: bool,
    /// Outcome of the recommended revision, if any.
    pub recommended_outcome: Option<Outcome>,
    /// Estimated print time of the recommended revision (s).
    pub print_time_s: Option<i64>,
    /// Sum of live artifact sizes.
    pub total_size_bytes: i64,
    /// Tags on the model.
    pub tags: Vec<TagRef>,
    /// Whether the caller starred it.
    #[serde(default)]
    pub starred: bool,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// Slicer and geometry facts about one artifact (column names of the
/// original's metadata table, numbers in the units their names say).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct FileMetadataView {
    pub slicer_name: Option<String>,
    pub slicer_version: Option<String>,
    pub printer_model: Option<String>,
    pub nozzle_diameter_mm: Option<f64>,
    pub layer_height_mm: Option<f64>,
    pub first_layer_height_mm: Option<f64>,
    pub infill_percent: Option<f64>,
    pub wall_loops: Option<i32>,
    pub top_shell_layers: Option<i32>,
    pub bottom_shell_layers: Option<i32>,
    pub support_material: Option<bool>,
    pub nozzle_temperature_c: Option<f64>,
    pub bed_temperature_c: Option<f64>,
    pub estimated_time_s: Option<i64>,
    pub filament_weight_g: Option<f64>,
    pub filament_length_mm: Option<f64>,
    pub filament_cost: Option<f64>,
    pub material_type: Option<String>,
    pub material_brand: Option<String>,
    pub bbox_x_mm: Option<f64>,
    pub bbox_y_mm: Option<f64>,
    pub bbox_z_mm: Option<f64>,
    pub volume_mm3: Option<f64>,
    pub triangle_count: Option<i64>,
}

/// Revision bookkeeping of a G-code artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct RevisionInfo {
    /// Derived from version order among the model's live G-code (1-based); never stored.
    pub number: u32,
    /// Free label, e.g. "0.2 mm PETG".
    pub label: Option<String>,
    /// Outcome status.
    pub status: Outcome,
    /// Free-text notes.
    pub notes: String,
    /// Whether this is the model's recommended revision.
    pub recommended: bool,
}

/// One artifact of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct FileView {
    /// File id.
    pub id: i32,
    /// Version within the model (unique, ascending).
    pub version: i32,
    /// File kind.
    pub kind: FileKind,
    /// Name it was uploaded with.
    pub original_filename: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Byte SHA-256 (hex).
    pub sha256: String,
    /// Canonical mesh SHA-256 (meshes only).
    pub mesh_sha256: Option<String>,
    /// Download URL.
    pub download_url: String,
    /// Thumbnail URL, if one was rendered or embedded.
    pub thumbnail_url: Option<String>,
    /// URL of the 3D preview (PSM1, decimated for huge meshes); meshes only.
    #[serde(default)]
    pub preview_url: Option<String>,
    /// Revision fields (G-code only).
    pub revision: Option<RevisionInfo>,
    /// What the readers learned.
    pub metadata: Option<FileMetadataView>,
    /// Why reading the file failed, when it was stored but flagged.
    pub processing_error: Option<String>,
    /// Upload time, RFC 3339.
    pub created_at: String,
}

/// The model detail page / `GET /api/v1/models/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ModelDetail {
    /// Model id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Free description.
    pub description: String,
    /// Collection, if any.
    pub collection_id: Option<i32>,
    /// Tags.
    pub tags: Vec<TagRef>,
    /// Thumbnail URL (full size), if any.
    pub thumbnail_url: Option<String>,
    /// Revisions (G-code), recommended first, then newest first.
    pub revisions: Vec<FileView>,
    /// Other artifacts (meshes, projects), in version order.
    pub files: Vec<FileView>,
    /// When it was trashed, if it is in the trash (RFC 3339).
    pub deleted_at: Option<String>,
    /// Whether the caller starred it (kept for offline viewing).
    #[serde(default)]
    pub starred: bool,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// What a browser keeps for offline viewing: the caller's starred live
/// models (`GET /api/v1/offline-manifest`, read by the service worker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct OfflineManifest {
    /// Pages to fetch again on every refresh: the starred list and each
    /// starred model's detail page.
    pub pages: Vec<String>,
    /// Files that never change under their URL (thumbnails, the recommended
    /// revision's download, the mesh preview): fetched once.
    pub assets: Vec<String>,
}

/// A model in the trash list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TrashItem {
    /// Model id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// When it was trashed (RFC 3339).
    pub deleted_at: String,
    /// When it will be purged for good (RFC 3339).
    pub expires_at: String,
    /// Days left before it expires, counting a started day (30 right after
    /// trashing with 30 days' retention; 0 only once it is due).
    pub days_left: i64,
    /// Number of artifacts it holds.
    pub file_count: u32,
    /// Grid thumbnail URL, if any.
    pub thumbnail_url: Option<String>,
}

/// A page of results with an opaque cursor for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// Vault-wide figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct VaultStats {
    /// Live models.
    pub models: u64,
    /// Live artifacts.
    pub files: u64,
    /// Live G-code revisions.
    pub revisions: u64,
    /// Models in the trash.
    pub trashed_models: u64,
    /// Collections.
    pub collections: u64,
    /// Tags.
    pub tags: u64,
    /// Bytes of distinct stored blobs.
    pub stored_bytes: i64,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum IngestOutcome {
    /// A new model was created.
    Created {
        /// The new model.
        model_id: i32,
        /// The stored artifact.
        file_id: i32,
    },
    /// The same mesh (or G-code) is already a live model.
    Duplicate {
        /// The existing model.
        model_id: i32,
        /// Its name, for "already in the vault as …".
        model_name: String,
    },
    /// The same mesh is a model in the trash; restore it instead.
    DuplicateInTrash {
        /// The trashed model.
        model_id: i32,
        /// Its name.
        model_name: String,
        /// `POST` here to restore it.
        restore_url: String,
    },
    /// The file was added to an existing model as a new artifact/revision.
    Attached {
        /// The model.
        model_id: i32,
        /// The new artifact.
        file_id: i32,
        /// The revision number it got (G-code only).
        revision_number: Option<u32>,
    },
}

#[cfg(feature = "ssr")]
mod build {
    use super::*;
    use crate::backend::db::entities::{file_metadata, files, models};

    /// RFC 3339 text of a timestamp, as every view shows time.
    pub fn time_text(t: &chrono::DateTime<chrono::Utc>) -> String {
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// The URL a file downloads from.
    pub fn download_url(file_id: i32) -> String {
        format!("/api/v1/files/{file_id}/download")
    }

    /// The URL of a mesh file's 3D preview.
    pub fn preview_url(file_id: i32) -> String {
        format!("/api/v1/files/{file_id}/preview-mesh")
    }

    /// The URL of a file's thumbnail (`grid` for the browse-card size).
    pub fn thumbnail_url(file_id: i32, grid: bool) -> String {
        if grid {
            format!("/api/v1/files/{file_id}/thumbnail?size=grid")
        } else {
            format!("/api/v1/files/{file_id}/thumbnail")
        }
    }

    impl From<&file_metadata::Model> for FileMetadataView {
        fn from(m: &file_metadata::Model) -> Self {
            Self {
                slicer_name: m.slicer_name.clone(),
                slicer_version: m.slicer_version.clone(),
                printer_model: m.printer_model.clone(),
                nozzle_diameter_mm: m.nozzle_diameter_mm,
                layer_height_mm: m.layer_height_mm,
                first_layer_height_mm: m.first_layer_height_mm,
                infill_percent: m.infill_percent,
                wall_loops: m.wall_loops,
                top_shell_layers: m.top_shell_layers,
                bottom_shell_layers: m.bottom_shell_layers,
                support_material: m.support_material,
                nozzle_temperature_c: m.nozzle_temperature_c,
                bed_temperature_c: m.bed_temperature_c,
                estimated_time_s: m.estimated_time_s,
                filament_weight_g: m.filament_weight_g,
                filament_length_mm: m.filament_length_mm,
                filament_cost: m.filament_cost,
                material_type: m.material_type.clone(),
                material_brand: m.material_brand.clone(),
                bbox_x_mm: m.bbox_x_mm,
                bbox_y_mm: m.bbox_y_mm,
                bbox_z_mm: m.bbox_z_mm,
                volume_mm3: m.volume_mm3,
                triangle_count: m.triangle_count,
            }
        }
    }

    impl FileView {
        /// Composes a file view; `revision_number` is the derived number for G-code.
        pub fn build(
            file: &files::Model,
            metadata: Option<&file_metadata::Model>,
            revision_number: Option<u32>,
        ) -> Self {
            let kind = FileKind::parse(&file.kind).unwrap_or(FileKind::Stl);
            let revision = revision_number.map(|number| RevisionInfo {
                number,
                label: file.revision_label.clone(),
                status: file
                    .revision_status
                    .as_deref()
                    .and_then(Outcome::parse)
                    .unwrap_or(Outcome::NeedsTest),
                notes: file.revision_notes.clone(),
                recommended: file.is_recommended,
            });
            Self {
                id: file.id,
                version: file.version,
                kind,
                original_filename: file.original_filename.clone(),
                size_bytes: file.size_bytes,
                sha256: file.sha256.clone(),
                mesh_sha256: file.mesh_sha256.clone(),
                download_url: download_url(file.id),
                thumbnail_url: file
                    .thumbnail_key
                    .as_ref()
                    .map(|_| thumbnail_url(file.id, false)),
                preview_url: (matches!(kind, FileKind::Stl | FileKind::Obj | FileKind::ThreeMf)
                    && file.processing_error.is_none())
                .then(|| preview_url(file.id)),
                revision,
                metadata: metadata.map(FileMetadataView::from),
                processing_error: file.processing_error.clone(),
                created_at: time_text(&file.created_at),
            }
        }
    }

    impl ModelCard {
        /// Composes a browse card from the model row and the per-model facts
        /// the browse service fetched in batches.
        pub fn build(
            m: &models::Model,
            file_count: u32,
            recommended_outcome: Option<Outcome>,
            mut tags: Vec<TagRef>,
        ) -> Self {
            tags.sort_by_key(|t| t.name.to_lowercase());
            Self {
                id: m.id,
                name: m.name.clone(),
                collection_id: m.collection_id,
                thumbnail_url: m.thumbnail_file_id.map(|f| thumbnail_url(f, true)),
                file_count,
                has_gcode: m.has_gcode,
                recommended_outcome,
                print_time_s: m.print_time_s,
                total_size_bytes: m.total_size_bytes,
                tags,
                starred: false,
                created_at: time_text(&m.created_at),
                updated_at: time_text(&m.updated_at),
            }
        }
    }

    impl TrashItem {
        /// Composes a trash entry; `None` for a model that is not trashed.
        pub fn build(
            m: &models::Model,
            file_count: u32,
            retention: chrono::Duration,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Option<Self> {
            let deleted_at = m.deleted_at?;
            let expires = deleted_at + retention;
            Some(Self {
                id: m.id,
                name: m.name.clone(),
                deleted_at: time_text(&deleted_at),
                expires_at: time_text(&expires),
                days_left: {
                    let seconds = (expires - now).num_seconds().max(0);
                    (seconds + 86_399) / 86_400
                },
                file_count,
                thumbnail_url: m.thumbnail_file_id.map(|f| thumbnail_url(f, true)),
            })
        }
    }

    impl ModelDetail {
        /// Composes the detail view from the model, ALL its artifacts (live and
        /// trashed: revision numbers are derived over all G-code so they never
        /// shift), their metadata and the model's tags.
        pub fn build(
            model: &models::Model,
            all_files: &[files::Model],
            metadata: &[file_metadata::Model],
            tags: Vec<TagRef>,
        ) -> Self {
            let mut sorted: Vec<&files::Model> = all_files.iter().collect();
            sorted.sort_by_key(|f| f.version);
            let mut number = 0u32;
            let mut revisions = Vec::new();
            let mut other = Vec::new();
            for file in sorted {
                let is_gcode = FileKind::parse(&file.kind).is_some_and(FileKind::is_gcode);
                if is_gcode {
                    number += 1;
                }
                if file.deleted_at.is_some() {
                    continue;
                }
                let meta = metadata.iter().find(|m| m.file_id == file.id);
                if is_gcode {
                    revisions.push(FileView::build(file, meta, Some(number)));
                } else {
                    other.push(FileView::build(file, meta, None));
                }
            }
            // Recommended first, then newest first.
            revisions.sort_by_key(|f| {
                (
                    std::cmp::Reverse(f.revision.as_ref().is_some_and(|r| r.recommended)),
                    std::cmp::Reverse(f.version),
                )
            });
            Self {
                id: model.id,
                name: model.name.clone(),
                description: model.description.clone(),
                collection_id: model.collection_id,
                tags,
                thumbnail_url: model.thumbnail_file_id.map(|id| thumbnail_url(id, false)),
                revisions,
                files: other,
                deleted_at: model.deleted_at.as_ref().map(time_text),
                starred: false,
                created_at: time_text(&model.created_at),
                updated_at: time_text(&model.updated_at),
            }
        }
    }
}

#[cfg(feature = "ssr")]
pub use build::{download_url, preview_url, thumbnail_url, time_text};

/// How many models a purge deleted for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Purged {
    /// Models deleted with their rows and blob references.
    pub purged: u64,
}

/// `GET /api/v1/models/{id}/export`: everything the vault knows about one
/// model, as a self-describing JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ModelExport {
    /// Document format and version: `printstash.model-export.v1`.
    pub format: String,
    /// When the export was made (RFC 3339, UTC).
    pub exported_at: String,
    /// The model as the detail view shows it (artifacts, revisions, metadata).
    pub model: ModelDetail,
    /// The full slicer config of each artifact that has one, by file id.
    pub slicer_configs: std::collections::BTreeMap<i32, serde_json::Value>,
}

/// The export document's format name.
pub const MODEL_EXPORT_FORMAT: &str = "printstash.model-export.v1";

/// One value of a browse facet with how many models have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct FacetCount {
    /// The filter value to pass back (`kind=stl`, `tags=3`, `collection_id=5`, `has_gcode=true`).
    pub value: String,
    /// What to show: the tag or collection name, the file type, outcome or
    /// G-code choice in words.
    pub label: String,
    /// Models matching the current filters that have this value.
    pub count: u64,
}

/// `GET /api/v1/models/facets`: counts for the browse filters, under the
/// same filters and search as the list (without the cursor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Facets {
    /// Models matching the filters.
    pub total: u64,
    /// By artifact kind (a model counts once per kind it has).
    pub kinds: Vec<FacetCount>,
    /// By outcome of the recommended revision.
    pub outcomes: Vec<FacetCount>,
    /// By tag, most used first.
    pub tags: Vec<FacetCount>,
    /// By collection the model lives in directly (`value` empty: no collection).
    pub collections: Vec<FacetCount>,
    /// Models with and without G-code.
    pub has_gcode: Vec<FacetCount>,
}
