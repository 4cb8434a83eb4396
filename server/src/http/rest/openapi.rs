//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the
//! endpoint table in [`super::endpoints`] and the JSON schemas of the shared
//! view and params types (schemars), so it cannot drift from the code.

use app::params::auth::{
    ChangePasswordParams, CreateTokenParams, CreateUserParams, CredentialsParams, ListAuditParams,
    ResetPasswordParams, SetGrantParams, UpdateUserParams,
};
use app::views::auth::{
    ApiTokenView, AuditEntry, CreatedApiToken, GrantView, SessionInfo, SetupStatus, UserView,
};
use std::sync::OnceLock;

use app::params::collections::{CreateCollectionParams, UpdateCollectionParams};
use app::params::jobs::{ListJobsParams, QueueJobParams};
use app::params::models::{ListModelsParams, UpdateModelParams, UpdateRevisionParams};
use app::params::printers::{
    ControlParams, CreatePrinterParams, JobOutcomeParams, PreflightQuery, PrintJobsQuery,
    SendParams, UpdatePrinterParams,
};
use app::params::settings::UpdateSettingsParams;
use app::params::tags::{MergeTagParams, TagModelsParams, TagNameParams};
use app::views::collections::{CollectionDeleted, CollectionNode};
use app::views::jobs::JobView;
use app::views::models::{
    Facets, IngestOutcome, ModelCard, ModelDetail, ModelExport, OfflineManifest, Page, Purged,
    TrashItem, VaultStats,
};
use app::views::printers::{
    LiveMessage, Preflight, PrintJobView, PrinterFileView, PrinterStatus, PrinterView,
};
use app::views::settings::RuntimeSettings;
use app::views::system::Health;
use app::views::tags::TagView;
use axum::Json;
use axum::http::Method;
use schemars::generate::{Contract, SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use super::{Body, endpoints};

/// `GET /openapi.json`.
pub async fn get_openapi() -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(document).clone())
}

/// A schema generator for OpenAPI 3.1 (JSON Schema 2020-12, definitions
/// under `#/components/schemas/`): `Contract::Serialize` describes what the
/// server sends, `Contract::Deserialize` what it accepts (e.g. defaulted
/// fields are optional only there).
pub fn schema_generator(contract: Contract) -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    settings.contract = contract;
    SchemaGenerator::new(settings)
}

