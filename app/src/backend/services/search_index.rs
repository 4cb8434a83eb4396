//! The full-text index `model_search` (ADR 0005): each model's searchable words, refreshed inside the writer's transaction, and the safe prefix query browse filters by.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};

use crate::backend::db::entities::{file_metadata, files, model_tags, models, tags};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;

/// The index table (created by migration `m20261127_000003_model_search`).
const TABLE: &str = "model_search";
/// Longest word kept, in characters — in the index and in queries alike, so a
/// long query word still matches as a prefix of the stored one.
const MAX_WORD_CHARS: usize = 64;
/// Words of a search beyond this many are ignored (bounds the query's cost).
const MAX_QUERY_WORDS: usize = 16;
/// Models refreshed per batch (keeps bound-parameter counts small).
const BATCH: usize = 500;

/// The words of `text`: runs of letters and digits, lowercased and truncated.
/// Everything else — punctuation, quotes, `*`, `:`, underscores, dots in
/// filenames — separates words, so no input can reach the engine's query
/// syntax and `Voron_Cube-v2.stl` indexes as `voron cube v2 stl` on both
/// engines (PostgreSQL's parser would otherwise keep it as one "file" token).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_WORD_CHARS).collect())
}

/// The index body for `texts`: their words, each kept once, space-separated.
fn body<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = HashSet::new();
    let mut out = String::new();
    for word in texts.into_iter().flat_map(words) {
        if seen.insert(word.clone()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&word);
        }
    }
    out
}

/// The distinct words of a search, at most [`MAX_QUERY_WORDS`].
fn query_words(q: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    words(q)
        .filter(|w| seen.insert(w.clone()))
        .take(MAX_QUERY_WORDS)
        .collect()
}

/// FTS5 MATCH text: every word a quoted prefix phrase (`"vor"* "cube"*`),
/// which FTS5 ANDs. Words hold only letters and digits, so the quotes cannot
/// be broken out of and `AND`/`OR`/`NOT` are plain words.
fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// PostgreSQL `to_tsquery` text: every word a prefix, all ANDed
/// (`vor:* & cube:*`); words hold only letters and digits, so none of the
/// tsquery operators can appear.
fn tsquery(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The browse condition for search text `q`: `models.id IN (SELECT model_id
/// FROM model_search WHERE <every word matches as a prefix>)`, so it composes
/// with the other filters, keyset pagination and counts. `None` when `q` has
/// no words (empty or only punctuation): no search filter at all.
pub fn matching(backend: DbBackend, q: &str) -> Option<SimpleExpr> {
    let words = query_words(q);
    if words.is_empty() {
        return None;
    }
    let predicate = match backend {
        DbBackend::Postgres => {
            Expr::cust_with_values("\"tsv\" @@ to_tsquery('simple', $1)", [tsquery(&words)])
        }
        // SQLite (the only other engine the vault runs on).
        _ => Expr::cust_with_values("\"model_search\" MATCH ?", [fts5_query(&words)]),
    };
    Some(
        models::Column::Id.in_subquery(
            Query::select()
                // SQLite: the rowid, read from the FTS5 index itself; the
                // UNINDEXED model_id column would cost a content-table read per hit.
                .column(Alias::new(key_column(backend)))
                .from(Alias::new(TABLE))
                .and_where(predicate)
                .to_owned(),
        ),
    )
}

/// Recomputes the index row of one model inside `db` (call it in the same
/// transaction as the change); a model that no longer exists loses its row.
pub async fn refresh(db: &impl ConnectionTrait, model_id: i32) -> Result<(), ServiceError> {
    refresh_many(db, &[model_id]).await
}

/// [`refresh`] for many models, in batches of a few queries each.
pub async fn refresh_many(
    db: &impl ConnectionTrait,
    model_ids: &[i32],
) -> Result<(), ServiceError> {
    let mut ids = model_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(BATCH) {
        refresh_chunk(db, chunk).await?;
    }
    Ok(())
}

/// Deletes the index row of a model (FTS5 has no foreign keys; on PostgreSQL
/// the row would cascade, deleting it here keeps both engines alike).
pub async fn remove(db: &impl ConnectionTrait, model_id: i32) -> Result<(), ServiceError> {
    delete_rows(db, &[model_id]).await
}

/// The column that identifies a model's row: SQLite's rowid (the FTS5 table's
/// only indexed key; `model_id` is stored alongside but UNINDEXED), else
/// `model_id`, the primary key.
fn key_column(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "model_id",
        _ => "rowid",
    }
}

async fn delete_rows(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), ServiceError> {
    let key = key_column(db.get_database_backend());
    db.execute(
        Query::delete()
            .from_table(Alias::new(TABLE))
            .and_where(Expr::col(Alias::new(key)).is_in(ids.iter().copied())),
    )
    .await?;
    Ok(())
}

