//! Leases: how processes sharing the database take turns on the rows of background work (Yandex
//! logins being polled, scheduled meetings' steps), with the queries written once for every table
//! that has them. The webhook inbox's leases are per chat and kept otherwise (see `inbox.rs`).
//!
//! A leased table has a key, a column saying when a row is next due, and the pair (`taken_by`,
//! `lease_until`): the process that claimed the row last and until when it holds it (unix
//! milliseconds of the system clock; 0 once given up). A process claims the rows due whose lease
//! is free or ran out (`claim`), which writes its lease on each; the claim is one statement, so
//! two processes claiming at once never get the same row. Only the holder may then change the row
//! (each table's own queries check the pair it claimed), extend its lease (`renew`), and give it
//! up: with its next step (each table's own query), or all at once when it stops (`release`).
//! A process that dies leaves its leases to run out, and another claims the rows then.
//!
//! Which process holds a lease is a number the process picks at start (`process_id`).

use super::{Db, Result, reading, writing};

/// A number for this process, as the holder of leases (on background work here, and on the
/// webhook updates it stores): random enough that two processes (or a process and its restart)
/// never share one.
pub fn process_id() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    // Randomly keyed (per process, by the system), over what tells processes apart besides.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_i64(crate::clock::unix_now_ms());
    (h.finish() >> 1) as i64
}

/// A table of work held under leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leased {
    /// Yandex logins in progress (`logins.rs`), keyed by chat: due at `next_poll_at`, unix
    /// milliseconds of the system clock, the leases' own clock.
    Logins,
    /// Scheduled meetings (`schedules.rs`), keyed by id: due at `next_at`, unix seconds of the
    /// calendar the bot reads (a clock its tests move), which leases are not compared with.
    Schedules,
    /// Votes on when to meet (`votes.rs`), keyed by id: due at `next_at`, unix seconds of the
    /// calendar, as schedules are.
    Votes,
}

/// The lease queries on one table.
#[derive(Clone, Copy)]
struct Queries {
    /// $1 taker, $2 lease until, $3 due now (the due column's clock), $4 now (the leases'
    /// clock), $5 at most how many.
    claim: &'static str,
    /// $1 key, $2 taker, $3 lease until as held, $4 the new lease until.
    renew: &'static str,
    /// $1 taker.
    release: &'static str,
    /// $1 now (the leases' clock), on a table whose due column is on another clock; else none.
    next_due: &'static str,
}

/// `Queries` for `$table`, keyed by `$key`, due by `$due`, a claim returning `$columns`: the
/// text of each written once, filled in per table at compile time (no table's name or column
/// ever comes from outside).
///
/// A claim changes only rows whose conditions still hold as it changes them (PostgreSQL re-reads
/// a row another transaction changed meanwhile), so a row another process claimed in between is
/// left to it. The longest due go first (ties by key).
macro_rules! queries {
    ($table:literal, $key:literal, $due:literal, $columns:expr, next_due: $next_due:expr) => {
        Queries {
            claim: concat!(
                "UPDATE ",
                $table,
                " SET taken_by = $1, lease_until = $2
                 WHERE ",
                $due,
                " <= $3 AND lease_until < $4
                   AND ",
                $key,
                " IN (
                       SELECT ",
                $key,
                " FROM ",
                $table,
                "
                       WHERE ",
                $due,
                " <= $3 AND lease_until < $4
                       ORDER BY ",
                $due,
                ", ",
                $key,
                " LIMIT CAST($5 AS BIGINT))
                 RETURNING ",
                $columns
            ),
            renew: concat!(
                "UPDATE ",
                $table,
                " SET lease_until = $4
                 WHERE ",
                $key,
                " = $1 AND taken_by = $2 AND lease_until = $3"
            ),
            release: concat!(
                "UPDATE ",
                $table,
                " SET lease_until = 0 WHERE taken_by = $1 AND lease_until > 0"
            ),
            next_due: $next_due,
        }
    };
}