/// The `$ref` schema of a named shared type, or `None` for an unknown name.
pub fn schema_ref(generator: &mut SchemaGenerator, name: &str) -> Option<Value> {
    let schema = match name {
        "Health" => generator.subschema_for::<Health>(),
        "Page<ModelCard>" => generator.subschema_for::<Page<ModelCard>>(),
        "ModelDetail" => generator.subschema_for::<ModelDetail>(),
        "ModelExport" => generator.subschema_for::<ModelExport>(),
        "VaultStats" => generator.subschema_for::<VaultStats>(),
        "Facets" => generator.subschema_for::<Facets>(),
        "TrashItem" => generator.subschema_for::<TrashItem>(),
        "Purged" => generator.subschema_for::<Purged>(),
        "OfflineManifest" => generator.subschema_for::<OfflineManifest>(),
        "IngestOutcome" => generator.subschema_for::<IngestOutcome>(),
        "JobView" => generator.subschema_for::<JobView>(),
        "CollectionNode" => generator.subschema_for::<CollectionNode>(),
        "CollectionDeleted" => generator.subschema_for::<CollectionDeleted>(),
        "TagView" => generator.subschema_for::<TagView>(),
        "ListModelsParams" => generator.subschema_for::<ListModelsParams>(),
        "UpdateModelParams" => generator.subschema_for::<UpdateModelParams>(),
        "UpdateRevisionParams" => generator.subschema_for::<UpdateRevisionParams>(),
        "ListJobsParams" => generator.subschema_for::<ListJobsParams>(),
        "QueueJobParams" => generator.subschema_for::<QueueJobParams>(),
        "CreateCollectionParams" => generator.subschema_for::<CreateCollectionParams>(),
        "UpdateCollectionParams" => generator.subschema_for::<UpdateCollectionParams>(),
        "TagNameParams" => generator.subschema_for::<TagNameParams>(),
        "TagModelsParams" => generator.subschema_for::<TagModelsParams>(),
        "MergeTagParams" => generator.subschema_for::<MergeTagParams>(),
        "RuntimeSettings" => generator.subschema_for::<RuntimeSettings>(),
        "UpdateSettingsParams" => generator.subschema_for::<UpdateSettingsParams>(),
        "SetupStatus" => generator.subschema_for::<SetupStatus>(),
        "SessionInfo" => generator.subschema_for::<SessionInfo>(),
        "UserView" => generator.subschema_for::<UserView>(),
        "ApiTokenView" => generator.subschema_for::<ApiTokenView>(),
        "CreatedApiToken" => generator.subschema_for::<CreatedApiToken>(),
        "GrantView" => generator.subschema_for::<GrantView>(),
        "AuditEntry" => generator.subschema_for::<AuditEntry>(),
        "CredentialsParams" => generator.subschema_for::<CredentialsParams>(),
        "ChangePasswordParams" => generator.subschema_for::<ChangePasswordParams>(),
        "CreateTokenParams" => generator.subschema_for::<CreateTokenParams>(),
        "CreateUserParams" => generator.subschema_for::<CreateUserParams>(),
        "UpdateUserParams" => generator.subschema_for::<UpdateUserParams>(),
        "ResetPasswordParams" => generator.subschema_for::<ResetPasswordParams>(),
        "SetGrantParams" => generator.subschema_for::<SetGrantParams>(),
        "ListAuditParams" => generator.subschema_for::<ListAuditParams>(),
        "PrinterView" => generator.subschema_for::<PrinterView>(),
        "PrinterStatus" => generator.subschema_for::<PrinterStatus>(),
        "LiveMessage" => generator.subschema_for::<LiveMessage>(),
        "PrinterFileView" => generator.subschema_for::<PrinterFileView>(),
        "PrintJobView" => generator.subschema_for::<PrintJobView>(),
        "Preflight" => generator.subschema_for::<Preflight>(),
        "CreatePrinterParams" => generator.subschema_for::<CreatePrinterParams>(),
        "UpdatePrinterParams" => generator.subschema_for::<UpdatePrinterParams>(),
        "ControlParams" => generator.subschema_for::<ControlParams>(),
        "SendParams" => generator.subschema_for::<SendParams>(),
        "JobOutcomeParams" => generator.subschema_for::<JobOutcomeParams>(),
        "PreflightQuery" => generator.subschema_for::<PreflightQuery>(),
        "PrintJobsQuery" => generator.subschema_for::<PrintJobsQuery>(),
        _ => return None,
    };
    Some(schema.to_value())
}

fn response_content(generator: &mut SchemaGenerator, response: &str) -> Value {
    if response.contains('/') {
        let schema = if response.ends_with("json") {
            json!({"type": "object"})
        } else {
            json!({"type": "string", "format": "binary"})
        };
        return json!({ response: { "schema": schema } });
    }
    let schema = match response.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(item) => json!({"type": "array", "items": schema_ref(generator, item)}),
        None => schema_ref(generator, response).unwrap_or(Value::Null),
    };
    json!({ "application/json": { "schema": schema } })
}

/// Query parameters from a params type's top-level properties.
fn query_parameters(generator: &mut SchemaGenerator, name: &str) -> Vec<Value> {
    let Some(reference) = schema_ref(generator, name) else {
        return Vec::new();
    };
    let Some(def) = reference["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
    else {
        return Vec::new();
    };
    let definitions = generator.definitions();
    let Some(props) = definitions
        .get(&def)
        .and_then(|d| d.get("properties"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(prop, schema)| {
            json!({
                "name": prop,
                "in": "query",
                "required": false,
                "description": schema.get("description").cloned().unwrap_or(Value::Null),
                "schema": schema,
            })
        })
        .collect()
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer", "format": "int32", "minimum": 1}})
        })
        .collect()
}

fn request_body(generator: &mut SchemaGenerator, body: Body) -> Option<Value> {
    match body {
        Body::None => None,
        Body::Json(name) => Some(json!({
            "required": true,
            "content": {"application/json": {"schema": schema_ref(generator, name)}}
        })),
        Body::Upload(fields) => {
            let mut props = Map::new();
            props.insert("file".into(), json!({"type": "string", "format": "binary", "description": "The file (STL, OBJ, 3MF, G-code, .bgcode, .gcode.3mf); its name decides the type."}));
            for field in fields {
                props.insert((*field).into(), json!({"type": "string"}));
            }
            Some(json!({
                "required": true,
                "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": props}}}
            }))
        }
    }
}

