//! Single-use /connect codes (table `connect_codes`): made for one group admin, valid until they
//! expire, used up by the first redemption.

use super::{Db, Result, reading, writing};

/// What became of a /connect code someone presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// Valid and now used up: the group it was made for.
    Group(i64),
    /// Made for another user; left valid for them.
    OtherUser,
    Expired,
    /// Unknown, or used already.
    Invalid,
}

impl Db {
    /// Saves a single-use /connect code for `group_id`, usable by `admin_id` until `expires_at`.
    /// `prune` removes it a day after it expired or was used.
    pub async fn save_connect_code(
        &self,
        code: &str,
        group_id: i64,
        admin_id: i64,
        expires_at: i64,
    ) -> Result<()> {
        writing!(self, c => sqlx::query(
            "INSERT INTO connect_codes (code, group_id, admin_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(code)
        .bind(group_id)
        .bind(admin_id)
        .bind(expires_at)
        .execute(c)
        .await?
.rows_affected());
        Ok(())
    }

    /// Uses up a /connect code presented by `user_id` at `at` (unix seconds).
    pub async fn redeem_connect_code(&self, code: &str, user_id: i64, at: i64) -> Result<Redeemed> {
        let row: Option<(i64, i64, i64, Option<i64>)> = reading!(self, c => sqlx::query_as(
            "SELECT group_id, admin_id, expires_at, used_at FROM connect_codes WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(c)
        .await?);
        let Some(row) = row else {
            return Ok(Redeemed::Invalid);
        };
        let (group_id, admin_id, expires_at, used_at) = row;
        if used_at.is_some() {
            return Ok(Redeemed::Invalid);
        }
        if admin_id != user_id {
            return Ok(Redeemed::OtherUser);
        }
        if at > expires_at {
            return Ok(Redeemed::Expired);
        }
        // The guard on used_at makes two simultaneous redemptions produce one winner.
        let done = writing!(self, c => sqlx::query(
            "UPDATE connect_codes SET used_at = $1 WHERE code = $2 AND used_at IS NULL",
        )
        .bind(at)
        .bind(code)
        .execute(c)
        .await?
.rows_affected());
        Ok(if done == 1 {
            Redeemed::Group(group_id)
        } else {
            Redeemed::Invalid
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Redeemed;
    use crate::storage::testing::dbs;

    #[tokio::test]
    async fn connect_codes_are_single_use_personal_and_expire() {
        for (_guard, db) in dbs().await {
            db.save_connect_code("abc", -100, 7, 1_000).await.unwrap();
            assert_eq!(
                db.redeem_connect_code("nope", 7, 500).await.unwrap(),
                Redeemed::Invalid
            );
            assert_eq!(
                db.redeem_connect_code("abc", 8, 500).await.unwrap(),
                Redeemed::OtherUser
            );
            assert_eq!(
                db.redeem_connect_code("abc", 7, 1_001).await.unwrap(),
                Redeemed::Expired
            );
            assert_eq!(
                db.redeem_connect_code("abc", 7, 999).await.unwrap(),
                Redeemed::Group(-100)
            );
            assert_eq!(
                db.redeem_connect_code("abc", 7, 999).await.unwrap(),
                Redeemed::Invalid
            );
            db.close().await;
        }
    }
}
