//! The planner Mini App's per-user limits: how many calls of a kind a user made in the current
//! window (table `web_calls`). In the database, so that every replica counts the same calls.

use super::{Db, Result, writing};

/// How long a window's count is kept after it ends (`Db::prune` removes it then).
pub(super) const WINDOWS_KEPT_SECS: i64 = 3600;

impl Db {
    /// Counts one call by `user` of each of `kinds` (each with the start of its current
    /// window, unix seconds; a new window starts that count again) and returns the calls in
    /// each window, this one included, in the order given. One statement, whatever the number
    /// of kinds: two processes counting at once both count.
    pub async fn count_web_calls(&self, user: i64, kinds: &[(&str, i64)]) -> Result<Vec<u32>> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<String> = (0..kinds.len())
            .map(|i| format!("($1, ${}, ${}, 1)", 2 * i + 2, 2 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO web_calls (user_id, kind, window_start, calls) VALUES {}
             ON CONFLICT (user_id, kind) DO UPDATE SET
                 calls = CASE WHEN web_calls.window_start = excluded.window_start
                              THEN web_calls.calls + 1 ELSE 1 END,
                 window_start = excluded.window_start
             RETURNING kind, CAST(calls AS BIGINT)",
            rows.join(", ")
        );
        let counted: Vec<(String, i64)> = writing!(self, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(user);
            for (kind, window_start) in kinds {
                q = q.bind(*kind).bind(*window_start);
            }
            q.fetch_all(c).await?
        });
        Ok(kinds
            .iter()
            .map(|(kind, _)| {
                counted
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map_or(u32::MAX, |(_, n)| u32::try_from(*n).unwrap_or(u32::MAX))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::WINDOWS_KEPT_SECS;
    use crate::storage::testing::dbs;

    #[tokio::test]
    async fn calls_are_counted_per_user_kind_and_window() {
        for (_guard, db) in dbs().await {
            assert_eq!(db.count_web_calls(7, &[("call", 60)]).await.unwrap()[0], 1);
            assert_eq!(db.count_web_calls(7, &[("call", 60)]).await.unwrap()[0], 2);
            assert_eq!(
                db.count_web_calls(7, &[("create", 60)]).await.unwrap()[0],
                1
            );
            assert_eq!(db.count_web_calls(8, &[("call", 60)]).await.unwrap()[0], 1);
            assert_eq!(
                db.count_web_calls(7, &[("call", 120)]).await.unwrap()[0],
                1,
                "a new window counts from one again"
            );
            assert_eq!(db.count_web_calls(7, &[("call", 120)]).await.unwrap()[0], 2);

            // Two kinds at once, each in its own window and order.
            assert_eq!(
                db.count_web_calls(9, &[("call", 120), ("create", 0)])
                    .await
                    .unwrap(),
                [1, 1]
            );
            assert_eq!(
                db.count_web_calls(9, &[("create", 0), ("call", 120)])
                    .await
                    .unwrap(),
                [2, 2]
            );

            // An hour after its window, a count is no longer needed; a recent one stays.
            let retention = crate::storage::Retention {
                history_days: 365,
                keep_cohosts: 6,
            };
            let pruned = db
                .prune(60 + WINDOWS_KEPT_SECS + 1, &retention)
                .await
                .unwrap();
            assert_eq!(
                pruned.web_calls, 3,
                "user 7's create, user 8's call and user 9's create"
            );
            assert_eq!(
                db.count_web_calls(7, &[("call", 120)]).await.unwrap()[0],
                3,
                "the current window's count was kept"
            );
        }
    }
}
