//! Full-text search over models (ADR 0005): `model_search` holds one row per
//! model whose `body` is the normalised words of its name, description, tag
//! names, live artifact filenames and slicer fields. SQLite: an FTS5 virtual
//! table (rowid = model id); PostgreSQL: a table with a generated `tsvector`
//! ('simple' configuration, no stemming) and a GIN index. Existing models are
//! indexed here; the application keeps the rows current afterwards.

use std::collections::{BTreeMap, HashSet};

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Models indexed per batch during the backfill.
const BATCH: u64 = 500;
/// Longest word kept, in characters (the app truncates query words alike).
const MAX_WORD_CHARS: usize = 64;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                // FTS5 has no foreign keys: the app deletes the row with the model.
                conn.execute_unprepared(
                    "CREATE VIRTUAL TABLE model_search USING fts5(\
                     model_id UNINDEXED, body, \
                     tokenize = 'unicode61 remove_diacritics 2')",
                )
                .await?;
            }
            DbBackend::Postgres => {
                conn.execute_unprepared(
                    "CREATE TABLE model_search (\
                     model_id integer PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE, \
                     body text NOT NULL, \
                     tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)",
                )
                .await?;
                conn.execute_unprepared(
                    "CREATE INDEX ix_model_search_tsv ON model_search USING GIN (tsv)",
                )
                .await?;
            }
            other => {
                return Err(DbErr::Migration(format!(
                    "full-text search is not available on {other:?}"
                )));
            }
        }
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS model_search")
            .await?;
        Ok(())
    }
}

/// The searchable words of `texts`: runs of letters and digits, lowercased,
/// truncated, each kept once. Mirrors `search_index::body` in the app as it
/// was when this migration was written (migrations are frozen history).
fn body<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = HashSet::new();
    let mut out = String::new();
    for text in texts {
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let word: String = word.to_lowercase().chars().take(MAX_WORD_CHARS).collect();
            if seen.insert(word.clone()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&word);
            }
        }
    }
    out
}

/// Indexes every existing model (live or trashed), in id-ordered batches.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let sqlite = manager.get_database_backend() == DbBackend::Sqlite;
    let mut after = 0i32;
    loop {
        let rows = conn
            .query_all(
                Query::select()
                    .columns([Models::Id, Models::Name, Models::Description])
                    .from(Models::Table)
                    .and_where(Expr::col(Models::Id).gt(after))
                    .order_by(Models::Id, Order::Asc)
                    .limit(BATCH),
            )
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut texts: BTreeMap<i32, Vec<String>> = BTreeMap::new();
        for row in &rows {
            let id: i32 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let description: String = row.try_get("", "description")?;
            texts.insert(id, vec![name, description]);
        }
        let (Some(&first), Some(&last)) = (texts.keys().next(), texts.keys().next_back()) else {
            return Ok(());
        };
        after = last;

        let tag_rows = conn
            .query_all(
                Query::select()
                    .column((ModelTags::Table, ModelTags::ModelId))
                    .column((Tags::Table, Tags::Name))
                    .from(ModelTags::Table)
                    .inner_join(
                        Tags::Table,
                        Expr::col((Tags::Table, Tags::Id))
                            .equals((ModelTags::Table, ModelTags::TagId)),
                    )
                    .and_where(
                        Expr::col((ModelTags::Table, ModelTags::ModelId)).between(first, last),
                    ),
            )
            .await?;
        for row in &tag_rows {
            let id: i32 = row.try_get("", "model_id")?;
            let name: String = row.try_get("", "name")?;
            if let Some(parts) = texts.get_mut(&id) {
                parts.push(name);
            }
        }

        // Live artifacts only: a trashed file's name no longer finds its model.
        let file_rows = conn
            .query_all(
                Query::select()
                    .column((Files::Table, Files::ModelId))
                    .column((Files::Table, Files::OriginalFilename))
                    .columns([
                        (FileMetadata::Table, FileMetadata::SlicerName),
                        (FileMetadata::Table, FileMetadata::PrinterModel),
                        (FileMetadata::Table, FileMetadata::MaterialType),
                        (FileMetadata::Table, FileMetadata::MaterialBrand),
                    ])
                    .from(Files::Table)
                    .left_join(
                        FileMetadata::Table,
                        Expr::col((FileMetadata::Table, FileMetadata::FileId))
                            .equals((Files::Table, Files::Id)),
                    )
                    .and_where(Expr::col((Files::Table, Files::ModelId)).between(first, last))
                    .and_where(Expr::col((Files::Table, Files::DeletedAt)).is_null()),
            )
            .await?;
        for row in &file_rows {
            let id: i32 = row.try_get("", "model_id")?;
            let Some(parts) = texts.get_mut(&id) else {
                continue;
            };
            parts.push(row.try_get("", "original_filename")?);
            for column in [
                "slicer_name",
                "printer_model",
                "material_type",
                "material_brand",
            ] {
                if let Some(value) = row.try_get::<Option<String>>("", column)? {
                    parts.push(value);
                }
            }
        }

        let mut insert = Query::insert();
        insert.into_table(ModelSearch::Table);
        if sqlite {
            insert.columns([ModelSearch::Rowid, ModelSearch::ModelId, ModelSearch::Body]);
        } else {
            insert.columns([ModelSearch::ModelId, ModelSearch::Body]);
        }
        for (id, parts) in &texts {
            let text = body(parts.iter().map(String::as_str));
            let values: Vec<SimpleExpr> = if sqlite {
                vec![(*id).into(), (*id).into(), text.into()]
            } else {
                vec![(*id).into(), text.into()]
            };
            insert
                .values(values)
                .map_err(|err| DbErr::Migration(err.to_string()))?;
        }
        conn.execute(&insert).await?;
    }
}

#[derive(DeriveIden)]
enum ModelSearch {
    Table,
    Rowid,
    ModelId,
    Body,
}

#[derive(DeriveIden)]
enum Models {
    Table,
    Id,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum ModelTags {
    Table,
    ModelId,
    TagId,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    ModelId,
    OriginalFilename,
    DeletedAt,
}

#[derive(DeriveIden)]
enum FileMetadata {
    Table,
    FileId,
    SlicerName,
    PrinterModel,
    MaterialType,
    MaterialBrand,
}
