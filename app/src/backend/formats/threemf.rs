//! 3MF mesh reader: the geometry of a 3MF package, placed as printed.
//!
//! The root model part comes from `_rels/.rels` (3D model relationship),
//! falling back to `3D/3dmodel.model`. Model parts are streamed through
//! quick-xml straight out of the zip entry (no whole-part buffer), with the
//! element depth capped at [`Limits::max_xml_depth`]. Objects may hold a
//! mesh and/or components; components and build items may point into other
//! model parts with the production extension's `p:path` (Bambu Studio /
//! OrcaSlicer keep every mesh in `3D/Objects/*.model`). Each part's `unit`
//! is converted to millimetres while parsing, so transforms compose in mm.
//!
//! The result is one triangle soup with component and build-item
//! transforms applied (what the canonical hash hashes, DESIGN §3) plus what
//! the UI and the slicer-metadata join need: per-object names and triangle
//! counts and, per build item, its object, transform and triangle range.
//!
//! Printable flags: build items with `printable="0"` are recorded (with
//! `included == false`) but their triangles are left out of the mesh,
//! because the model is "what gets printed". If every item is
//! non-printable all are included, so a valid file never yields an empty
//! mesh for that reason. A package without build items falls back to every
//! root-part object that no component references.
//!
//! Limits: raw triangles parsed across all parts and the expanded
//! (instanced) triangle count are both checked against
//! [`Limits::max_triangles`] before the output mesh is allocated; component
//! cycles and nesting deeper than [`MAX_COMPONENT_DEPTH`] are rejected.

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek};
use std::ops::Range;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::mesh::{Mesh, Triangle};
use super::package::{Package, limit_error_from_io, resolve_target};
use super::{FormatError, LimitKind, Limits};

const FORMAT: &str = "3MF";
const CORE_NS: &[u8] = b"http://schemas.microsoft.com/3dmanufacturing/core/2015/02";

/// Deepest component nesting followed (also stops reference cycles).
pub const MAX_COMPONENT_DEPTH: usize = 32;

/// A 3MF affine transform in the spec's order
/// `m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32`; a point maps as the
/// row vector `[x y z 1] × M`. Translations here are in millimetres.
pub type Transform = [f64; 12];

/// The identity transform.
pub const IDENTITY: Transform = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];

/// Geometry and structure of a 3MF package.
#[derive(Debug, Clone)]
pub struct ThreeMfMesh {
    /// All included build items, transformed, in millimetres.
    pub mesh: Mesh,
    /// The root model part (normalised, no leading `/`).
    pub root_part: String,
    /// The root part's `unit` attribute (`millimeter` when absent).
    pub unit: String,
    /// `<metadata name=…>` entries of the root part, in file order.
    pub metadata: Vec<(String, String)>,
    /// Root-part objects referenced by build items, in first-use order.
    pub objects: Vec<ObjectInfo>,
    /// Build items in file order.
    pub items: Vec<BuildItemInfo>,
}

/// One object of the root part.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    /// The object's `id` within the root part.
    pub id: u32,
    /// The `name` attribute, if any.
    pub name: Option<String>,
    /// The `type` attribute (`model` when absent).
    pub object_type: String,
    /// Triangles of one instance with its components expanded.
    pub triangle_count: u64,
}

/// One `<build><item>`.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildItemInfo {
    /// The referenced object id (in `part`).
    pub object_id: u32,
    /// The part holding the object (the root part unless `p:path` says otherwise).
    pub part: String,
    /// The item's transform (millimetres).
    pub transform: Transform,
    /// The `printable` attribute (true when absent).
    pub printable: bool,
    /// Whether this item's triangles are in [`ThreeMfMesh::mesh`].
    pub included: bool,
    /// The item's triangles within [`ThreeMfMesh::mesh`] (empty when not included).
    pub triangles: Range<usize>,
    /// The `partnumber` attribute, if any.
    pub part_number: Option<String>,
}

/// Reads the mesh of a 3MF package held in memory.
pub fn read_3mf(bytes: &[u8], limits: &Limits) -> Result<ThreeMfMesh, FormatError> {
    let mut package = Package::from_bytes(bytes, limits)?;
    read_3mf_package(&mut package, limits)
}

