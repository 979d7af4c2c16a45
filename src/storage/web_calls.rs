//! The planner Mini App's per-user limits: how many calls of a kind a user made in the current
//! window (table `web_calls`). In the database, so that every replica counts the same calls.

use super::{Db, Result, writing};

/// How long a window's count is kept after it ends (`Db::prune` removes it then).
pub(super) const WINDOWS_KEPT_SECS: i64 = 3600;

impl Db {
    /// Counts one call of `kind` by `user` in the window that started at `window_start` (unix
    /// seconds; a new window starts the count again) and returns the calls in it, this one
    /// included. One statement: two processes counting at once both count.
    pub async fn count_web_call(&self, user: i64, kind: &str, window_start: i64) -> Result<u32> {
        let calls: i64 = writing!(self, c => sqlx::query_scalar(
            "INSERT INTO web_calls (user_id, kind, window_start, calls) VALUES ($1, $2, $3, 1)
             ON CONFLICT (user_id, kind) DO UPDATE SET
                 calls = CASE WHEN web_calls.window_start = excluded.window_start
                              THEN web_calls.calls + 1 ELSE 1 END,
                 window_start = excluded.window_start
             RETURNING CAST(calls AS BIGINT)",
        )
        .bind(user)
        .bind(kind)
        .bind(window_start)
        .fetch_one(c)
        .await?);
        Ok(u32::try_from(calls).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::WINDOWS_KEPT_SECS;
    use crate::storage::testing::dbs;

    #[tokio::test]
    async fn calls_are_counted_per_user_kind_and_window() {
        for (_guard, db) in dbs().await {
            assert_eq!(db.count_web_call(7, "call", 60).await.unwrap(), 1);
            assert_eq!(db.count_web_call(7, "call", 60).await.unwrap(), 2);
            assert_eq!(db.count_web_call(7, "create", 60).await.unwrap(), 1);
            assert_eq!(db.count_web_call(8, "call", 60).await.unwrap(), 1);
            assert_eq!(
                db.count_web_call(7, "call", 120).await.unwrap(),
                1,
                "a new window counts from one again"
            );
            assert_eq!(db.count_web_call(7, "call", 120).await.unwrap(), 2);

            // An hour after its window, a count is no longer needed; a recent one stays.
            let retention = crate::storage::Retention {
                history_days: 365,
                keep_cohosts: 6,
            };
            let pruned = db
                .prune(60 + WINDOWS_KEPT_SECS + 1, &retention)
                .await
                .unwrap();
            assert_eq!(pruned.web_calls, 2, "user 7's create and user 8's call");
            assert_eq!(
                db.count_web_call(7, "call", 120).await.unwrap(),
                3,
                "the current window's count was kept"
            );
        }
    }
}
