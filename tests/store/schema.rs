//! The two migration folders (`migrations/sqlite`, `migrations/postgres`) must define the same
//! schema (issue 15, item 2): this migrates a fresh database on each engine, reads the resulting
//! schema back from the engine's own catalogue and compares tables, columns (name, normalised
//! type, NOT NULL), primary keys, unique keys, foreign keys (with their `ON DELETE`) and indexes
//! (name, columns, unique, partial). Types are normalised to SQLite's storage classes, because
//! that is all SQLite keeps: a PostgreSQL `DATE` or `TIMESTAMPTZ` and a SQLite `TEXT` are the same
//! column (dates and timestamps are ISO text on SQLite, see the initial migration).
//!
//! Needs `ZORGSIGNAAL_TEST_POSTGRES_URL` for the PostgreSQL half; without it the test says so and
//! only checks that the SQLite schema can be read (with `CI=true` it fails instead).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, Row};

use crate::harness::{self, Engine, POSTGRES_ENV};

/// One column: normalised type and whether it may be NULL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    kind: &'static str,
    not_null: bool,
}

/// One foreign key: local columns → referenced table and columns, with its delete action.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    references: Vec<String>,
    on_delete: String,
}

/// One explicitly created index (`CREATE [UNIQUE] INDEX name …`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

/// What one table is, engine-independently.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// Unique constraints (`UNIQUE (…)` in the table or on a column), by their column lists.
    unique: BTreeSet<Vec<String>>,
    foreign_keys: BTreeSet<ForeignKey>,
    indexes: BTreeMap<String, Index>,
}

type Schema = BTreeMap<String, Table>;

/// SQLite's declared type → storage class name.
fn sqlite_kind(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" | "BIGINT" | "INT" => "integer",
        "TEXT" => "text",
        "REAL" | "DOUBLE PRECISION" => "real",
        "BOOLEAN" => "boolean",
        "BLOB" => "blob",
        other => panic!("SQLite column type {other:?} has no mapping here: add it"),
    }
}

/// PostgreSQL's `format_type` → the SQLite storage class it is kept as.
fn postgres_kind(formatted: &str) -> &'static str {
    match formatted {
        "bigint" | "integer" | "smallint" => "integer",
        "text" | "date" | "timestamp with time zone" | "character varying" | "jsonb" | "json" => "text",
        "double precision" | "real" => "real",
        "boolean" => "boolean",
        "bytea" => "blob",
        other => panic!("PostgreSQL column type {other:?} has no mapping here: add it"),
    }
}

/// PRAGMA `on_delete` and `pg_constraint.confdeltype` spelled the same way.
fn delete_action(action: &str) -> String {
    match action {
        "a" | "NO ACTION" => "no action",
        "r" | "RESTRICT" => "restrict",
        "c" | "CASCADE" => "cascade",
        "n" | "SET NULL" => "set null",
        "d" | "SET DEFAULT" => "set default",
        other => panic!("unknown delete action {other:?}"),
    }
    .to_string()
}