async fn refresh_chunk(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), ServiceError> {
    // Delete first: on PostgreSQL this waits for a concurrent writer of the
    // same rows to commit, so the reads below see its changes (SQLite writers
    // are serialised by the write gate anyway).
    delete_rows(db, ids).await?;
    let rows: Vec<(i32, String, String)> = models::Entity::find()
        .select_only()
        .columns([
            models::Column::Id,
            models::Column::Name,
            models::Column::Description,
        ])
        .filter(models::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut texts: HashMap<i32, Vec<String>> = rows
        .into_iter()
        .map(|(id, name, description)| (id, vec![name, description]))
        .collect();

    let mut tag_query = model_tags::Entity::find()
        .select_only()
        .column(model_tags::Column::ModelId)
        .column(tags::Column::Name)
        .filter(model_tags::Column::ModelId.is_in(ids.iter().copied()));
    QueryTrait::query(&mut tag_query).inner_join(
        tags::Entity,
        Expr::col((tags::Entity, tags::Column::Id))
            .equals((model_tags::Entity, model_tags::Column::TagId)),
    );
    let tag_rows: Vec<(i32, String)> = tag_query.into_tuple().all(db).await?;
    for (model_id, name) in tag_rows {
        if let Some(parts) = texts.get_mut(&model_id) {
            parts.push(name);
        }
    }

    // Live artifacts only: a trashed file's name or slicer no longer finds the model.
    let mut file_query = files::Entity::find()
        .select_only()
        .column(files::Column::ModelId)
        .column(files::Column::OriginalFilename)
        .columns([
            file_metadata::Column::SlicerName,
            file_metadata::Column::PrinterModel,
            file_metadata::Column::MaterialType,
            file_metadata::Column::MaterialBrand,
        ])
        .filter(files::Column::ModelId.is_in(ids.iter().copied()))
        .filter(scopes::live::<files::Entity>());
    QueryTrait::query(&mut file_query).left_join(
        file_metadata::Entity,
        Expr::col((file_metadata::Entity, file_metadata::Column::FileId))
            .equals((files::Entity, files::Column::Id)),
    );
    type FileRow = (
        i32,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let file_rows: Vec<FileRow> = file_query.into_tuple().all(db).await?;
    for (model_id, filename, slicer, printer, material, brand) in file_rows {
        if let Some(parts) = texts.get_mut(&model_id) {
            parts.push(filename);
            parts.extend([slicer, printer, material, brand].into_iter().flatten());
        }
    }

    if texts.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut insert = Query::insert();
    insert.into_table(Alias::new(TABLE));
    let postgres = backend == DbBackend::Postgres;
    if postgres {
        insert.columns([Alias::new("model_id"), Alias::new("body")]);
    } else {
        insert.columns([
            Alias::new("rowid"),
            Alias::new("model_id"),
            Alias::new("body"),
        ]);
    }
    for (model_id, parts) in &texts {
        let text = body(parts.iter().map(String::as_str));
        let mut values: Vec<SimpleExpr> = Vec::with_capacity(3);
        if !postgres {
            values.push((*model_id).into());
        }
        values.push((*model_id).into());
        values.push(text.into());
        insert
            .values(values)
            .map_err(|err| ServiceError::Internal(format!("search index insert: {err}")))?;
    }
    if postgres {
        // A concurrent first-time refresh of the same model may have inserted
        // its row meanwhile; the later writer's body wins. (FTS5 tables take
        // no ON CONFLICT, and SQLite has no concurrent writers.)
        insert.on_conflict(
            OnConflict::column(Alias::new("model_id"))
                .update_column(Alias::new("body"))
                .to_owned(),
        );
    }
    db.execute(&insert).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Vec<String> {
        query_words(text)
    }

    #[test]
    fn words_split_filenames_and_lowercase() {
        let got: Vec<String> = words("Voron_Cube-v2.STL").collect();
        assert_eq!(got, ["voron", "cube", "v2", "stl"]);
    }

    #[test]
    fn body_keeps_each_word_once() {
        assert_eq!(
            body(["Benchy benchy", "3DBenchy.gcode", ""]),
            "benchy 3dbenchy gcode"
        );
    }

    #[test]
    fn hostile_input_becomes_plain_words_or_nothing() {
        assert!(q("").is_empty());
        assert!(q("\"*':*\\()^-+").is_empty());
        assert_eq!(fts5_query(&q("\"vor\" OR x*")), "\"vor\"* \"or\"* \"x\"*");
        assert_eq!(tsquery(&q("a:* & !b | c'")), "a:* & b:* & c:*");
        assert_eq!(q("NOT not Not"), ["not"]);
    }

    #[test]
    fn long_queries_are_bounded() {
        let text = (0..100)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(q(&text).len(), MAX_QUERY_WORDS);
        let long = "x".repeat(500);
        assert_eq!(q(&long)[0].chars().count(), MAX_WORD_CHARS);
    }

    #[test]
    fn empty_search_adds_no_filter() {
        assert!(matching(DbBackend::Sqlite, "  ").is_none());
        assert!(matching(DbBackend::Postgres, "--").is_none());
        assert!(matching(DbBackend::Sqlite, "vor").is_some());
    }
}
