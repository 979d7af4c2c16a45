//! What a meeting is about: the text after `/meet` (`/meet Standup with design`). The Telemost API
//! has no title for a plain meeting, so the topic is the bot's own: shown above the link, in
//! /history, in the Details view and in the shared text, and kept in the bot's record.

use serde::{Deserialize, Serialize};

/// The longest topic kept, in characters: a line above a link, not a document.
pub const TOPIC_MAX_CHARS: usize = 200;

/// A meeting's topic: 1..=`TOPIC_MAX_CHARS` characters after trimming, with line breaks and other
/// control characters turned into spaces (it is shown on one line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(String);

/// A topic over `TOPIC_MAX_CHARS`; `chars` is its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the topic has {chars} characters, more than {TOPIC_MAX_CHARS}")]
pub struct TopicTooLong {
    pub chars: usize,
}

impl Topic {
    /// `Ok(None)` for blank input: no topic.
    pub fn parse(raw: &str) -> Result<Option<Self>, TopicTooLong> {
        let one_line: String = raw
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let chars = one_line.chars().count();
        if chars == 0 {
            Ok(None)
        } else if chars > TOPIC_MAX_CHARS {
            Err(TopicTooLong { chars })
        } else {
            Ok(Some(Self(one_line)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Topic {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match Self::parse(&s) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err("an empty topic".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_trimmed_one_line_and_bounded() {
        assert_eq!(Topic::parse("  ").unwrap(), None);
        assert_eq!(
            Topic::parse(" Standup with design \n")
                .unwrap()
                .unwrap()
                .as_str(),
            "Standup with design"
        );
        assert_eq!(Topic::parse("a\nb\tc").unwrap().unwrap().as_str(), "a b c");
        let max = "я".repeat(TOPIC_MAX_CHARS);
        assert_eq!(Topic::parse(&max).unwrap().unwrap().as_str(), max);
        assert_eq!(
            Topic::parse(&format!("{max}!")),
            Err(TopicTooLong {
                chars: TOPIC_MAX_CHARS + 1
            })
        );
        let json = serde_json::to_string(&Topic::parse("Q&A").unwrap().unwrap()).unwrap();
        assert_eq!(json, "\"Q&A\"");
        assert!(serde_json::from_str::<Topic>("\"\"").is_err());
    }
}
