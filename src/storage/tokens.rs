//! Each chat's OAuth tokens (table `chat_tokens`): stored sealed with the database's key, bound
//! to their chat, so a sealed value copied into another chat's row does not open there.

use secrecy::{ExposeSecret, SecretString};

use super::{Db, Result, reading, transaction, unix_now, writing};

/// A chat's OAuth tokens.
pub struct Tokens {
    pub access: SecretString,
    /// Present when the token came from a Yandex login.
    pub refresh: Option<SecretString>,
    /// When the access token expires (unix seconds), when known.
    pub expires_at: Option<i64>,
}

impl Tokens {
    /// A token the user pasted: no refresh token, expiry unknown.
    pub fn pasted(access: SecretString) -> Self {
        Self {
            access,
            refresh: None,
            expires_at: None,
        }
    }
}

/// What a chat's sealed access token is bound to (its associated data).
pub(super) fn access_context(chat_id: i64) -> String {
    format!("chat/{chat_id}/access")
}

pub(super) fn refresh_context(chat_id: i64) -> String {
    format!("chat/{chat_id}/refresh")
}

impl Db {
    /// `tokens` sealed for `chat_id`'s row: (access, refresh).
    pub(super) fn seal_tokens(&self, chat_id: i64, tokens: &Tokens) -> (String, Option<String>) {
        let access = self.cipher.seal(&access_context(chat_id), &tokens.access);
        let refresh = tokens
            .refresh
            .as_ref()
            .map(|r| self.cipher.seal(&refresh_context(chat_id), r));
        (access, refresh)
    }

