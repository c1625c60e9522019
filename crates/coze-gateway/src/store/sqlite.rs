//! The embedded store: one SQLite file (rusqlite, SQLite compiled in).
//!
//! One connection owned by one worker thread. Operations are queued to it; it runs all the
//! operations waiting at that moment in one `BEGIN IMMEDIATE` transaction and answers them
//! after the commit, so a burst of requests costs one commit, and every read-then-write step
//! is atomic (also against other processes: the write lock is taken first). WAL journal,
//! `synchronous = NORMAL` (a power cut may lose the last commits, never corrupt the file) and
//! a 5 s busy timeout, so another process (`coze serve keys create`) can write at the same
//! time. Expired rows are invisible to reads and purged once a minute.

use super::{Store, StoreError, StoreResult, Window, ms, now_ms, random_id};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS slots (key TEXT NOT NULL, slot TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key, slot));
CREATE TABLE IF NOT EXISTS maps (map TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (map, field));
CREATE TABLE IF NOT EXISTS lists (list TEXT NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (list, seq));
";

/// The embedded store. Cheap to clone (clones share the worker).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    jobs: std::sync::mpsc::Sender<Box<dyn Job>>,
    path: PathBuf,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("sqlite: {e}"))
}

fn expiry(ttl: Option<Duration>) -> Option<i64> {
    ttl.map(|t| now_ms().saturating_add(ms(t)))
}

/// A queued operation: runs inside the batch's transaction, answers after the commit.
trait Job: Send {
    fn run(self: Box<Self>, conn: &Connection, now: i64) -> Box<dyn Done>;
    fn fail(self: Box<Self>, error: StoreError);
}

/// A ran operation waiting for its batch's commit.
trait Done: Send {
    fn finish(self: Box<Self>, commit: Result<(), &StoreError>);
}

struct Op<T, F> {
    f: F,
    tx: tokio::sync::oneshot::Sender<StoreResult<T>>,
}

struct Ran<T> {
    result: StoreResult<T>,
    tx: tokio::sync::oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Op<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection, now: i64) -> Box<dyn Done> {
        let result = (self.f)(conn, now).map_err(err);
        Box::new(Ran {
            result,
            tx: self.tx,
        })
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.tx.send(Err(error));
    }
}

impl<T: Send + 'static> Done for Ran<T> {
    fn finish(self: Box<Self>, commit: Result<(), &StoreError>) {
        let result = match commit {
            Ok(()) => self.result,
            Err(e) => Err(e.clone()),
        };
        let _ = self.tx.send(result);
    }
}

/// Most operations run in one transaction.
const MAX_BATCH: usize = 512;
/// How often expired rows are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(60);

fn worker(conn: Connection, jobs: std::sync::mpsc::Receiver<Box<dyn Job>>) {
    let mut last_purge = std::time::Instant::now();
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let e = err(e);
            for job in batch {
                job.fail(e.clone());
            }
            continue;
        }
        let now = now_ms();
        let ran: Vec<Box<dyn Done>> = batch.into_iter().map(|job| job.run(&conn, now)).collect();
        if last_purge.elapsed() >= PURGE_EVERY {
            last_purge = std::time::Instant::now();
            if let Err(e) = purge(&conn) {
                tracing::warn!(error = %e, "cannot purge expired rows");
            }
        }
        match conn.execute_batch("COMMIT").map_err(err) {
            Ok(()) => ran.into_iter().for_each(|d| d.finish(Ok(()))),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                ran.into_iter().for_each(|d| d.finish(Err(&e)));
            }
        }
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory when missing) the store file at `path`.
    ///
    /// # Errors
    ///
    /// The directory or file cannot be created, or the file is not a SQLite database.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let path = path.to_path_buf();
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || -> StoreResult<Connection> {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::new(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let conn = Connection::open(&p)
                .map_err(|e| StoreError::new(format!("cannot open {}: {e}", p.display())))?;
            let unusable = |e: rusqlite::Error| {
                StoreError::new(format!(
                    "{} is not a usable gateway store ({e}); move it away or set another store",
                    p.display()
                ))
            };
            conn.busy_timeout(Duration::from_secs(5))
                .map_err(unusable)?;
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(unusable)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(unusable)?;
            conn.execute_batch(SCHEMA).map_err(unusable)?;
            purge(&conn).map_err(unusable)?;
            conn.set_prepared_statement_cache_capacity(64);
            Ok(conn)
        })
        .await
        .map_err(err)??;
        let (jobs, rx) = std::sync::mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("coze-gateway-sqlite".into())
            .spawn(move || worker(conn, rx))
            .map_err(|e| StoreError::new(format!("cannot start the store's thread: {e}")))?;
        Ok(Self { jobs, path })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(Op { f, tx }))
            .map_err(|_| StoreError::new("sqlite: the store's thread has stopped"))?;
        rx.await
            .map_err(|_| StoreError::new("sqlite: the store's thread has stopped"))?
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.submit(move |c, _| f(c)).await
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.submit(f).await
    }
}

