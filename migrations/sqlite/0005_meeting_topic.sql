-- What a meeting is about, as typed after /meet (the Telemost API has no title for a meeting).
ALTER TABLE meetings ADD COLUMN topic TEXT;

-- Looking a meeting up by the chat it was created in and its conference id (the management
-- buttons do, for every press).
CREATE INDEX meetings_by_conference ON meetings (chat_id, conference_id);