/// Reads the mesh of an opened package (e.g. one also read for thumbnails).
pub fn read_3mf_package<R: Read + Seek>(
    package: &mut Package<R>,
    limits: &Limits,
) -> Result<ThreeMfMesh, FormatError> {
    let root_part = package
        .start_part_3mf()?
        .ok_or_else(|| FormatError::MissingPart {
            name: "3D/3dmodel.model".into(),
        })?;
    let mut parts: HashMap<String, ModelPart> = HashMap::new();
    let mut raw_triangles = 0u64;
    let mut pending = vec![root_part.clone()];
    while let Some(name) = pending.pop() {
        if parts.contains_key(&name) {
            continue;
        }
        let part = parse_part(package, &name, limits, &mut raw_triangles)?;
        for target in part.referenced_parts() {
            let stored = package
                .resolve(target)
                .ok_or_else(|| FormatError::MissingPart {
                    name: target.to_owned(),
                })?
                .to_owned();
            if !parts.contains_key(&stored) {
                pending.push(stored);
            }
        }
        parts.insert(name, part);
    }
    // Referenced part names were resolved above; map them to stored names.
    let canonical: HashMap<String, String> = parts
        .values()
        .flat_map(|p| p.referenced_parts().map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|target| {
            package
                .resolve(&target)
                .map(|stored| (target, stored.to_owned()))
        })
        .collect();
    Assembler {
        parts: &parts,
        canonical: &canonical,
        limits,
        counts: HashMap::new(),
    }
    .assemble(root_part)
}

/// One parsed model part, in millimetres.
#[derive(Debug, Default)]
struct ModelPart {
    unit: String,
    metadata: Vec<(String, String)>,
    objects: HashMap<u32, ObjectDef>,
    items: Vec<ItemDef>,
}

#[derive(Debug, Default)]
struct ObjectDef {
    name: Option<String>,
    object_type: String,
    vertices: Vec<[f64; 3]>,
    triangles: Vec<[u32; 3]>,
    components: Vec<ComponentDef>,
}

#[derive(Debug)]
struct ComponentDef {
    object_id: u32,
    /// Resolved part name for `p:path`, `None` for the same part.
    part: Option<String>,
    transform: Transform,
}

#[derive(Debug)]
struct ItemDef {
    object_id: u32,
    part: Option<String>,
    transform: Transform,
    printable: bool,
    part_number: Option<String>,
}

impl ModelPart {
    fn referenced_parts(&self) -> impl Iterator<Item = &str> {
        let from_components = self
            .objects
            .values()
            .flat_map(|o| o.components.iter().filter_map(|c| c.part.as_deref()));
        from_components.chain(self.items.iter().filter_map(|i| i.part.as_deref()))
    }
}

fn malformed(part: &str, detail: impl std::fmt::Display) -> FormatError {
    FormatError::Malformed {
        format: FORMAT,
        detail: format!("{part}: {detail}"),
    }
}

fn xml_error(part: &str, err: quick_xml::Error) -> FormatError {
    if let quick_xml::Error::Io(io) = &err
        && let Some(limit) = limit_error_from_io(io)
    {
        return limit;
    }
    if matches!(err, quick_xml::Error::Syntax(_)) {
        return FormatError::Truncated {
            format: FORMAT,
            detail: format!("{part}: {err}"),
        };
    }
    malformed(part, err)
}

/// Millimetres per unit of the 3MF `unit` attribute.
pub fn unit_scale(unit: &str) -> Option<f64> {
    Some(match unit {
        "micron" => 0.001,
        "millimeter" => 1.0,
        "centimeter" => 10.0,
        "inch" => 25.4,
        "foot" => 304.8,
        "meter" => 1000.0,
        _ => return None,
    })
}

/// Whether an element belongs to the 3MF core namespace (or to none, which
/// sloppy writers produce).
fn is_core(ns: &ResolveResult<'_>) -> bool {
    match ns {
        ResolveResult::Bound(n) => n.as_ref() == CORE_NS,
        ResolveResult::Unbound => true,
        ResolveResult::Unknown(_) => false,
    }
}

