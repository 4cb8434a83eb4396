//! Browse: server-side filters (collection with descendants, tags, kind,
//! has-G-code, outcome), full-text search (`search_index`), sort and keyset
//! (cursor) pagination over live models. Every filter is part of the query,
//! so pages and counts stay right.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};

use crate::backend::auth::Actor;
use crate::backend::db::entities::{files, model_tags, models, tags};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::models::{ListModelsParams, ModelSort, SortOrder};
use crate::views::models::{FacetCount, Facets, FileKind, ModelCard, Outcome, Page, TagRef};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

/// The position after the last item of a page.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    /// Sort value of the last item (text, integer or timestamp as text).
    v: CursorValue,
    /// Id of the last item (tie-breaker).
    id: i32,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum CursorValue {
    Int(i64),
    Text(String),
}

fn encode_cursor(cursor: &Cursor) -> String {
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    json.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(text: &str) -> Result<Cursor, ServiceError> {
    let invalid = || ServiceError::Invalid {
        field: "cursor",
        reason: "The page cursor is not valid; start from the first page.".into(),
    };
    if !text.len().is_multiple_of(2) || text.len() > 2048 {
        return Err(invalid());
    }
    let bytes: Result<Vec<u8>, _> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2).unwrap_or("zz"), 16))
        .collect();
    serde_json::from_slice(&bytes.map_err(|_| invalid())?).map_err(|_| invalid())
}

fn sort_column(sort: ModelSort) -> models::Column {
    match sort {
        ModelSort::Created => models::Column::CreatedAt,
        ModelSort::Updated => models::Column::UpdatedAt,
        ModelSort::Name => models::Column::Name,
        ModelSort::Size => models::Column::TotalSizeBytes,
        ModelSort::PrintTime => models::Column::PrintTimeS,
    }
}

/// The sort key as an expression; NULL print times sort as -1 so keyset
/// comparisons stay total.
fn sort_expr(sort: ModelSort) -> SimpleExpr {
    match sort {
        ModelSort::PrintTime => {
            Func::coalesce([Expr::col(models::Column::PrintTimeS), Expr::val(-1i64)]).into()
        }
        ModelSort::Name => Func::lower(Expr::col(models::Column::Name)).into(),
        other => Expr::col(sort_column(other)),
    }
}