async fn sqlite_schema(url: &str) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(url)
        .await
        .expect("connect sqlite");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut schema = Schema::new();
    for name in tables {
        let mut table = Table::default();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for row in sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")
            .bind(&name)
            .fetch_all(&mut conn)
            .await
            .expect("columns")
        {
            let column: String = row.get(0);
            let declared: String = row.get(1);
            let pk_pos: i64 = row.get(3);
            // A primary key column is NOT NULL on PostgreSQL; SQLite only says so for INTEGER
            // PRIMARY KEY implicitly (it is the rowid).
            let not_null = row.get::<i64, _>(2) != 0 || pk_pos > 0;
            if pk_pos > 0 {
                pk.push((pk_pos, column.clone()));
            }
            table.columns.insert(
                column,
                Column {
                    kind: sqlite_kind(&declared),
                    not_null,
                },
            );
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, c)| c).collect();

        let mut fks: BTreeMap<i64, (String, Vec<String>, Vec<String>, String)> = BTreeMap::new();
        for row in sqlx::query(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) \
             ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .expect("foreign keys")
        {
            let entry = fks
                .entry(row.get(0))
                .or_insert_with(|| (row.get(1), Vec::new(), Vec::new(), row.get::<String, _>(4)));
            entry.1.push(row.get(2));
            // `to` is NULL when the key names the referenced table's primary key implicitly.
            entry
                .2
                .push(row.get::<Option<String>, _>(3).unwrap_or_else(|| "id".into()));
        }
        for (_, (target, columns, references, on_delete)) in fks {
            table.foreign_keys.insert(ForeignKey {
                columns,
                table: target,
                references,
                on_delete: delete_action(&on_delete),
            });
        }

        for row in
            sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1) ORDER BY name")
                .bind(&name)
                .fetch_all(&mut conn)
                .await
                .expect("indexes")
        {
            let index_name: String = row.get(0);
            let unique = row.get::<i64, _>(1) != 0;
            let origin: String = row.get(2);
            let partial = row.get::<i64, _>(3) != 0;
            let columns: Vec<String> = sqlx::query_scalar::<_, Option<String>>(
                "SELECT name FROM pragma_index_info(?1) ORDER BY seqno",
            )
            .bind(&index_name)
            .fetch_all(&mut conn)
            .await
            .expect("index columns")
            .into_iter()
            .map(|c| c.unwrap_or_else(|| "<expression>".into()))
            .collect();
            match origin.as_str() {
                "pk" => {}
                "u" => {
                    table.unique.insert(columns);
                }
                _ => {
                    table.indexes.insert(
                        index_name,
                        Index {
                            columns,
                            unique,
                            partial,
                        },
                    );
                }
            }
        }
        schema.insert(name, table);
    }
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect postgres");
    let mut schema = Schema::new();
    for row in sqlx::query(
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 \
           AND NOT a.attisdropped AND c.relname <> '_sqlx_migrations' \
         ORDER BY c.relname, a.attnum",
    )
    .fetch_all(&mut conn)
    .await
    .expect("columns")
    {
        let table: String = row.get(0);
        let formatted: String = row.get(2);
        schema.entry(table).or_default().columns.insert(
            row.get(1),
            Column {
                kind: postgres_kind(&formatted),
                not_null: row.get(3),
            },
        );
    }

    // Constraints: primary keys, unique keys and foreign keys, with their columns in key order.
    for row in sqlx::query(
        "SELECT c.relname::text, k.contype::text, k.confdeltype::text, \
                coalesce(f.relname::text, ''), \
                ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i), \
                ARRAY(SELECT a.attname::text FROM unnest(coalesce(k.confkey, '{}')) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i) \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class f ON f.oid = k.confrelid \
         WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'f') \
           AND c.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("constraints")
    {
        let table = schema.entry(row.get(0)).or_default();
        let columns: Vec<String> = row.get(4);
        match row.get::<String, _>(1).as_str() {
            "p" => table.primary_key = columns,
            "u" => {
                table.unique.insert(columns);
            }
            _ => {
                table.foreign_keys.insert(ForeignKey {
                    columns,
                    table: row.get(3),
                    references: row.get(5),
                    on_delete: delete_action(&row.get::<String, _>(2)),
                });
            }
        }
    }

    // Indexes that no constraint owns: the ones a migration created with CREATE INDEX.
    for row in sqlx::query(
        "SELECT t.relname::text, i.relname::text, x.indisunique, x.indpred IS NOT NULL, \
                ARRAY(SELECT coalesce(a.attname::text, '<expression>') \
                      FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(n, k) \
                      LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n \
                      ORDER BY u.k) \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND t.relname <> '_sqlx_migrations' \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
    )
    .fetch_all(&mut conn)
    .await
    .expect("indexes")
    {
        schema.entry(row.get(0)).or_default().indexes.insert(
            row.get(1),
            Index {
                columns: row.get(4),
                unique: row.get(2),
                partial: row.get(3),
            },
        );
    }
    schema
}