/// Streams one model part into a [`ModelPart`].
fn parse_part<R: Read + Seek>(
    package: &mut Package<R>,
    part: &str,
    limits: &Limits,
    raw_triangles: &mut u64,
) -> Result<ModelPart, FormatError> {
    let reader = BufReader::with_capacity(256 * 1024, package.open_part(part)?);
    let mut xml = quick_xml::NsReader::from_reader(reader);
    let mut buf = Vec::with_capacity(1024);
    let mut out = ModelPart {
        unit: "millimeter".into(),
        ..ModelPart::default()
    };
    let mut scale = 1.0f64;
    let mut depth = 0usize;
    let mut current: Option<(u32, ObjectDef)> = None;
    let mut metadata_name: Option<String> = None;
    let mut saw_model = false;
    loop {
        let (ns, event) = xml
            .read_resolved_event_into(&mut buf)
            .map_err(|e| xml_error(part, e))?;
        let core = is_core(&ns);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(event, Event::Start(_));
                if is_start {
                    depth += 1;
                    if depth > limits.max_xml_depth {
                        return Err(FormatError::LimitExceeded {
                            limit: LimitKind::MaxXmlDepth,
                            limit_value: limits.max_xml_depth as u64,
                        });
                    }
                }
                let local = e.local_name();
                let name: &[u8] = if core { local.as_ref() } else { b"" };
                match name {
                    b"model" => {
                        saw_model = true;
                        if let Some(unit) = attr(e, b"unit", part)? {
                            scale = unit_scale(&unit)
                                .ok_or_else(|| malformed(part, format!("unknown unit `{unit}`")))?;
                            out.unit = unit;
                        }
                    }
                    b"metadata" if depth <= 2 && current.is_none() => {
                        metadata_name = attr(e, b"name", part)?;
                        if !is_start && let Some(name) = metadata_name.take() {
                            out.metadata.push((name, String::new()));
                        }
                    }
                    b"object" => {
                        let id = required_u32(e, b"id", part)?;
                        let def = ObjectDef {
                            name: attr(e, b"name", part)?,
                            object_type: attr(e, b"type", part)?.unwrap_or_else(|| "model".into()),
                            ..ObjectDef::default()
                        };
                        if is_start {
                            current = Some((id, def));
                        } else {
                            out.objects.insert(id, def);
                        }
                    }
                    b"vertex" => {
                        let (_, object) = current
                            .as_mut()
                            .ok_or_else(|| malformed(part, "vertex outside an object"))?;
                        let vertex = [
                            required_f64(e, b"x", part)?,
                            required_f64(e, b"y", part)?,
                            required_f64(e, b"z", part)?,
                        ];
                        object.vertices.push(vertex.map(|c| c * scale));
                    }
                    b"triangle" => {
                        let (_, object) = current
                            .as_mut()
                            .ok_or_else(|| malformed(part, "triangle outside an object"))?;
                        let corners = [
                            required_u32(e, b"v1", part)?,
                            required_u32(e, b"v2", part)?,
                            required_u32(e, b"v3", part)?,
                        ];
                        if corners.iter().any(|&c| c as usize >= object.vertices.len()) {
                            return Err(malformed(
                                part,
                                format!(
                                    "triangle {corners:?} refers to a missing vertex ({} vertices)",
                                    object.vertices.len()
                                ),
                            ));
                        }
                        *raw_triangles += 1;
                        if *raw_triangles > limits.max_triangles {
                            return Err(FormatError::LimitExceeded {
                                limit: LimitKind::MaxTriangles,
                                limit_value: limits.max_triangles,
                            });
                        }
                        object.triangles.push(corners);
                    }
                    b"component" => {
                        let (_, object) = current
                            .as_mut()
                            .ok_or_else(|| malformed(part, "component outside an object"))?;
                        object.components.push(ComponentDef {
                            object_id: required_u32(e, b"objectid", part)?,
                            part: path_attr(e, part)?,
                            transform: transform_attr(e, part, scale)?,
                        });
                    }
                    b"item" => {
                        let printable = attr(e, b"printable", part)?
                            .is_none_or(|p| !matches!(p.trim(), "0" | "false"));
                        out.items.push(ItemDef {
                            object_id: required_u32(e, b"objectid", part)?,
                            part: path_attr(e, part)?,
                            transform: transform_attr(e, part, scale)?,
                            printable,
                            part_number: attr(e, b"partnumber", part)?,
                        });
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) => {
                if let Some(name) = metadata_name.take() {
                    let value = t
                        .unescape()
                        .map_err(|e| malformed(part, e))?
                        .trim()
                        .to_owned();
                    out.metadata.push((name, value));
                }
            }
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                if core
                    && e.local_name().as_ref() == b"object"
                    && let Some((id, def)) = current.take()
                {
                    out.objects.insert(id, def);
                }
                if core
                    && e.local_name().as_ref() == b"metadata"
                    && let Some(name) = metadata_name.take()
                {
                    out.metadata.push((name, String::new()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_model {
        return Err(malformed(part, "no <model> element"));
    }
    if depth != 0 || current.is_some() {
        return Err(FormatError::Truncated {
            format: FORMAT,
            detail: format!("{part}: XML ends inside an element"),
        });
    }
    // Component and item paths are relative to this part.
    for object in out.objects.values_mut() {
        for component in &mut object.components {
            if let Some(path) = component.part.take() {
                component.part = Some(resolve_target(part, &path));
            }
        }
    }
    for item in &mut out.items {
        if let Some(path) = item.part.take() {
            item.part = Some(resolve_target(part, &path));
        }
    }
    Ok(out)
}

/// An attribute by local name (namespace prefixes ignored), unescaped.
fn attr(e: &BytesStart<'_>, key: &[u8], part: &str) -> Result<Option<String>, FormatError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| malformed(part, err))?;
        if a.key.local_name().as_ref() == key && a.key.prefix().is_none() {
            return Ok(Some(
                a.unescape_value()
                    .map_err(|err| malformed(part, err))?
                    .into_owned(),
            ));
        }
    }
    Ok(None)
}

/// A raw attribute value (numbers never need unescaping).
fn raw_attr<'a>(
    e: &'a BytesStart<'_>,
    key: &[u8],
    part: &str,
) -> Result<Option<std::borrow::Cow<'a, [u8]>>, FormatError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| malformed(part, err))?;
        if a.key.local_name().as_ref() == key && a.key.prefix().is_none() {
            return Ok(Some(a.value));
        }
    }
    Ok(None)
}

fn element_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn required_u32(e: &BytesStart<'_>, key: &[u8], part: &str) -> Result<u32, FormatError> {
    let raw = raw_attr(e, key, part)?.ok_or_else(|| {
        malformed(
            part,
            format!(
                "<{}> lacks `{}`",
                element_name(e),
                String::from_utf8_lossy(key)
            ),
        )
    })?;
    std::str::from_utf8(&raw)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .ok_or_else(|| {
            malformed(
                part,
                format!(
                    "<{}> `{}` is not an index: `{}`",
                    element_name(e),
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(&raw)
                ),
            )
        })
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() < 1e15)
}

