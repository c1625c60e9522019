//! The shared store: Redis through the `redis` crate's auto-reconnecting connection manager.
//!
//! Every key is prefixed (`cozegw:` by default). Counters and slots are one Lua script each,
//! timed by Redis' own clock (`TIME`), so instances with skewed clocks still agree; the other
//! operations are single atomic commands (`SET NX`, `GETDEL`, `HSET`, ...).

use super::{Store, StoreError, StoreResult, Window, ms, random_id, redacted_url};
use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// `KEYS[1]` counter base key; `ARGV[1]` window in ms. Returns `{count, ms until reset}`.
const INCR: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[1])
local index = math.floor(now / w)
local key = KEYS[1] .. ':' .. index
local count = redis.call('INCR', key)
if count == 1 then redis.call('PEXPIRE', key, w) end
return {count, (index + 1) * w - now}
";

/// `KEYS[1]` slot set (members = slot ids, scores = expiry ms); `ARGV` cap, ttl ms, slot id.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
";

/// `KEYS[1]` slot set; `ARGV` slot id, ttl ms. Returns 1 when the slot was live.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= now then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
";

/// `KEYS[1]` slot set. Live slots.
const IN_USE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
";

/// `KEYS[1]` list; `ARGV` value, max length, ttl ms (0 = none).
const PUSH: &str = r"
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
return 1
";

/// `KEYS[1]` map; `ARGV` field, value, ttl ms (0 = none).
const HSET: &str = r"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
return 1
";

/// The Redis store. Cheap to clone (one multiplexed connection shared by all clones).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    url: String,
    incr: redis::Script,
    acquire: redis::Script,
    renew: redis::Script,
    in_use: redis::Script,
    push: redis::Script,
    hset: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn err(e: redis::RedisError) -> StoreError {
    StoreError::new(format!("redis: {e}"))
}

impl RedisStore {
    /// Connects to `url`, prefixing every key with `prefix`.
    ///
    /// # Errors
    ///
    /// A bad URL, or Redis does not answer within 5 s.
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<Self> {
        let shown = redacted_url(url);
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::new(format!("bad Redis URL {shown}: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        let conn = tokio::time::timeout(
            Duration::from_secs(10),
            client.get_connection_manager_with_config(config),
        )
        .await
        .map_err(|_| StoreError::new(format!("Redis at {shown} did not answer within 10 s")))?
        .map_err(|e| StoreError::new(format!("cannot connect to Redis at {shown}: {e}")))?;
        let store = Self {
            conn,
            prefix: prefix.to_owned(),
            url: shown,
            incr: redis::Script::new(INCR),
            acquire: redis::Script::new(ACQUIRE),
            renew: redis::Script::new(RENEW),
            in_use: redis::Script::new(IN_USE),
            push: redis::Script::new(PUSH),
            hset: redis::Script::new(HSET),
        };
        store.ping().await?;
        Ok(store)
    }

    fn k(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

fn ttl_ms(ttl: Option<Duration>) -> i64 {
    ttl.map_or(0, ms)
}

#[async_trait]
impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> StoreResult<()> {
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        self.conn().get(self.k(key)).await.map_err(err)
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> StoreResult<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.k(key)).arg(value);
        if let Some(t) = ttl {
            cmd.arg("PX").arg(ms(t));
        }
        let _: () = cmd.query_async(&mut self.conn()).await.map_err(err)?;
        Ok(())
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> StoreResult<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.k(key)).arg(value).arg("NX");
        if let Some(t) = ttl {
            cmd.arg("PX").arg(ms(t));
        }
        let set: Option<String> = cmd.query_async(&mut self.conn()).await.map_err(err)?;
        Ok(set.is_some())
    }

    async fn take(&self, key: &str) -> StoreResult<Option<String>> {
        redis::cmd("GETDEL")
            .arg(self.k(key))
            .query_async(&mut self.conn())
            .await
            .map_err(err)
    }

    async fn delete(&self, key: &str) -> StoreResult<bool> {
        let n: i64 = self.conn().del(self.k(key)).await.map_err(err)?;
        Ok(n > 0)
    }

    async fn incr(&self, key: &str, window: Duration) -> StoreResult<Window> {
        let (count, left): (i64, i64) = self
            .incr
            .key(self.k(&format!("ctr:{key}")))
            .arg(ms(window))
            .invoke_async(&mut self.conn())
            .await
            .map_err(err)?;
        Ok(Window {
            count: u64::try_from(count).unwrap_or(0),
            resets_in: Duration::from_millis(u64::try_from(left).unwrap_or(0)),
        })
    }

    async fn acquire_slot(
        &self,
        key: &str,
        cap: u32,
        ttl: Duration,
    ) -> StoreResult<Option<String>> {
        let slot = random_id();
        let got: i64 = self
            .acquire
            .key(self.k(&format!("slots:{key}")))
            .arg(cap)
            .arg(ms(ttl))
            .arg(&slot)
            .invoke_async(&mut self.conn())
            .await
            .map_err(err)?;
        Ok((got == 1).then_some(slot))
    }

    async fn renew_slot(&self, key: &str, slot: &str, ttl: Duration) -> StoreResult<bool> {
        let live: i64 = self
            .renew
            .key(self.k(&format!("slots:{key}")))
            .arg(slot)
            .arg(ms(ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(err)?;
        Ok(live == 1)
    }

    async fn release_slot(&self, key: &str, slot: &str) -> StoreResult<()> {
        let _: i64 = self
            .conn()
            .zrem(self.k(&format!("slots:{key}")), slot)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn slots_in_use(&self, key: &str) -> StoreResult<u32> {
        let n: i64 = self
            .in_use
            .key(self.k(&format!("slots:{key}")))
            .invoke_async(&mut self.conn())
            .await
            .map_err(err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn map_set(
        &self,
        map: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> StoreResult<()> {
        let _: i64 = self
            .hset
            .key(self.k(&format!("map:{map}")))
            .arg(field)
            .arg(value)
            .arg(ttl_ms(ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn map_get(&self, map: &str, field: &str) -> StoreResult<Option<String>> {
        self.conn()
            .hget(self.k(&format!("map:{map}")), field)
            .await
            .map_err(err)
    }

    async fn map_delete(&self, map: &str, field: &str) -> StoreResult<bool> {
        let n: i64 = self
            .conn()
            .hdel(self.k(&format!("map:{map}")), field)
            .await
            .map_err(err)?;
        Ok(n > 0)
    }

    async fn map_entries(&self, map: &str) -> StoreResult<Vec<(String, String)>> {
        let all: std::collections::BTreeMap<String, String> = self
            .conn()
            .hgetall(self.k(&format!("map:{map}")))
            .await
            .map_err(err)?;
        Ok(all.into_iter().collect())
    }

    async fn list_push(
        &self,
        list: &str,
        value: &str,
        max_len: usize,
        ttl: Option<Duration>,
    ) -> StoreResult<()> {
        let _: i64 = self
            .push
            .key(self.k(&format!("list:{list}")))
            .arg(value)
            .arg(max_len.max(1))
            .arg(ttl_ms(ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn list_items(&self, list: &str) -> StoreResult<Vec<String>> {
        self.conn()
            .lrange(self.k(&format!("list:{list}")), 0, -1)
            .await
            .map_err(err)
    }

    async fn list_remove(&self, list: &str, value: &str) -> StoreResult<usize> {
        let n: i64 = self
            .conn()
            .lrem(self.k(&format!("list:{list}")), 0, value)
            .await
            .map_err(err)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}