/// Every difference between the two schemas, one line each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (Some(s), Some(p)) = (sqlite.get(name), postgres.get(name)) else {
            let only = if sqlite.contains_key(name) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("table {name}: only on {only}"));
            continue;
        };
        let columns: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for column in columns {
            match (s.columns.get(column), p.columns.get(column)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => out.push(format!("column {name}.{column}: SQLite {a:?}, PostgreSQL {b:?}")),
            }
        }
        if s.primary_key != p.primary_key {
            out.push(format!(
                "primary key of {name}: SQLite {:?}, PostgreSQL {:?}",
                s.primary_key, p.primary_key
            ));
        }
        for u in s.unique.symmetric_difference(&p.unique) {
            let only = if s.unique.contains(u) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("unique key {name}{u:?}: only on {only}"));
        }
        for fk in s.foreign_keys.symmetric_difference(&p.foreign_keys) {
            let only = if s.foreign_keys.contains(fk) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("foreign key of {name} {fk:?}: only on {only}"));
        }
        let indexes: BTreeSet<&String> = s.indexes.keys().chain(p.indexes.keys()).collect();
        for index in indexes {
            match (s.indexes.get(index), p.indexes.get(index)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => out.push(format!("index {index} on {name}: SQLite {a:?}, PostgreSQL {b:?}")),
            }
        }
    }
    out
}

async fn schema_of(engine: Engine) -> Option<Schema> {
    let found = std::sync::Arc::new(tokio::sync::Mutex::new(None));
    let slot = found.clone();
    harness::run(engine, |ctx| async move {
        let schema = match engine {
            Engine::Sqlite => sqlite_schema(&ctx.url).await,
            Engine::Postgres => postgres_schema(&ctx.url).await,
        };
        *slot.lock().await = Some(schema);
    })
    .await;
    found.lock().await.take()
}

#[tokio::test]
async fn both_migration_folders_define_the_same_tables_columns_keys_and_indexes() {
    let sqlite = schema_of(Engine::Sqlite).await.expect("SQLite schema");
    assert!(
        sqlite.len() >= 20 && sqlite.contains_key("pupils") && sqlite.contains_key("signals"),
        "the SQLite schema was not read: {:?}",
        sqlite.keys().collect::<Vec<_>>()
    );
    assert!(
        sqlite.values().any(|t| !t.indexes.is_empty())
            && sqlite.values().any(|t| !t.foreign_keys.is_empty())
            && sqlite.values().any(|t| !t.unique.is_empty()),
        "indexes, foreign keys or unique keys were not read from SQLite"
    );
    let Some(postgres) = schema_of(Engine::Postgres).await else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{POSTGRES_ENV} must be set in CI"
        );
        eprintln!("skipped the comparison: {POSTGRES_ENV} not set");
        return;
    };
    let diff = differences(&sqlite, &postgres);
    assert!(
        diff.is_empty(),
        "the migration folders define different schemas ({} differences):\n{}",
        diff.len(),
        diff.join("\n")
    );
}

#[test]
fn a_changed_column_type_or_a_missing_index_is_a_difference() {
    let mut a = Table::default();
    a.columns.insert(
        "taken_on".into(),
        Column {
            kind: "text",
            not_null: true,
        },
    );
    a.indexes.insert(
        "results_pupil".into(),
        Index {
            columns: vec!["pupil_id".into()],
            unique: false,
            partial: false,
        },
    );
    let mut b = a.clone();
    let sqlite: Schema = [("results".to_string(), a.clone())].into();
    assert!(differences(&sqlite, &[("results".to_string(), b.clone())].into()).is_empty());
    b.columns.get_mut("taken_on").expect("column").kind = "integer";
    b.indexes.clear();
    let diff = differences(&sqlite, &[("results".to_string(), b)].into());
    assert_eq!(diff.len(), 2, "{diff:?}");
    assert_eq!(sqlite_kind("TEXT"), postgres_kind("timestamp with time zone"));
    assert_eq!(sqlite_kind("INTEGER"), postgres_kind("bigint"));
    assert_ne!(sqlite_kind("REAL"), postgres_kind("text"));
}
