//! Where the store code meets the two engines: a pool or a write transaction of either engine
//! ([`Pool`], [`Tx`]), the stores that have one ([`SqlStore`]), and [`on_engine!`], which runs one
//! piece of ordinary code on whichever engine it is.
//!
//! The store code is written once, as ordinary functions and trait impls (`impl<S: SqlStore>
//! NoteStore for S`); where the SQL is the same on both engines (sqlx-sqlite takes `$N`
//! placeholders too) one `on_engine!(pool, |pool| …)` compiles that code for each engine. Where the
//! SQL differs, the two statements stand side by side in a `match` on [`Db::engine`] or on the
//! [`Db`] value itself, in the function that runs them.
//!
//! A function with several statements usually wraps its whole body once (`on_engine!(tx, |tx| {
//! … })`); inside, `tx` is the engine's own `&mut Transaction`, used as `&mut **tx` by sqlx and
//! lent on to another helper as a [`Tx`] with `(&mut *tx).into()`.

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Database, Encode, Postgres, QueryBuilder, Sqlite, Transaction, Type};

use super::Engine;
use super::error::StoreError;

/// Runs `body` with `name` bound to the engine's own value inside a [`Db`] (a pool, a
/// transaction): `on_engine!(self.pool(), |pool| sqlx::query("…").bind(x).execute(pool).await?)`.
/// The body is an ordinary expression, compiled once per engine (it is not a closure: `?`, `.await`
/// and `return` act on the enclosing function). Its value must have the same type on both.
macro_rules! on_engine {
    ($db:expr, |$name:ident| $body:expr) => {
        match $db {
            $crate::store::sql::Db::Sqlite($name) => $body,
            $crate::store::sql::Db::Postgres($name) => $body,
        }
    };
}
pub(crate) use on_engine;

/// One value of either engine: [`Pool`] and [`Tx`] are this with the engines' own types.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Db<S, P> {
    /// On SQLite.
    Sqlite(S),
    /// On PostgreSQL.
    Postgres(P),
}

impl<S, P> Db<S, P> {
    /// The engine this value belongs to.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }
}

/// A store's connection pool.
pub(crate) type Pool<'a> = Db<&'a SqlitePool, &'a PgPool>;

impl Pool<'_> {
    /// A write transaction ([`BeginWrite`]).
    pub(crate) async fn begin_write(self) -> Result<WriteTx, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => Db::Sqlite(pool.begin_write().await?),
            Db::Postgres(pool) => Db::Postgres(pool.begin_write().await?),
        })
    }
}

/// A write transaction on an engine's own pool, for code inside `on_engine!`.
pub(crate) trait BeginWrite {
    /// The engine.
    type Database: sqlx::Database;

    /// Begins a write transaction. On SQLite it takes the write lock from the start (`BEGIN
    /// IMMEDIATE`), so two writers queue instead of failing on a lock upgrade; on PostgreSQL row
    /// locks are taken per statement.
    fn begin_write(
        self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Database>, StoreError>> + Send;
}

impl BeginWrite for &SqlitePool {
    type Database = Sqlite;

    async fn begin_write(self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl BeginWrite for &PgPool {
    type Database = Postgres;

    async fn begin_write(self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.begin().await?)
    }
}

/// A write transaction of its own ([`Pool::begin_write`]); run code on it with
/// `on_engine!(&mut tx, |tx| …)`.
pub(crate) type WriteTx = Db<Transaction<'static, Sqlite>, Transaction<'static, Postgres>>;

impl WriteTx {
    /// Commits.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        on_engine!(self, |tx| tx.commit().await?);
        Ok(())
    }
}

/// A write transaction, borrowed (commit and rollback stay with its owner).
pub(crate) type Tx<'a> = Db<&'a mut Transaction<'static, Sqlite>, &'a mut Transaction<'static, Postgres>>;

impl<'a> From<&'a mut Transaction<'static, Sqlite>> for Tx<'a> {
    fn from(tx: &'a mut Transaction<'static, Sqlite>) -> Self {
        Db::Sqlite(tx)
    }
}

impl<'a> From<&'a mut Transaction<'static, Postgres>> for Tx<'a> {
    fn from(tx: &'a mut Transaction<'static, Postgres>) -> Self {
        Db::Postgres(tx)
    }
}

/// Appends `<column> IN (ids)`, the ids bound one by one (keep `ids` to a few hundred: every
/// engine limits the parameters of a statement).
pub(crate) fn push_in<DB: Database>(q: &mut QueryBuilder<DB>, column: &str, ids: &[i64])
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    q.push(column);
    q.push(" IN (");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

/// Appends `AND <column> IN (ids)` when a subset is asked for.
pub(crate) fn restrict<DB: Database>(q: &mut QueryBuilder<DB>, column: &str, ids: Option<&[i64]>)
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    if let Some(ids) = ids {
        q.push(" AND ");
        push_in(q, column, ids);
    }
}

/// A connection (of a pool, or the one a transaction runs on).
pub(crate) type Conn<'a> = Db<&'a mut SqliteConnection, &'a mut PgConnection>;

impl<'a> From<&'a mut SqliteConnection> for Conn<'a> {
    fn from(conn: &'a mut SqliteConnection) -> Self {
        Db::Sqlite(conn)
    }
}

impl<'a> From<&'a mut PgConnection> for Conn<'a> {
    fn from(conn: &'a mut PgConnection) -> Self {
        Db::Postgres(conn)
    }
}

/// A store on one of the engines: what the store code needs of it besides its SQL.
pub(crate) trait SqlStore: Send + Sync {
    /// The connection pool.
    fn pool(&self) -> Pool<'_>;

    /// Queues this process's sync writers (pages, snapshots, held records) before they ask for
    /// a write transaction: on SQLite, one writer at a time in arrival order; on PostgreSQL
    /// nothing (`None`: writers run side by side on row locks).
    fn sync_write_gate(&self) -> impl Future<Output = Option<tokio::sync::MutexGuard<'_, ()>>> + Send;
}
