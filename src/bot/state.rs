//! A member's dialogue state: what the /meet and /stream drafts and the other prompts have
//! collected so far, persisted between updates (and restarts) by `BotDialogue`. The shared
//! vocabulary of the dialogue, management, groups and login features.

use serde::{Deserialize, Serialize};

use super::topic::Topic;
use crate::storage::ChatSettings;
use crate::telemost::model::{
    Cohosts, CreateConference, Description, LiveStream, StreamAccess, Title, WaitingRoomLevel,
};

/// A member's dialogue state in a chat, persisted between updates (and restarts) by
/// `BotDialogue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum State {
    #[default]
    Idle,
    /// `/token` was sent alone in a private chat, or a /connect link opened: the next message
    /// is the token.
    AwaitingToken(TokenPrompt),
    /// A meeting or stream being configured.
    Draft(Draft),
    /// "Add cohosts" or "Replace cohosts" was tapped under a meeting: the owner's next message
    /// is the list.
    Managing(CohostsPrompt),
    /// "Other…" was tapped under /settings' time zones (by an admin, in a group): the next
    /// message (in a group, a reply to the prompt) is the zone's name.
    AwaitingZone(ZonePrompt),
    /// The database could not be read: never stored, only handed to the handlers so the user
    /// hears about it instead of the update vanishing.
    #[serde(skip)]
    Unavailable,
}

/// What `/token` waits for: a token for the chat, or for `group` after a /connect link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPrompt {
    /// The group the token is for (a /connect link was opened); `None`: the chat's own.
    #[serde(default)]
    pub group: Option<i64>,
    /// Until when (unix seconds) the token is taken for `group`: a /connect link's lifetime.
    #[serde(default)]
    pub until: Option<i64>,
}

/// What "Add cohosts" or "Replace cohosts" waits for: the emails for meeting `conference`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohostsPrompt {
    pub conference: String,
    /// Replace the cohosts rather than add to them.
    pub replace: bool,
    /// The member who tapped the button: only their reply counts.
    pub owner: u64,
    /// The meeting's message, updated once the cohosts are set.
    pub message: i32,
    /// The prompt asking for the emails, whose Cancel button ends this.
    #[serde(default)]
    pub prompt: Option<i32>,
}

/// What "Other…" under /settings' time zones waits for: a zone's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZonePrompt {
    /// The prompt; in a group, the answer is a reply to it.
    pub prompt: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The user who started it: only they answer its questions and tap its buttons.
    pub owner: u64,
    /// The message whose buttons are live.
    pub panel: Option<i32>,
    pub step: Step,
    pub waiting_room: WaitingRoomLevel,
    pub cohosts: Option<Cohosts>,
    /// `Some` for /stream.
    pub stream: Option<StreamDraft>,
    /// Start automatic meeting notes (a chat setting).
    #[serde(default)]
    pub auto_summary: bool,
    /// Cohosts the chat used before, offered as buttons: (id, email).
    #[serde(default)]
    pub suggestions: Vec<(i64, String)>,
    /// When the step became `Creating` (unix seconds), to recognise a call that a crash or a
    /// restart interrupted.
    #[serde(default)]
    pub creating_since: Option<i64>,
    /// The update (`update_id`) whose handling started the creation. Handled again, it means
    /// the process handling it died mid-call and another took it over (see `bot::intake::queues`): the
    /// creation goes on rather than being refused as one already under way.
    #[serde(default)]
    pub creating_for: Option<u32>,
    /// What a meeting is about (`/meet <topic>`).
    #[serde(default)]
    pub topic: Option<Topic>,
    /// When, for a meeting scheduled for later (`/meet tomorrow 15:00`, or Later…).
    #[serde(default)]
    pub when: Option<Planned>,
}