fn required_f64(e: &BytesStart<'_>, key: &[u8], part: &str) -> Result<f64, FormatError> {
    let raw = raw_attr(e, key, part)?.ok_or_else(|| {
        malformed(
            part,
            format!(
                "<{}> lacks `{}`",
                element_name(e),
                String::from_utf8_lossy(key)
            ),
        )
    })?;
    std::str::from_utf8(&raw)
        .ok()
        .and_then(parse_number)
        .ok_or_else(|| {
            malformed(
                part,
                format!("`{}` is not a finite number", String::from_utf8_lossy(&raw)),
            )
        })
}

/// The production extension's `path` attribute (any prefix).
fn path_attr(e: &BytesStart<'_>, part: &str) -> Result<Option<String>, FormatError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| malformed(part, err))?;
        if a.key.local_name().as_ref() == b"path" && a.key.prefix().is_some() {
            return Ok(Some(
                a.unescape_value()
                    .map_err(|err| malformed(part, err))?
                    .into_owned(),
            ));
        }
    }
    Ok(None)
}

/// The `transform` attribute with its translation scaled to millimetres.
fn transform_attr(e: &BytesStart<'_>, part: &str, scale: f64) -> Result<Transform, FormatError> {
    let Some(text) = attr(e, b"transform", part)? else {
        return Ok(IDENTITY);
    };
    let mut m = [0.0f64; 12];
    let mut fields = text.split_ascii_whitespace();
    for slot in &mut m {
        *slot = fields
            .next()
            .and_then(parse_number)
            .ok_or_else(|| malformed(part, format!("transform `{text}` needs 12 numbers")))?;
    }
    if fields.next().is_some() {
        return Err(malformed(
            part,
            format!("transform `{text}` has more than 12 numbers"),
        ));
    }
    for t in &mut m[9..] {
        *t *= scale;
    }
    Ok(m)
}

/// `first` then `second`: `p × first × second`.
pub fn compose(first: &Transform, second: &Transform) -> Transform {
    let a = first;
    let b = second;
    let mut out = [0.0f64; 12];
    for row in 0..4 {
        for col in 0..3 {
            let mut sum = if row == 3 { b[9 + col] } else { 0.0 };
            for k in 0..3 {
                sum += a[row * 3 + k] * b[k * 3 + col];
            }
            out[row * 3 + col] = sum;
        }
    }
    out
}