/// Runs a statement through the connection's statement cache (no SQL parsing per call).
fn exec(c: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    c.prepare_cached(sql)?.execute(params)
}

/// Reads one row through the statement cache.
fn row<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    c.prepare_cached(sql)?.query_row(params, f)
}

/// Deletes every expired row.
fn purge(conn: &Connection) -> rusqlite::Result<()> {
    let now = now_ms();
    for table in ["kv", "counters", "slots", "maps", "lists"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE expires_at IS NOT NULL AND expires_at <= ?1"),
            [now],
        )?;
    }
    Ok(())
}

const LIVE: &str = "(expires_at IS NULL OR expires_at > ?2)";

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.run(|c| row(c, "SELECT 1", [], |_| Ok(()))).await
    }

    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.run(move |c| {
            row(
                c,
                &format!("SELECT value FROM kv WHERE key = ?1 AND {LIVE}"),
                params![key, now_ms()],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> StoreResult<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |tx, _| {
            exec(tx,
                "INSERT INTO kv (key, value, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                params![key, value, expiry(ttl)],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> StoreResult<bool> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |tx, now| {
            let changed = exec(tx,
                "INSERT INTO kv (key, value, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                 WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?4",
                params![key, value, expiry(ttl), now],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn take(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.write(move |tx, now| {
            let value: Option<String> = tx
                .query_row(
                    &format!("SELECT value FROM kv WHERE key = ?1 AND {LIVE}"),
                    params![key, now],
                    |r| r.get(0),
                )
                .optional()?;
            exec(tx, "DELETE FROM kv WHERE key = ?1", [&key])?;
            Ok(value)
        })
        .await
    }

    async fn delete(&self, key: &str) -> StoreResult<bool> {
        let key = key.to_owned();
        self.write(move |tx, now| {
            let live = exec(
                tx,
                &format!("DELETE FROM kv WHERE key = ?1 AND {LIVE}"),
                params![key, now],
            )?;
            exec(tx, "DELETE FROM kv WHERE key = ?1", [&key])?;
            Ok(live == 1)
        })
        .await
    }

    async fn incr(&self, key: &str, window: Duration) -> StoreResult<Window> {
        let key = key.to_owned();
        let w = ms(window);
        self.write(move |tx, now| {
            let index = now / w;
            let ends = (index + 1) * w;
            let count: i64 = row(
                tx,
                "INSERT INTO counters (key, count, expires_at) VALUES (?1, 1, ?2)
                 ON CONFLICT(key) DO UPDATE SET count = count + 1 RETURNING count",
                params![format!("{key}:{index}"), ends],
                |r| r.get(0),
            )?;
            Ok(Window {
                count: u64::try_from(count).unwrap_or(0),
                resets_in: Duration::from_millis(u64::try_from(ends - now).unwrap_or(0)),
            })
        })
        .await
    }

    async fn acquire_slot(
        &self,
        key: &str,
        cap: u32,
        ttl: Duration,
    ) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.write(move |tx, now| {
            exec(
                tx,
                "DELETE FROM slots WHERE key = ?1 AND expires_at <= ?2",
                params![key, now],
            )?;
            let used: i64 = row(
                tx,
                "SELECT COUNT(*) FROM slots WHERE key = ?1",
                [&key],
                |r| r.get(0),
            )?;
            if used >= i64::from(cap) {
                return Ok(None);
            }
            let slot = random_id();
            exec(
                tx,
                "INSERT INTO slots (key, slot, expires_at) VALUES (?1, ?2, ?3)",
                params![key, slot, now.saturating_add(ms(ttl))],
            )?;
            Ok(Some(slot))
        })
        .await
    }

    async fn renew_slot(&self, key: &str, slot: &str, ttl: Duration) -> StoreResult<bool> {
        let (key, slot) = (key.to_owned(), slot.to_owned());
        self.write(move |tx, now| {
            let n = exec(
                tx,
                "UPDATE slots SET expires_at = ?3 WHERE key = ?1 AND slot = ?2 AND expires_at > ?4",
                params![key, slot, now.saturating_add(ms(ttl)), now],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_slot(&self, key: &str, slot: &str) -> StoreResult<()> {
        let (key, slot) = (key.to_owned(), slot.to_owned());
        self.write(move |tx, _| {
            exec(
                tx,
                "DELETE FROM slots WHERE key = ?1 AND slot = ?2",
                params![key, slot],
            )?;
            Ok(())
        })
        .await
    }

    async fn slots_in_use(&self, key: &str) -> StoreResult<u32> {
        let key = key.to_owned();
        self.run(move |c| {
            let n: i64 = row(
                c,
                "SELECT COUNT(*) FROM slots WHERE key = ?1 AND expires_at > ?2",
                params![key, now_ms()],
                |r| r.get(0),
            )?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
        .await
    }

    async fn map_set(
        &self,
        map: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> StoreResult<()> {
        let (map, field, value) = (map.to_owned(), field.to_owned(), value.to_owned());
        self.write(move |tx, now| {
            // An expired map is gone as a whole before the write.
            exec(
                tx,
                "DELETE FROM maps WHERE map = ?1 AND expires_at IS NOT NULL AND expires_at <= ?2",
                params![map, now],
            )?;
            let exp = expiry(ttl);
            exec(
                tx,
                "INSERT INTO maps (map, field, value, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(map, field) DO UPDATE SET value = excluded.value",
                params![map, field, value, exp],
            )?;
            exec(
                tx,
                "UPDATE maps SET expires_at = ?2 WHERE map = ?1",
                params![map, exp],
            )?;
            Ok(())
        })
        .await
    }

    async fn map_get(&self, map: &str, field: &str) -> StoreResult<Option<String>> {
        let (map, field) = (map.to_owned(), field.to_owned());
        self.run(move |c| {
            row(
                c,
                "SELECT value FROM maps WHERE map = ?1 AND field = ?3
                 AND (expires_at IS NULL OR expires_at > ?2)",
                params![map, now_ms(), field],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn map_delete(&self, map: &str, field: &str) -> StoreResult<bool> {
        let (map, field) = (map.to_owned(), field.to_owned());
        self.write(move |tx, now| {
            let n = exec(
                tx,
                "DELETE FROM maps WHERE map = ?1 AND field = ?3
                 AND (expires_at IS NULL OR expires_at > ?2)",
                params![map, now, field],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn map_entries(&self, map: &str) -> StoreResult<Vec<(String, String)>> {
        let map = map.to_owned();
        self.run(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT field, value FROM maps WHERE map = ?1 AND {LIVE} ORDER BY field"
            ))?;
            let rows = stmt.query_map(params![map, now_ms()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    async fn list_push(
        &self,
        list: &str,
        value: &str,
        max_len: usize,
        ttl: Option<Duration>,
    ) -> StoreResult<()> {
        let (list, value) = (list.to_owned(), value.to_owned());
        let keep = i64::try_from(max_len.max(1)).unwrap_or(i64::MAX);
        self.write(move |tx, now| {
            exec(tx,
                "DELETE FROM lists WHERE list = ?1 AND expires_at IS NOT NULL AND expires_at <= ?2",
                params![list, now],
            )?;
            let exp = expiry(ttl);
            exec(tx,
                "INSERT INTO lists (list, seq, value, expires_at)
                 VALUES (?1, COALESCE((SELECT MAX(seq) FROM lists WHERE list = ?1), 0) + 1, ?2, ?3)",
                params![list, value, exp],
            )?;
            exec(tx,
                "DELETE FROM lists WHERE list = ?1 AND seq <=
                 (SELECT MAX(seq) FROM lists WHERE list = ?1) - ?2",
                params![list, keep],
            )?;
            exec(tx,
                "UPDATE lists SET expires_at = ?2 WHERE list = ?1",
                params![list, exp],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_items(&self, list: &str) -> StoreResult<Vec<String>> {
        let list = list.to_owned();
        self.run(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT value FROM lists WHERE list = ?1 AND {LIVE} ORDER BY seq"
            ))?;
            let rows = stmt.query_map(params![list, now_ms()], |r| r.get(0))?;
            rows.collect()
        })
        .await
    }

    async fn list_remove(&self, list: &str, value: &str) -> StoreResult<usize> {
        let (list, value) = (list.to_owned(), value.to_owned());
        self.write(move |tx, now| {
            exec(
                tx,
                &format!("DELETE FROM lists WHERE list = ?1 AND value = ?3 AND {LIVE}"),
                params![list, now, value],
            )
        })
        .await
    }
}