/// When a scheduled meeting is, as read from what the user typed (see `bot::schedule`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    /// The (first) start, unix seconds.
    pub start: i64,
    pub duration_secs: i64,
    /// The recurrence rule (`schedule::Rule::to_db`); `None` for one time.
    #[serde(default)]
    pub repeat: Option<String>,
    /// The time zone it was read in (IANA).
    pub zone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamDraft {
    pub title: Option<Title>,
    pub access: StreamAccess,
    pub description: Option<Description>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Title,
    WaitingRoom,
    StreamAccess,
    Description,
    Cohosts,
    /// Later… was tapped: the next message says when.
    When,
    /// Find a time… was tapped (a group): the next message gives the times to vote on.
    Times,
    /// The API call is in flight.
    Creating,
}

impl State {
    /// The message whose buttons the dialogue owns: a draft's panel, a cohosts prompt.
    pub fn message(&self) -> Option<i32> {
        match self {
            State::Draft(d) => d.panel,
            State::Managing(p) => p.prompt,
            State::AwaitingZone(z) => Some(z.prompt),
            _ => None,
        }
    }
}

impl Step {
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::Title | Self::Description | Self::Cohosts | Self::When | Self::Times
        )
    }
}

impl Draft {
    pub fn meeting(owner: u64) -> Self {
        Self {
            owner,
            panel: None,
            step: Step::WaitingRoom,
            waiting_room: WaitingRoomLevel::default(),
            cohosts: None,
            stream: None,
            auto_summary: false,
            suggestions: Vec::new(),
            creating_since: None,
            creating_for: None,
            topic: None,
            when: None,
        }
    }

    /// A `Creating` step older than any Telemost call can take: the bot stopped mid-call.
    pub fn creation_interrupted(&self) -> bool {
        self.step == Step::Creating
            && self
                .creating_since
                .is_none_or(|at| crate::storage::unix_now() - at > CREATING_STALE_SECS)
    }

    /// Whether update `update_id` is the one that started this draft's creation, handled again.
    pub fn creation_taken_over_by(&self, update_id: u32) -> bool {
        self.step == Step::Creating && self.creating_for == Some(update_id)
    }

    /// Back to the first step after an interrupted creation, keeping the choices.
    pub fn resume_after_interruption(&mut self) {
        self.creating_since = None;
        self.creating_for = None;
        self.step = match &self.stream {
            Some(s) if s.title.is_none() => Step::Title,
            _ => Step::WaitingRoom,
        };
    }

    /// Starts from the chat's defaults instead of the built-in ones.
    pub fn with_defaults(mut self, settings: &ChatSettings) -> Self {
        if let Some(level) = WaitingRoomLevel::parse(&settings.waiting_room) {
            self.waiting_room = level;
        }
        if let (Some(s), Some(access)) = (
            self.stream.as_mut(),
            StreamAccess::parse(&settings.stream_access),
        ) {
            s.access = access;
        }
        self.auto_summary = settings.auto_summary;
        self
    }

    pub fn stream(owner: u64, title: Option<Title>) -> Self {
        Self {
            step: if title.is_some() {
                Step::WaitingRoom
            } else {
                Step::Title
            },
            stream: Some(StreamDraft {
                title,
                access: StreamAccess::default(),
                description: None,
            }),
            ..Self::meeting(owner)
        }
    }

    /// The step after `self.step`, or `None` when the next thing is to create.
    pub fn next_step(&self) -> Option<Step> {
        let stream = self.stream.is_some();
        match self.step {
            Step::Title | Step::When | Step::Times => Some(Step::WaitingRoom),
            Step::WaitingRoom if stream => Some(Step::StreamAccess),
            Step::WaitingRoom => Some(Step::Cohosts),
            Step::StreamAccess => Some(Step::Description),
            Step::Description => Some(Step::Cohosts),
            Step::Cohosts | Step::Creating => None,
        }
    }

    /// The API request for what is chosen so far; `None` while a stream still lacks its title.
    pub fn request(&self) -> Option<CreateConference> {
        let live_stream = match &self.stream {
            None => None,
            Some(s) => Some(LiveStream {
                access_level: s.access,
                title: s.title.clone()?,
                description: s.description.clone(),
            }),
        };
        let mut request =
            CreateConference::new(self.waiting_room, self.cohosts.as_ref(), live_stream);
        if self.auto_summary {
            request.is_auto_summarization_enabled = Some(true);
        }
        Some(request)
    }
}