impl Leased {
    fn queries(self) -> Queries {
        match self {
            // Due and leased on one clock: the next row claimable is the one due soonest, or,
            // held past its due time, the one whose lease runs out soonest.
            Leased::Logins => queries!(
                "logins",
                "chat_id",
                "next_poll_at",
                super::logins::login_columns!(),
                next_due: "SELECT MIN(CASE WHEN lease_until >= next_poll_at THEN lease_until + 1
                                           ELSE next_poll_at END)
                           FROM logins"
            ),
            // Two clocks: when a lease runs out is no time on the calendar, so only the rows
            // nobody holds count.
            Leased::Schedules => queries!(
                "schedules",
                "id",
                "next_at",
                super::schedules::schedule_columns!(),
                next_due: "SELECT MIN(next_at) FROM schedules WHERE lease_until < $1"
            ),
            Leased::Votes => queries!(
                "votes",
                "id",
                "next_at",
                super::votes::vote_columns!(),
                next_due: "SELECT MIN(next_at) FROM votes WHERE lease_until < $1"
            ),
        }
    }

    /// Whether the due column is on the leases' clock (the system's, unix ms).
    fn due_by_lease_clock(self) -> bool {
        matches!(self, Leased::Logins)
    }
}

impl Db {
    /// Claims for process `taker`, until `lease_until` (unix ms of the system clock), at most
    /// `limit` rows of `what` due at `due_now` (on the due column's clock) whose lease is free or
    /// ran out at `wall_now_ms`, the longest due first (ties by key), as `T` reads the columns
    /// the table's claim returns. Two processes claiming at once never get the same row, as long
    /// as `lease_until >= wall_now_ms`.
    pub(super) async fn claim<T>(
        &self,
        what: Leased,
        taker: i64,
        due_now: i64,
        wall_now_ms: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        if limit == 0 {
            return Ok(Vec::new());
        }
        Ok(writing!(self, c => sqlx::query_as(what.queries().claim)
            .bind(taker)
            .bind(lease_until)
            .bind(due_now)
            .bind(wall_now_ms)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(c)
            .await?))
    }

    /// The holder extends its lease on row `key` of `what` (`taker`, `lease_until` as claimed or
    /// last renewed) to `new_lease_until`, just before it acts: false, and nothing changed, when
    /// the row is gone or another process holds it now (the work is no longer this holder's).
    pub async fn renew(
        &self,
        what: Leased,
        key: i64,
        taker: i64,
        lease_until: i64,
        new_lease_until: i64,
    ) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(what.queries().renew)
            .bind(key)
            .bind(taker)
            .bind(lease_until)
            .bind(new_lease_until)
            .execute(c)
            .await?
            .rows_affected());
        Ok(done > 0)
    }

    /// Gives up process `taker`'s leases on `what` (it is stopping): another process, or the
    /// next start, may claim those rows at once.
    pub async fn release(&self, what: Leased, taker: i64) -> Result<()> {
        writing!(self, c => sqlx::query(what.queries().release)
            .bind(taker)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// When a row of `what` is due next, on its due column's clock, if nothing changes
    /// meanwhile; `None` when none is. Logins (one clock): the earliest moment one could be
    /// claimed, its due time or, if later, when its lease runs out. Schedules (two clocks): the
    /// earliest due of those nobody holds at `wall_now_ms`; a held one is its holder's, and
    /// waking for it would find nothing to claim until its lease runs out.
    pub async fn next_due(&self, what: Leased, wall_now_ms: i64) -> Result<Option<i64>> {
        let sql = what.queries().next_due;
        let due: Option<i64> = if what.due_by_lease_clock() {
            reading!(self, c => sqlx::query_scalar(sql).fetch_one(c).await?)
        } else {
            reading!(self, c => sqlx::query_scalar(sql).bind(wall_now_ms).fetch_one(c).await?)
        };
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::process_id;

    #[test]
    fn two_processes_never_hold_leases_by_one_number() {
        let ids: std::collections::BTreeSet<i64> = (0..100).map(|_| process_id()).collect();
        assert_eq!(ids.len(), 100);
        assert!(ids.iter().all(|&id| id > 0), "0 means no holder");
    }
}