fn error_responses(method: &Method, has_id: bool, body: Body) -> Map<String, Value> {
    let envelope = json!({"$ref": "#/components/responses/Error"});
    let mut out = Map::new();
    out.insert("401".into(), envelope.clone());
    if has_id {
        out.insert("404".into(), envelope.clone());
    }
    if *method != Method::GET || body != Body::None {
        out.insert("409".into(), envelope.clone());
        out.insert("422".into(), envelope.clone());
    }
    if matches!(body, Body::Upload(_)) {
        out.insert("413".into(), envelope.clone());
    }
    out.insert("500".into(), envelope);
    out
}

/// Builds the whole document.
pub fn document() -> Value {
    let mut generator = schema_generator(Contract::Serialize);
    let mut requests = schema_generator(Contract::Deserialize);
    let mut paths = Map::new();
    for e in endpoints() {
        let mut op = Map::new();
        op.insert("summary".into(), json!(e.summary));
        op.insert("tags".into(), json!([e.tag]));
        op.insert(
            "operationId".into(),
            json!(format!("{} {}", e.method.as_str().to_lowercase(), e.path)),
        );
        let mut params = path_parameters(e.path);
        if let Some(query) = e.query {
            params.extend(query_parameters(&mut requests, query));
        }
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = request_body(&mut requests, e.body) {
            op.insert("requestBody".into(), body);
        }
        let mut responses = error_responses(&e.method, e.path.contains('{'), e.body);
        let mut ok = Map::new();
        ok.insert("description".into(), json!(e.summary));
        if let Some(response) = e.response {
            ok.insert("content".into(), response_content(&mut generator, response));
        }
        responses.insert(e.status.to_string(), Value::Object(ok));
        op.insert("responses".into(), Value::Object(responses));
        let entry = paths
            .entry(format!("/api/v1{}", e.path))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(e.method.as_str().to_lowercase(), Value::Object(op));
        }
    }
    // Params types are only requests and views only responses; the enums both
    // use are the same either way.
    let mut schemas: Map<String, Value> = requests.take_definitions(true).into_iter().collect();
    schemas.extend(generator.take_definitions(true));
    schemas.insert(
        "ErrorBody".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ["not_found", "conflict", "invalid", "unauthenticated", "forbidden", "too_large", "unavailable", "transport", "internal"]},
                    "message": {"type": "string", "description": "What went wrong, in words a user can act on."},
                    "field": {"type": ["string", "null"], "description": "The input at fault, if one is."}
                }
            }}
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "PrintStash API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "REST API of a PrintStash vault. Authenticate with an API token (make one under Settings → API tokens or POST /api/v1/auth/tokens) sent as `Authorization: Bearer …` or `X-Api-Key`, or with the session cookie set by POST /api/v1/auth/login (writes then need a same-site Origin header)."
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "session": {"type": "apiKey", "in": "cookie", "name": "printstash_session"}
            },
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}},
            "schemas": schemas
        },
        "security": [{"bearer": []}, {"apiKey": []}, {"session": []}],
        "paths": paths
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_names_known_schemas() {
        let mut generator = schema_generator(Contract::Serialize);
        for e in endpoints() {
            let names = [
                e.query,
                e.response.filter(|r| !r.contains('/')),
                match e.body {
                    Body::Json(n) => Some(n),
                    _ => None,
                },
            ];
            for name in names.into_iter().flatten() {
                let bare = name.trim_start_matches('[').trim_end_matches(']');
                assert!(
                    schema_ref(&mut generator, bare).is_some(),
                    "{} {}: unknown schema {name}",
                    e.method,
                    e.path
                );
            }
        }
    }

    #[test]
    fn document_lists_every_endpoint_once_with_resolvable_refs() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        let count: usize = paths
            .values()
            .map(|m| m.as_object().map_or(0, |m| m.len()))
            .sum();
        assert_eq!(count, endpoints().len());
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let text = doc.to_string();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            assert!(schemas.contains_key(name), "dangling $ref {name}");
        }
        let query: Vec<&str> = doc["paths"]["/api/v1/models"]["get"]["parameters"]
            .as_array()
            .expect("browse parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for expected in ["q", "collection_id", "tags", "sort", "cursor", "limit"] {
            assert!(
                query.contains(&expected),
                "GET /models lacks query parameter {expected}: {query:?}"
            );
        }
    }
}