/// Applies a transform to a point.
#[inline]
pub fn apply(m: &Transform, p: [f64; 3]) -> [f64; 3] {
    [
        p[0] * m[0] + p[1] * m[3] + p[2] * m[6] + m[9],
        p[0] * m[1] + p[1] * m[4] + p[2] * m[7] + m[10],
        p[0] * m[2] + p[1] * m[5] + p[2] * m[8] + m[11],
    ]
}

/// Expands build items into one mesh.
struct Assembler<'a> {
    parts: &'a HashMap<String, ModelPart>,
    canonical: &'a HashMap<String, String>,
    limits: &'a Limits,
    /// Expanded triangle count per (part, object).
    counts: HashMap<(String, u32), u64>,
}

impl Assembler<'_> {
    fn part_name<'p>(&'p self, current: &'p str, reference: Option<&'p str>) -> &'p str {
        match reference {
            None => current,
            Some(r) => self.canonical.get(r).map_or(r, String::as_str),
        }
    }

    fn object(&self, part: &str, id: u32) -> Result<&ObjectDef, FormatError> {
        self.parts
            .get(part)
            .and_then(|p| p.objects.get(&id))
            .ok_or_else(|| malformed(part, format!("object {id} does not exist")))
    }

    /// Triangles of one instance of an object, components expanded.
    fn count(&mut self, part: &str, id: u32, depth: usize) -> Result<u64, FormatError> {
        if depth > MAX_COMPONENT_DEPTH {
            return Err(malformed(part, "components nest too deep or form a cycle"));
        }
        if let Some(&n) = self.counts.get(&(part.to_owned(), id)) {
            return Ok(n);
        }
        let object = self.object(part, id)?;
        let children: Vec<(String, u32)> = object
            .components
            .iter()
            .map(|c| {
                (
                    self.part_name(part, c.part.as_deref()).to_owned(),
                    c.object_id,
                )
            })
            .collect();
        let mut total = object.triangles.len() as u64;
        for (child_part, child_id) in children {
            total = total.saturating_add(self.count(&child_part, child_id, depth + 1)?);
        }
        self.counts.insert((part.to_owned(), id), total);
        Ok(total)
    }

    fn emit(
        &self,
        part: &str,
        id: u32,
        transform: &Transform,
        out: &mut Vec<Triangle>,
    ) -> Result<(), FormatError> {
        let object = self.object(part, id)?;
        for tri in &object.triangles {
            out.push(tri.map(|i| apply(transform, object.vertices[i as usize]).map(|c| c as f32)));
        }
        for component in &object.components {
            let child_part = self.part_name(part, component.part.as_deref());
            self.emit(
                child_part,
                component.object_id,
                &compose(&component.transform, transform),
                out,
            )?;
        }
        Ok(())
    }

    fn assemble(mut self, root_part: String) -> Result<ThreeMfMesh, FormatError> {
        let parts = self.parts;
        let root = parts
            .get(&root_part)
            .ok_or_else(|| FormatError::MissingPart {
                name: root_part.clone(),
            })?;
        let mut items: Vec<BuildItemInfo> = root
            .items
            .iter()
            .map(|item| BuildItemInfo {
                object_id: item.object_id,
                part: self.part_name(&root_part, item.part.as_deref()).to_owned(),
                transform: item.transform,
                printable: item.printable,
                included: false,
                triangles: 0..0,
                part_number: item.part_number.clone(),
            })
            .collect();
        // Where there is no build, every top-level object is built in place.
        let mut placements: Vec<(String, u32, Transform)> = if items.is_empty() {
            let referenced: Vec<u32> = root
                .objects
                .values()
                .flat_map(|o| {
                    o.components
                        .iter()
                        .filter(|c| c.part.is_none())
                        .map(|c| c.object_id)
                })
                .collect();
            let mut ids: Vec<u32> = root
                .objects
                .keys()
                .copied()
                .filter(|id| !referenced.contains(id))
                .collect();
            ids.sort_unstable();
            ids.into_iter()
                .map(|id| (root_part.clone(), id, IDENTITY))
                .collect()
        } else {
            Vec::new()
        };
        let any_printable = items.iter().any(|i| i.printable);
        for item in &mut items {
            item.included = item.printable || !any_printable;
        }
        let mut total = 0u64;
        for item in &items {
            let n = self.count(&item.part, item.object_id, 0)?;
            if item.included {
                total = total.saturating_add(n);
            }
        }
        for (part, id, _) in &placements {
            total = total.saturating_add(self.count(part, *id, 0)?);
        }
        if total > self.limits.max_triangles {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::MaxTriangles,
                limit_value: self.limits.max_triangles,
            });
        }
        let mut triangles: Vec<Triangle> = Vec::with_capacity(total as usize);
        for item in &mut items {
            if item.included {
                let start = triangles.len();
                self.emit(&item.part, item.object_id, &item.transform, &mut triangles)?;
                item.triangles = start..triangles.len();
            }
        }
        for (part, id, transform) in placements.drain(..) {
            self.emit(&part, id, &transform, &mut triangles)?;
        }
        let mut objects: Vec<ObjectInfo> = Vec::new();
        let object_ids: Vec<u32> = if items.is_empty() {
            let mut ids: Vec<u32> = root.objects.keys().copied().collect();
            ids.sort_unstable();
            ids
        } else {
            items
                .iter()
                .filter(|i| i.part == root_part)
                .map(|i| i.object_id)
                .collect()
        };
        for id in object_ids {
            if objects.iter().any(|o| o.id == id) {
                continue;
            }
            let triangle_count = self.count(&root_part, id, 0)?;
            let def = self.object(&root_part, id)?;
            objects.push(ObjectInfo {
                id,
                name: def.name.clone(),
                object_type: def.object_type.clone(),
                triangle_count,
            });
        }
        Ok(ThreeMfMesh {
            mesh: Mesh::from_triangles(triangles),
            unit: root.unit.clone(),
            metadata: root.metadata.clone(),
            root_part,
            objects,
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::backend::formats::mesh_testkit::{
        HASH_A, HASH_B, HASH_C, arb_mesh, rezip, write_3mf, zip_parts,
    };

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    }

    fn read(path: &str) -> ThreeMfMesh {
        read_3mf(&fixture(path), &Limits::default()).expect(path)
    }

    #[test]
    fn openscad_cube() {
        let m = read("mesh/cube_20mm.3mf");
        assert_eq!(m.mesh.len(), 12);
        assert_eq!(m.root_part, "3D/3dmodel.model");
        assert_eq!(m.objects.len(), 1);
        assert_eq!(m.objects[0].name.as_deref(), Some("OpenSCAD Model"));
        assert_eq!(m.objects[0].triangle_count, 12);
        let stats = m.mesh.stats();
        assert_eq!(stats.max_mm, [20.0; 3]);
        assert!((stats.volume_mm3 - 8000.0).abs() < 1e-6);
        assert_eq!(m.mesh.canonical_hash(), HASH_A);
    }

    #[test]
    fn prusa_project_is_placed_and_hashes_like_the_stl() {
        let m = read("3mf/cube_20mm_prusa_project.3mf");
        assert_eq!(m.mesh.len(), 12);
        assert_eq!(m.items.len(), 1);
        assert_eq!(
            m.items[0].transform,
            [
                1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 125.0, 105.0, 10.0
            ]
        );
        assert_eq!(m.items[0].triangles, 0..12);
        let stats = m.mesh.stats();
        assert_eq!(stats.min_mm, [115.0, 95.0, 0.0]);
        assert_eq!(stats.max_mm, [135.0, 115.0, 20.0]);
        assert!(
            m.metadata
                .iter()
                .any(|(k, v)| k == "Application" && v == "PrusaSlicer-2.5.0")
        );
        assert!(
            m.metadata
                .iter()
                .any(|(k, v)| k == "Title" && v == "cube_20mm_prusa_project")
        );
        assert_eq!(m.mesh.canonical_hash(), HASH_A);
    }

    #[test]
    fn two_bodies_and_sphere() {
        let m = read("mesh/two_bodies.3mf");
        let stats = m.mesh.stats();
        assert_eq!(stats.triangle_count, 200);
        assert_eq!(stats.body_count, Some(2));
        assert!((stats.volume_mm3 - 3603.30).abs() < 0.01);
        assert_eq!(m.mesh.canonical_hash(), HASH_B);
        let m = read("mesh/sphere_50k.3mf");
        let stats = m.mesh.stats();
        assert_eq!(stats.triangle_count, 50172);
        assert!((stats.volume_mm3 - 65428.39).abs() < 0.01);
        assert_eq!(m.mesh.canonical_hash(), HASH_C);
    }

    #[test]
    fn rezipped_package_hashes_the_same() {
        let bytes = fixture("mesh/two_bodies.3mf");
        assert_eq!(
            read_3mf(&rezip(&bytes, false), &Limits::default())
                .expect("stored")
                .mesh
                .canonical_hash(),
            HASH_B
        );
        assert_eq!(
            read_3mf(&rezip(&bytes, true), &Limits::default())
                .expect("deflated")
                .mesh
                .canonical_hash(),
            HASH_B
        );
    }

    const CORE: &str = "xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\" xmlns:p=\"http://schemas.microsoft.com/3dmanufacturing/production/2015/06\"";
    const TET: &str = "<mesh><vertices><vertex x=\"0\" y=\"0\" z=\"0\"/><vertex x=\"10\" y=\"0\" z=\"0\"/><vertex x=\"0\" y=\"10\" z=\"0\"/><vertex x=\"0\" y=\"0\" z=\"10\"/></vertices>\
        <triangles><triangle v1=\"0\" v2=\"2\" v3=\"1\"/><triangle v1=\"0\" v2=\"1\" v3=\"3\"/><triangle v1=\"0\" v2=\"3\" v3=\"2\"/><triangle v1=\"1\" v2=\"2\" v3=\"3\"/></triangles></mesh>";

    fn package(root: &str, extra: &[(&str, &str)]) -> Vec<u8> {
        let rels = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Target=\"/3D/root.model\" Id=\"r\" Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/></Relationships>";
        let mut parts: Vec<(&str, &[u8])> = vec![
            ("_rels/.rels", rels.as_bytes()),
            ("3D/root.model", root.as_bytes()),
        ];
        parts.extend(extra.iter().map(|(n, b)| (*n, b.as_bytes())));
        zip_parts(&parts, true)
    }

    #[test]
    fn bambu_style_components_with_paths_units_and_printable() {
        let object = format!(
            "<model unit=\"centimeter\" {CORE}><resources><object id=\"7\" type=\"model\">{TET}</object></resources><build/></model>"
        );
        let root = format!(
            "<model unit=\"millimeter\" {CORE}><metadata name=\"Application\">BambuStudio-01.09</metadata><resources>\
             <object id=\"2\" name=\"Tetra\" type=\"model\"><components>\
             <component p:path=\"/3D/Objects/object_1.model\" objectid=\"7\" transform=\"1 0 0 0 1 0 0 0 1 5 0 0\"/>\
             <component p:path=\"Objects/object_1.model\" objectid=\"7\" transform=\"0 1 0 -1 0 0 0 0 1 0 0 0\"/></components></object>\
             <object id=\"3\" name=\"Hidden\">{TET}</object></resources>\
             <build><item objectid=\"2\" transform=\"1 0 0 0 1 0 0 0 1 100 100 0\" printable=\"1\"/><item objectid=\"3\" printable=\"0\"/></build></model>"
        );
        let bytes = package(&root, &[("3D/Objects/object_1.model", &object)]);
        let m = read_3mf(&bytes, &Limits::default()).expect("bambu");
        assert_eq!(
            m.mesh.len(),
            8,
            "two tetrahedra via p:path, hidden item skipped"
        );
        assert_eq!(m.items.len(), 2);
        assert!(m.items[0].included && !m.items[1].included);
        assert_eq!(m.items[0].triangles, 0..8);
        assert_eq!(
            m.objects
                .iter()
                .map(|o| (o.id, o.name.as_deref(), o.triangle_count))
                .collect::<Vec<_>>(),
            vec![(2, Some("Tetra"), 8), (3, Some("Hidden"), 4)]
        );
        // Centimetres: the tetra is 100 mm; first copy shifted by 5 mm (root unit) then placed at 100.
        let stats = m.mesh.stats();
        assert_eq!(stats.max_mm[0], 205.0);
        assert_eq!(
            stats.min_mm[0], 0.0,
            "second copy rotated 90° about Z: x' = -y"
        );
        assert_eq!(
            m.metadata,
            vec![("Application".to_owned(), "BambuStudio-01.09".to_owned())]
        );
    }

    #[test]
    fn cycles_depth_and_limits_are_typed_errors() {
        let cyclic = format!(
            "<model {CORE}><resources><object id=\"1\"><components><component objectid=\"2\"/></components></object>\
            <object id=\"2\"><components><component objectid=\"1\"/></components></object></resources><build><item objectid=\"1\"/></build></model>"
        );
        assert!(matches!(
            read_3mf(&package(&cyclic, &[]), &Limits::default()),
            Err(FormatError::Malformed { .. })
        ));

        let deep = format!(
            "<model {CORE}>{}{}</model>",
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        assert!(matches!(
            read_3mf(&package(&deep, &[]), &Limits::default()),
            Err(FormatError::LimitExceeded {
                limit: LimitKind::MaxXmlDepth,
                ..
            })
        ));

        // 4 triangles instanced 3 times: 12 > 10 although only 4 are parsed.
        let instanced = format!(
            "<model {CORE}><resources><object id=\"1\">{TET}</object></resources><build><item objectid=\"1\"/><item objectid=\"1\"/><item objectid=\"1\"/></build></model>"
        );
        let limits = Limits {
            max_triangles: 10,
            ..Limits::default()
        };
        assert!(matches!(
            read_3mf(&package(&instanced, &[]), &limits),
            Err(FormatError::LimitExceeded {
                limit: LimitKind::MaxTriangles,
                ..
            })
        ));
        assert_eq!(
            read_3mf(&package(&instanced, &[]), &Limits::default())
                .expect("ok")
                .mesh
                .len(),
            12
        );

        let bad_index = format!(
            "<model {CORE}><resources><object id=\"1\"><mesh><vertices><vertex x=\"0\" y=\"0\" z=\"0\"/></vertices><triangles><triangle v1=\"0\" v2=\"1\" v3=\"2\"/></triangles></mesh></object></resources><build><item objectid=\"1\"/></build></model>"
        );
        assert!(matches!(
            read_3mf(&package(&bad_index, &[]), &Limits::default()),
            Err(FormatError::Malformed { .. })
        ));
        let missing_part = format!(
            "<model {CORE}><resources><object id=\"1\"><components><component p:path=\"/3D/nope.model\" objectid=\"1\"/></components></object></resources><build><item objectid=\"1\"/></build></model>"
        );
        assert!(matches!(
            read_3mf(&package(&missing_part, &[]), &Limits::default()),
            Err(FormatError::MissingPart { .. })
        ));
        let bad_unit = format!("<model unit=\"furlong\" {CORE}><resources/></model>");
        assert!(matches!(
            read_3mf(&package(&bad_unit, &[]), &Limits::default()),
            Err(FormatError::Malformed { .. })
        ));
    }

    #[test]
    fn falls_back_to_3dmodel_without_rels_and_to_objects_without_build() {
        let model =
            format!("<model {CORE}><resources><object id=\"1\">{TET}</object></resources></model>");
        let bytes = zip_parts(&[("3D/3dmodel.model", model.as_bytes())], false);
        let m = read_3mf(&bytes, &Limits::default()).expect("fallback");
        assert_eq!(m.mesh.len(), 4);
        assert_eq!(m.objects.len(), 1);
    }

    #[test]
    fn every_prefix_is_ok_or_typed_error() {
        let bytes = fixture("mesh/cube_20mm.3mf");
        for len in 0..bytes.len() {
            let _ = read_3mf(&bytes[..len], &Limits::default());
        }
        let model = {
            let mut pkg = Package::from_bytes(&bytes, &Limits::default()).expect("zip");
            pkg.read("3D/3dmodel.model").expect("model")
        };
        for len in (0..model.len()).step_by(3) {
            let cut = zip_parts(&[("3D/3dmodel.model", &model[..len])], false);
            assert!(read_3mf(&cut, &Limits::default()).is_err() || len == model.len());
        }
    }

    proptest! {
        #[test]
        fn units_and_transforms_round_trip(mesh in arb_mesh(), dx in -100i32..100, dy in -100i32..100) {
            let placed = write_3mf(&mesh, "millimeter", 1.0, Some(&format!("1 0 0 0 1 0 0 0 1 {dx} {dy} 3")), true);
            let inch = write_3mf(&mesh, "inch", 25.4, None, false);
            let a = read_3mf(&placed, &Limits::default()).expect("placed").mesh.canonical_hash();
            let b = read_3mf(&inch, &Limits::default()).expect("inch").mesh.canonical_hash();
            let c = Mesh::from_triangles(mesh.clone()).canonical_hash();
            prop_assert_eq!(&a, &c);
            prop_assert_eq!(&b, &c);
        }
    }
}