    /// Stores (replacing) the chat's tokens, sealed. `set_by` is who set them; `None` (a
    /// refresh) keeps the recorded one.
    pub async fn set_token(
        &self,
        chat_id: i64,
        tokens: &Tokens,
        set_by: Option<i64>,
    ) -> Result<()> {
        let (access, refresh) = self.seal_tokens(chat_id, tokens);
        writing!(self, c => sqlx::query(
            "INSERT INTO chat_tokens (chat_id, token, refresh_token, expires_at, set_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (chat_id) DO UPDATE
             SET token = excluded.token, refresh_token = excluded.refresh_token,
                 expires_at = excluded.expires_at,
                 set_by = COALESCE(excluded.set_by, chat_tokens.set_by),
                 updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(access)
        .bind(refresh)
        .bind(tokens.expires_at)
        .bind(set_by)
        .bind(unix_now())
        .execute(c)
        .await?
.rows_affected());
        Ok(())
    }

    /// Replaces the chat's tokens with `new` only if its access token is still `old` (a refresh
    /// must not bring back a token forgotten or replaced meanwhile). Returns whether it did.
    pub async fn replace_token(
        &self,
        chat_id: i64,
        old: &SecretString,
        new: &Tokens,
    ) -> Result<bool> {
        // A write transaction from its start: the check and the write see the same row, no
        // writer in between (the no-op update takes the row's lock in PostgreSQL, and returns
        // the value as last committed if another process changed it meanwhile).
        transaction!(self, tx => {
            let current: Option<String> = sqlx::query_scalar(
                "UPDATE chat_tokens SET token = token WHERE chat_id = $1 RETURNING token",
            )
            .bind(chat_id)
            .fetch_optional(&mut *tx)
            .await?;
            let same = match current {
                Some(sealed) => {
                    self.cipher
                        .open(&access_context(chat_id), &sealed)?
                        .expose_secret()
                        == old.expose_secret()
                }
                None => false,
            };
            if !same {
                // Ended here, not left for sqlx to roll back later: the connection goes back to
                // be reused, and must not keep the row locked meanwhile.
                tx.rollback().await?;
                return Ok(false);
            }
            let (access, refresh) = self.seal_tokens(chat_id, new);
            sqlx::query(
                "UPDATE chat_tokens
                 SET token = $1, refresh_token = $2, expires_at = $3, updated_at = $4
                 WHERE chat_id = $5",
            )
            .bind(access)
            .bind(refresh)
            .bind(new.expires_at)
            .bind(unix_now())
            .bind(chat_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn token(&self, chat_id: i64) -> Result<Option<Tokens>> {
        let row: Option<(String, Option<String>, Option<i64>)> = reading!(self, c => sqlx::query_as(
            "SELECT token, refresh_token, expires_at FROM chat_tokens WHERE chat_id = $1",
        )
        .bind(chat_id)
        .fetch_optional(c)
        .await?);
        let Some((access, refresh, expires_at)) = row else {
            return Ok(None);
        };
        let access = self.cipher.open(&access_context(chat_id), &access)?;
        let refresh = match refresh {
            Some(sealed) => Some(self.cipher.open(&refresh_context(chat_id), &sealed)?),
            None => None,
        };
        Ok(Some(Tokens {
            access,
            refresh,
            expires_at,
        }))
    }

    /// Returns whether there was a token to forget.
    pub async fn forget_token(&self, chat_id: i64) -> Result<bool> {
        let done = writing!(self, c => sqlx::query("DELETE FROM chat_tokens WHERE chat_id = $1")
            .bind(chat_id)
            .execute(c)
            .await?
.rows_affected());
        Ok(done > 0)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::{ExposeSecret, SecretString};

    use super::Tokens;
    use crate::storage::StorageError;
    use crate::storage::crypto::Cipher;
    use crate::storage::testing::{db, dbs, pasted};

    #[tokio::test]
    async fn tokens_are_per_chat() {
        for (_guard, db) in dbs().await {
            db.set_token(1, &pasted("one"), Some(1)).await.unwrap();
            db.set_token(2, &pasted("two"), Some(2)).await.unwrap();
            db.set_token(1, &pasted("uno"), Some(1)).await.unwrap();
            let one = db.token(1).await.unwrap().unwrap();
            assert_eq!(one.access.expose_secret(), "uno");
            assert!(one.refresh.is_none());
            assert_eq!(
                db.token(2).await.unwrap().unwrap().access.expose_secret(),
                "two"
            );
            assert!(db.forget_token(1).await.unwrap());
            assert!(!db.forget_token(1).await.unwrap());
            assert!(db.token(1).await.unwrap().is_none());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_refresh_does_not_overwrite_a_newer_token() {
        for (_guard, db) in dbs().await {
            db.set_token(1, &pasted("old"), Some(1)).await.unwrap();
            assert!(
                db.replace_token(1, &SecretString::from("old"), &pasted("fresh"))
                    .await
                    .unwrap()
            );
            assert_eq!(
                db.token(1).await.unwrap().unwrap().access.expose_secret(),
                "fresh"
            );
            // The user set another token meanwhile: the refresh of the old one is dropped.
            db.set_token(1, &pasted("theirs"), Some(1)).await.unwrap();
            assert!(
                !db.replace_token(1, &SecretString::from("fresh"), &pasted("x"))
                    .await
                    .unwrap()
            );
            assert_eq!(
                db.token(1).await.unwrap().unwrap().access.expose_secret(),
                "theirs"
            );
            // Or forgot it: nothing comes back.
            db.forget_token(1).await.unwrap();
            assert!(
                !db.replace_token(1, &SecretString::from("theirs"), &pasted("x"))
                    .await
                    .unwrap()
            );
            assert!(db.token(1).await.unwrap().is_none());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn what_is_stored_is_sealed() {
        for (_guard, db) in dbs().await {
            let t = Tokens {
                access: SecretString::from("y0_CANARY_access"),
                refresh: Some(SecretString::from("1.CANARY_refresh")),
                expires_at: None,
            };
            db.set_token(3, &t, Some(3)).await.unwrap();
            let stored: Vec<(String, Option<String>)> = crate::storage::testing::fetch_all!(
                db,
                sqlx::query_as("SELECT token, refresh_token FROM chat_tokens")
            );
            let (access, refresh) = &stored[0];
            assert!(
                Cipher::is_sealed(access) && !access.contains("CANARY"),
                "{access}"
            );
            let refresh = refresh.as_deref().unwrap();
            assert!(
                Cipher::is_sealed(refresh) && !refresh.contains("CANARY"),
                "{refresh}"
            );
            db.close().await;
        }
    }

    #[tokio::test]
    async fn refresh_tokens_and_expiry_round_trip() {
        for (_guard, db) in dbs().await {
            let t = Tokens {
                access: SecretString::from("acc"),
                refresh: Some(SecretString::from("ref")),
                expires_at: Some(1_900_000_000),
            };
            db.set_token(-100, &t, Some(5)).await.unwrap();
            let got = db.token(-100).await.unwrap().unwrap();
            assert_eq!(got.access.expose_secret(), "acc");
            assert_eq!(got.refresh.unwrap().expose_secret(), "ref");
            assert_eq!(got.expires_at, Some(1_900_000_000));
            db.close().await;
        }
    }

    #[tokio::test]
    async fn tokens_are_sealed_and_bound_to_their_chat() {
        let (dir, db) = db().await;
        db.set_token(1, &pasted("y0_PLAINTEXT_CANARY"), Some(1))
            .await
            .unwrap();
        // A sealed value copied into another chat's row does not open there.
        sqlx::query("INSERT INTO chat_tokens (chat_id, token, updated_at) SELECT 2, token, 0 FROM chat_tokens WHERE chat_id = 1")
            .execute(&mut *db.sqlite().writer().await.unwrap())
            .await
            .unwrap();
        assert!(matches!(db.token(2).await, Err(StorageError::Crypto(_))));
        db.close().await;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !bytes.windows(19).any(|w| w == b"y0_PLAINTEXT_CANARY"),
                "plain token on disk"
            );
        }
    }
}
