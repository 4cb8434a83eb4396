//! Every migration applies, rolls back and re-applies on SQLite and on the
//! real PostgreSQL server.

mod support;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};
use support::{Engine, TestDb};

async fn up_down_up(engine: Engine) {
    let Some(test) = TestDb::empty(engine).await else {
        return;
    };
    let db = &test.db;
    Migrator::up(db, None).await.expect("migrate up");
    let applied = Migrator::get_applied_migrations(db)
        .await
        .expect("list applied");
    assert_eq!(applied.len(), Migrator::migrations().len());
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("pending")
            .is_empty()
    );

    // The schema is really there: write and read a row of the first table.
    db.execute_unprepared(
        "INSERT INTO runtime_settings (key, value, updated_at) VALUES ('probe', '1', CURRENT_TIMESTAMP)",
    )
    .await
    .expect("insert into runtime_settings");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM runtime_settings",
        ))
        .await
        .expect("count")
        .expect("one row");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1);

    Migrator::down(db, None).await.expect("migrate down");
    assert_eq!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("pending")
            .len(),
        Migrator::migrations().len()
    );
    Migrator::up(db, None).await.expect("migrate up again");
    test.finish().await;
}

#[tokio::test]
async fn migrations_apply_roll_back_and_reapply_on_sqlite() {
    up_down_up(Engine::Sqlite).await;
}

#[tokio::test]
async fn migrations_apply_roll_back_and_reapply_on_postgres() {
    up_down_up(Engine::Postgres).await;
}