/// A `Creating` step is stale after this long (Telemost calls give up within 30 s).
const CREATING_STALE_SECS: i64 = 120;

/// How many remembered cohosts the cohosts step offers (and so, how many pruning keeps).
pub(crate) const SUGGESTED_COHOSTS: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_steps() {
        let mut d = Draft::meeting(1);
        assert_eq!(d.step, Step::WaitingRoom);
        d.step = d.next_step().unwrap();
        assert_eq!(d.step, Step::Cohosts);
        assert_eq!(d.next_step(), None);
    }

    #[test]
    fn stream_steps_and_request() {
        let mut d = Draft::stream(1, None);
        assert_eq!(d.step, Step::Title);
        assert!(d.request().is_none(), "no request without a title");
        let mut order = vec![d.step];
        while let Some(next) = d.next_step() {
            d.step = next;
            order.push(next);
        }
        assert_eq!(
            order,
            [
                Step::Title,
                Step::WaitingRoom,
                Step::StreamAccess,
                Step::Description,
                Step::Cohosts
            ]
        );
        let d = Draft::stream(1, Some(Title::parse("T").unwrap()));
        assert_eq!(d.step, Step::WaitingRoom);
        assert_eq!(
            serde_json::to_value(d.request().unwrap()).unwrap(),
            serde_json::json!({"waiting_room_level":"PUBLIC","live_stream":{"access_level":"PUBLIC","title":"T"}})
        );
    }

    #[test]
    fn state_round_trips_through_json() {
        let mut d = Draft::stream(7, Some(Title::parse("Заголовок").unwrap()));
        d.cohosts = Some(Cohosts::parse("a@b.ru").unwrap());
        d.panel = Some(42);
        for state in [
            State::Idle,
            State::AwaitingToken(TokenPrompt::default()),
            State::AwaitingToken(TokenPrompt {
                group: Some(-100),
                until: Some(1_900_000_000),
            }),
            State::Draft(d),
            State::Managing(CohostsPrompt {
                conference: "123".into(),
                replace: true,
                owner: 7,
                message: 10,
                prompt: Some(11),
            }),
            State::AwaitingZone(ZonePrompt { prompt: 12 }),
        ] {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state);
        }
    }

    #[test]
    fn states_written_by_the_first_version_still_load() {
        let old: State = serde_json::from_str(r#"{"kind":"awaiting_token"}"#).unwrap();
        assert_eq!(old, State::AwaitingToken(TokenPrompt::default()));
    }

    /// The prompts were enum variants with fields before they had types of their own: what was
    /// stored then loads the same.
    #[test]
    fn prompts_stored_before_they_had_names_still_load() {
        let stored = [
            (
                r#"{"kind":"managing","conference":"c1","replace":false,"owner":7,"message":10}"#,
                State::Managing(CohostsPrompt {
                    conference: "c1".into(),
                    replace: false,
                    owner: 7,
                    message: 10,
                    prompt: None,
                }),
            ),
            (
                r#"{"kind":"awaiting_zone","prompt":12}"#,
                State::AwaitingZone(ZonePrompt { prompt: 12 }),
            ),
            (
                r#"{"kind":"awaiting_token","group":-100,"until":1900000000}"#,
                State::AwaitingToken(TokenPrompt {
                    group: Some(-100),
                    until: Some(1_900_000_000),
                }),
            ),
        ];
        for (json, want) in stored {
            assert_eq!(serde_json::from_str::<State>(json).unwrap(), want, "{json}");
            // Written the way it was: the same tag and field names (a missing optional field
            // is written as null).
            let mut written = serde_json::to_value(&want).unwrap();
            let stored: serde_json::Value = serde_json::from_str(json).unwrap();
            written
                .as_object_mut()
                .unwrap()
                .retain(|k, v| stored.get(k).is_some() || !v.is_null());
            assert_eq!(written, stored, "{json}");
        }
    }
}
