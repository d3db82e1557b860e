//! `zorgsignaal migrate` on a fresh SQLite path creates the database; a second run changes nothing.

use std::process::Command;

fn migrate(config: &std::path::Path, url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zorgsignaal"))
        .args(["--config", config.to_str().expect("utf-8 path"), "migrate"])
        .env("ZORGSIGNAAL__STORE__URL", url)
        .output()
        .expect("run zorgsignaal migrate")
}

#[test]
fn migrate_creates_the_database_and_a_second_run_is_a_no_op() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("nieuw").join("zorgsignaal.sqlite");
    let url = format!("sqlite://{}", db.display());
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/zorgsignaal.toml");

    let first = migrate(&config, &url);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(db.exists(), "the database file was created");
    let has_migrations =
        String::from_utf8_lossy(&std::fs::read(&db).expect("read db")).contains("_sqlx_migrations");
    assert!(has_migrations, "the migration table exists");

    let second = migrate(&config, &url);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let applied: i64 = rt.block_on(async {
        let store = zorgsignaal::store::open(&url).await.expect("open");
        drop(store);
        let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .expect("count");
        n
    });
    let files = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .expect("migrations")
        .count();
    assert_eq!(
        applied as usize, files,
        "each migration applied exactly once after two runs"
    );
}