/// The cursor value of `model`: exactly the sort key the database computes
/// (SQLite's `lower()` folds ASCII only, PostgreSQL's all of Unicode), so the
/// next page starts where this one ended.
fn cursor_value(model: &models::Model, sort: ModelSort, backend: DbBackend) -> CursorValue {
    match sort {
        ModelSort::Created => CursorValue::Text(
            model
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
        ModelSort::Updated => CursorValue::Text(
            model
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
        ModelSort::Name => CursorValue::Text(match backend {
            DbBackend::Postgres => model.name.to_lowercase(),
            _ => model.name.to_ascii_lowercase(),
        }),
        ModelSort::Size => CursorValue::Int(model.total_size_bytes),
        ModelSort::PrintTime => CursorValue::Int(model.print_time_s.unwrap_or(-1)),
    }
}

fn cursor_sql_value(value: &CursorValue, sort: ModelSort) -> Result<SimpleExpr, ServiceError> {
    Ok(match (value, sort) {
        (CursorValue::Text(t), ModelSort::Created | ModelSort::Updated) => {
            let at = chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| ServiceError::Invalid {
                    field: "cursor",
                    reason: "The page cursor is not valid.".into(),
                })?
                .with_timezone(&chrono::Utc);
            Expr::val(at)
        }
        (CursorValue::Text(t), ModelSort::Name) => Expr::val(t.clone()),
        (CursorValue::Int(n), ModelSort::Size | ModelSort::PrintTime) => Expr::val(*n),
        _ => {
            return Err(ServiceError::Invalid {
                field: "cursor",
                reason: "The page cursor belongs to another sort.".into(),
            });
        }
    })
}

/// The WHERE clause shared by the page query (and later the facets).
async fn filters(
    state: &AppState,
    actor: &Actor,
    params: &ListModelsParams,
) -> Result<Condition, ServiceError> {
    let mut cond = Condition::all().add(scopes::live::<models::Entity>());
    // Only what the caller may see: part of the query, so pages and counts agree.
    if let Some(visible) = actor.visible_in(models::Column::CollectionId) {
        cond = cond.add(visible);
    }
    if let Some(cid) = params.collection_id {
        let ids = if params.direct {
            vec![cid]
        } else {
            super::collections::descendant_ids(&state.db, cid).await?
        };
        cond = cond.add(models::Column::CollectionId.is_in(ids));
    }
    for tag in &params.tags {
        cond = cond.add(
            models::Column::Id.in_subquery(
                model_tags::Entity::find()
                    .select_only()
                    .column(model_tags::Column::ModelId)
                    .filter(model_tags::Column::TagId.eq(*tag))
                    .into_query(),
            ),
        );
    }
    if let Some(kind) = params.kind {
        cond = cond.add(
            models::Column::Id.in_subquery(
                files::Entity::find()
                    .select_only()
                    .column(files::Column::ModelId)
                    .filter(scopes::live::<files::Entity>())
                    .filter(files::Column::Kind.eq(kind.as_str()))
                    .into_query(),
            ),
        );
    }
    if let Some(has) = params.has_gcode {
        cond = cond.add(models::Column::HasGcode.eq(has));
    }
    if params.starred {
        cond = cond.add(super::stars::starred_by(actor));
    }
    if let Some(outcome) = params.outcome {
        cond = cond.add(
            models::Column::Id.in_subquery(
                files::Entity::find()
                    .select_only()
                    .column(files::Column::ModelId)
                    .filter(scopes::live::<files::Entity>())
                    .filter(files::Column::IsRecommended.eq(true))
                    .filter(files::Column::RevisionStatus.eq(outcome.as_str()))
                    .into_query(),
            ),
        );
    }
    // Full-text search: every word must match a word of the model's name,
    // description, tags, live filenames or slicer fields as a prefix (no LIKE
    // fallback: the index covers every searched field).
    if let Some(search) = params
        .q
        .as_deref()
        .and_then(|q| super::search_index::matching(state.db.get_database_backend(), q))
    {
        cond = cond.add(search);
    }
    Ok(cond)
}

#[derive(FromQueryResult)]
struct FileCount {
    model_id: i32,
    n: i64,
}

/// One page of live models matching `params`.
pub async fn list_models(
    state: &AppState,
    actor: &Actor,
    params: &ListModelsParams,
) -> Result<Page<ModelCard>, ServiceError> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let sort = params.sort;
    let order = params.order.unwrap_or(if sort == ModelSort::Name {
        SortOrder::Asc
    } else {
        SortOrder::Desc
    });
    let mut cond = filters(state, actor, params).await?;
    if let Some(text) = &params.cursor {
        let cursor = decode_cursor(text)?;
        let value = cursor_sql_value(&cursor.v, sort)?;
        let key = sort_expr(sort);
        let after = match order {
            SortOrder::Asc => Condition::any().add(key.clone().gt(value.clone())).add(
                Condition::all()
                    .add(key.eq(value))
                    .add(models::Column::Id.gt(cursor.id)),
            ),
            SortOrder::Desc => Condition::any().add(key.clone().lt(value.clone())).add(
                Condition::all()
                    .add(key.eq(value))
                    .add(models::Column::Id.lt(cursor.id)),
            ),
        };
        cond = cond.add(after);
    }
    let direction = match order {
        SortOrder::Asc => sea_orm::Order::Asc,
        SortOrder::Desc => sea_orm::Order::Desc,
    };
    let rows = models::Entity::find()
        .filter(cond)
        .order_by(sort_expr(sort), direction.clone())
        .order_by(models::Column::Id, direction)
        .limit(u64::from(limit) + 1)
        .all(&state.db)
        .await?;
    let has_more = rows.len() > limit as usize;
    let rows: Vec<models::Model> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if has_more {
        rows.last().map(|m| {
            encode_cursor(&Cursor {
                v: cursor_value(m, sort, state.db.get_database_backend()),
                id: m.id,
            })
        })
    } else {
        None
    };
    let items = cards(state, actor, &rows).await?;
    Ok(Page { items, next_cursor })
}

