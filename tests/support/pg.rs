//! A PostgreSQL database of a test's own, on the server `TEST_POSTGRES_URL` names (`.ci/run`
//! sets it; e.g. `postgres://postgres@127.0.0.1:5432/test`). Each `fresh_database` creates a
//! database with a name no other test (in this process or another) uses, so tests run in
//! parallel, and drops it when the test ends. Without `TEST_POSTGRES_URL` the tests that need it
//! say they were skipped and pass.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database created for one test; dropped (best effort, forcing its connections closed) when
/// this is dropped.
pub struct PgDb {
    /// The database's URL: the server's, with this database's name.
    pub url: String,
    pub name: String,
    server_url: String,
}

/// A new, empty database on the test server, or `None` (after saying so on stderr) when
/// `TEST_POSTGRES_URL` is not set.
pub async fn fresh_database() -> Option<PgDb> {
    let server_url = match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => {
            eprintln!("skipped: TEST_POSTGRES_URL is not set");
            return None;
        }
    };
    let random = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        h.finish() as u32
    };
    let name = format!(
        "tb_{}_{}_{random:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn =
        tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&server_url))
            .await
            .expect("TEST_POSTGRES_URL answers within 10 s")
            .unwrap_or_else(|e| panic!("cannot connect to TEST_POSTGRES_URL: {e}"));
    let create = format!("CREATE DATABASE \"{name}\"");
    conn.execute(sqlx::raw_sql(AssertSqlSafe(create)))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let _ = conn.close().await;
    Some(PgDb {
        url: with_database(&server_url, &name),
        name,
        server_url,
    })
}

impl PgDb {
    /// The server's address (`host:port` of the URL, port 5432 when it names none).
    pub fn server_addr(&self) -> SocketAddr {
        let host_port = parts(&self.url).host_port;
        let with_port = if host_port.contains(':') && !host_port.ends_with(']') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
        with_port
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .unwrap_or_else(|| panic!("cannot resolve {with_port}"))
    }

    /// This database's URL reaching the server through `addr` (a `PgProxy`) instead.
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let p = parts(&self.url);
        format!("{}{}{addr}{}", p.scheme, p.user, p.rest)
    }

    /// A connection of the test's own to this database (straight to the server).
    pub async fn connect(&self) -> PgConnection {
        tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&self.url))
            .await
            .expect("the test database answers within 10 s")
            .expect("the test database accepts connections")
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop runs outside async, maybe on the test's runtime thread: a runtime of its own on a
        // thread of its own, bounded in time; a failure only leaves a database behind.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(10), async {
                    let mut conn = PgConnection::connect(&server_url).await?;
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    conn.execute(sqlx::raw_sql(AssertSqlSafe(drop))).await?;
                    conn.close().await
                })
                .await;
            });
        })
        .join();
    }
}

/// A URL taken apart: `scheme` (`postgres://`), `user` (`name[:password]@` or empty),
/// `host_port`, and `rest` (`/database?query`, possibly empty).
struct Parts<'a> {
    scheme: &'a str,
    user: &'a str,
    host_port: &'a str,
    rest: &'a str,
}

fn parts(url: &str) -> Parts<'_> {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (scheme, after) = url.split_at(scheme_end);
    let authority_end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(authority_end);
    let (user, host_port) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    Parts {
        scheme,
        user,
        host_port,
        rest,
    }
}

/// `url` naming database `name` instead of its own (its query kept).
fn with_database(url: &str, name: &str) -> String {
    let p = parts(url);
    let query = p.rest.find('?').map_or("", |i| &p.rest[i..]);
    format!("{}{}{}/{name}{query}", p.scheme, p.user, p.host_port)
}
