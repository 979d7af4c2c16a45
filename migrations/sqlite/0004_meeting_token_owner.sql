-- Whose token created a meeting (a chat id: the group's own, or a member's private chat), so that
-- managing it later uses the same account.
ALTER TABLE meetings ADD COLUMN token_owner INTEGER;