/// Browse cards for `rows`, with file counts, recommended outcome and tags
/// fetched in three batched queries.
pub async fn cards(
    state: &AppState,
    actor: &Actor,
    rows: &[models::Model],
) -> Result<Vec<ModelCard>, ServiceError> {
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let counts: HashMap<i32, u32> = files::Entity::find()
        .select_only()
        .column(files::Column::ModelId)
        .column_as(Expr::from(Func::count(Expr::col(files::Column::Id))), "n")
        .filter(files::Column::ModelId.is_in(ids.clone()))
        .filter(scopes::live::<files::Entity>())
        .group_by(files::Column::ModelId)
        .into_model::<FileCount>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.model_id, Ord::max(c.n, 0) as u32))
        .collect();
    let outcomes: HashMap<i32, Outcome> = files::Entity::find()
        .filter(files::Column::ModelId.is_in(ids.clone()))
        .filter(scopes::live::<files::Entity>())
        .filter(files::Column::IsRecommended.eq(true))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|f| Some((f.model_id, Outcome::parse(f.revision_status.as_deref()?)?)))
        .collect();
    let starred = super::stars::starred_among(&state.db, actor, &ids).await?;
    let links = model_tags::Entity::find()
        .filter(model_tags::Column::ModelId.is_in(ids))
        .all(&state.db)
        .await?;
    let tag_ids: Vec<i32> = links.iter().map(|l| l.tag_id).collect();
    let tag_names: HashMap<i32, String> = tags::Entity::find()
        .filter(tags::Column::Id.is_in(tag_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut tags_by_model: HashMap<i32, Vec<TagRef>> = HashMap::new();
    for link in links {
        if let Some(name) = tag_names.get(&link.tag_id) {
            tags_by_model
                .entry(link.model_id)
                .or_default()
                .push(TagRef {
                    id: link.tag_id,
                    name: name.clone(),
                });
        }
    }
    Ok(rows
        .iter()
        .map(|m| ModelCard {
            starred: starred.contains(&m.id),
            ..ModelCard::build(
                m,
                counts.get(&m.id).copied().unwrap_or(0),
                outcomes.get(&m.id).copied(),
                tags_by_model.remove(&m.id).unwrap_or_default(),
            )
        })
        .collect())
}

/// Facet counts under the same filters and search as [`list_models`]
/// (the cursor, sort and limit do not apply).
pub async fn facets(
    state: &AppState,
    actor: &Actor,
    params: &ListModelsParams,
) -> Result<Facets, ServiceError> {
    let cond = filters(state, actor, params).await?;
    let matching = || {
        models::Entity::find()
            .select_only()
            .column(models::Column::Id)
            .filter(cond.clone())
            .into_query()
    };
    let count_models = || {
        Expr::from(Func::count_distinct(Expr::col((
            models::Entity,
            models::Column::Id,
        ))))
    };
    let total =
        sea_orm::PaginatorTrait::count(models::Entity::find().filter(cond.clone()), &state.db)
            .await?;

    let kinds: Vec<(String, i64)> = files::Entity::find()
        .select_only()
        .column(files::Column::Kind)
        .column_as(
            Expr::from(Func::count_distinct(Expr::col(files::Column::ModelId))),
            "n",
        )
        .filter(scopes::live::<files::Entity>())
        .filter(files::Column::ModelId.in_subquery(matching()))
        .group_by(files::Column::Kind)
        .into_tuple()
        .all(&state.db)
        .await?;
    let outcomes: Vec<(Option<String>, i64)> = files::Entity::find()
        .select_only()
        .column(files::Column::RevisionStatus)
        .column_as(
            Expr::from(Func::count_distinct(Expr::col(files::Column::ModelId))),
            "n",
        )
        .filter(scopes::live::<files::Entity>())
        .filter(files::Column::IsRecommended.eq(true))
        .filter(files::Column::ModelId.in_subquery(matching()))
        .group_by(files::Column::RevisionStatus)
        .into_tuple()
        .all(&state.db)
        .await?;
    let tag_counts: Vec<(i32, i64)> = model_tags::Entity::find()
        .select_only()
        .column(model_tags::Column::TagId)
        .column_as(
            Expr::from(Func::count(Expr::col(model_tags::Column::ModelId))),
            "n",
        )
        .filter(model_tags::Column::ModelId.in_subquery(matching()))
        .group_by(model_tags::Column::TagId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let collection_counts: Vec<(Option<i32>, i64)> = models::Entity::find()
        .select_only()
        .column(models::Column::CollectionId)
        .column_as(count_models(), "n")
        .filter(cond.clone())
        .group_by(models::Column::CollectionId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let gcode_counts: Vec<(bool, i64)> = models::Entity::find()
        .select_only()
        .column(models::Column::HasGcode)
        .column_as(count_models(), "n")
        .filter(cond)
        .group_by(models::Column::HasGcode)
        .into_tuple()
        .all(&state.db)
        .await?;

    let tag_names: HashMap<i32, String> = tags::Entity::find()
        .filter(tags::Column::Id.is_in(tag_counts.iter().map(|(id, _)| *id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let collection_names: HashMap<i32, String> =
        crate::backend::db::entities::collections::Entity::find()
            .filter(
                crate::backend::db::entities::collections::Column::Id
                    .is_in(collection_counts.iter().filter_map(|(id, _)| *id)),
            )
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
    let n = |count: i64| u64::try_from(count).unwrap_or(0);
    let by_count = |mut v: Vec<FacetCount>| {
        v.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.label.to_lowercase().cmp(&b.label.to_lowercase()))
        });
        v
    };
    Ok(Facets {
        total,
        kinds: by_count(
            kinds
                .into_iter()
                .filter_map(|(kind, c)| {
                    Some(FacetCount {
                        label: FileKind::parse(&kind)?.label().to_owned(),
                        value: kind,
                        count: n(c),
                    })
                })
                .collect(),
        ),
        outcomes: by_count(
            outcomes
                .into_iter()
                .filter_map(|(status, c)| {
                    let outcome = Outcome::parse(status.as_deref()?)?;
                    Some(FacetCount {
                        value: outcome.as_str().to_owned(),
                        label: outcome.label().to_owned(),
                        count: n(c),
                    })
                })
                .collect(),
        ),
        tags: by_count(
            tag_counts
                .into_iter()
                .filter_map(|(id, c)| {
                    Some(FacetCount {
                        value: id.to_string(),
                        label: tag_names.get(&id)?.clone(),
                        count: n(c),
                    })
                })
                .collect(),
        ),
        collections: by_count(
            collection_counts
                .into_iter()
                .map(|(id, c)| FacetCount {
                    value: id.map(|i| i.to_string()).unwrap_or_default(),
                    label: id
                        .and_then(|i| collection_names.get(&i).cloned())
                        .unwrap_or_default(),
                    count: n(c),
                })
                .collect(),
        ),
        has_gcode: by_count(
            gcode_counts
                .into_iter()
                .map(|(has, c)| FacetCount {
                    value: has.to_string(),
                    label: if has { "With G-code" } else { "Meshes only" }.to_owned(),
                    count: n(c),
                })
                .collect(),
        ),
    })
}
