//! The inline buttons' callback data: a stable wire format. Messages sent months ago keep their
//! buttons, so these strings never change meaning; new buttons get new prefixes.
//!
//! | data              | meaning                                              |
//! |-------------------|------------------------------------------------------|
//! | `wr:<LEVEL>`      | waiting room: `PUBLIC`, `ORGANIZATION`, `ADMINS`     |
//! | `sa:<LEVEL>`      | who may watch a stream: `PUBLIC`, `ORGANIZATION`     |
//! | `skip`            | skip the optional text step on screen                |
//! | `create`          | create now, defaults for everything not chosen       |
//! | `cancel`          | end the dialogue                                     |
//! | `co:<id>`         | add or remove a cohost the chat used before (its id) |
//! | `later`           | schedule the draft's meeting for later (asks when)   |
//! | `findtime`        | a group votes on when instead (asks for the times)   |
//! | `cfg:wr:<LEVEL>`  | /settings: default waiting room                      |
//! | `cfg:sa:<LEVEL>`  | /settings: default stream access                     |
//! | `cfg:sum:on/off`  | /settings: automatic meeting notes                   |
//! | `cfg:adm:on/off`  | /settings: only admins create meetings (groups)      |
//! | `cfg:now:on/off`  | /settings: plain /meet creates at once               |
//! | `cfg:tz:<zone>`   | /settings: time zone, one of `COMMON_ZONES`          |
//! | `cfg:tz:other`    | /settings: ask for any IANA time zone by name        |
//! | `cfg:rem:<min>`   | /settings: remind 0, 5, 10 or 15 minutes before      |
//! | `cfg:done`        | /settings: close the panel                           |
//! | `mg:<id>:<what>`  | manage meeting `<id>`: `info`, `wr`, `wr:<LEVEL>`,   |
//! |                   | `add`, `set`, `clear` (cohosts), `back`              |
//! | `cal:<id>:<start>`| the calendar file of scheduled meeting `<id>` whose  |
//! |                   | occurrence starts at `<start>` (unix seconds)        |
//! | `up:<id>`         | /upcoming: cancel scheduled meeting `<id>`           |
//! | `fv:<id>:<n>`     | vote `<id>`: in or out for its time `<n>` (from 0)   |
//! | `fs:<id>:<n>`     | vote `<id>`: schedule its time `<n>` and close it    |
//! | `fc:<id>`         | vote `<id>`: close it now, the most votes winning    |
//! | `fx:<id>`         | vote `<id>`: cancel it (its own message's button)    |
//! | `fy:<id>`         | /upcoming: cancel vote `<id>`                        |

use crate::telemost::model::{StreamAccess, WaitingRoomLevel};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// A button of a /meet or /stream draft's panel (and the cohosts prompt's Cancel).
    Draft(Press),
    Setting(Setting),
    Manage {
        conference: String,
        action: Manage,
    },
    /// Add to calendar: a scheduled meeting's occurrence.
    Calendar {
        schedule: i64,
        start: i64,
    },
    /// Cancel a scheduled meeting.
    Unschedule(i64),
    /// A vote on when to meet (see `bot::findtime`).
    Vote {
        vote: i64,
        action: VoteAction,
    },
}

/// What a vote's button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteAction {
    /// In, or out again, for the time with this index.
    Toggle(u8),
    /// Schedule the time with this index, closing the vote.
    Schedule(u8),
    /// Close now (/upcoming): the time with the most votes wins.
    Close,
    /// Cancel, on the vote's own message.
    Cancel,
    /// Cancel, under /upcoming.
    CancelListed,
}

/// The time zones /settings offers as buttons (any other is typed by name).
pub const COMMON_ZONES: [&str; 8] = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Europe/Berlin",
    "UTC",
];

/// The reminder leads /settings offers, in minutes (0: only when the meeting starts).
pub const REMIND_CHOICES: [u32; 4] = [0, 5, 10, 15];

/// A draft panel's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    WaitingRoom(WaitingRoomLevel),
    StreamAccess(StreamAccess),
    Skip,
    Create,
    Cancel,
    Cohost(i64),
    /// Ask when, for a meeting later.
    Later,
    /// Ask for the times a group will vote on (`/findtime`).
    FindTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    WaitingRoom(WaitingRoomLevel),
    StreamAccess(StreamAccess),
    AutoSummary(bool),
    AdminsOnly(bool),
    InstantMeet(bool),
    /// One of `COMMON_ZONES`.
    Zone(&'static str),
    OtherZone,
    /// One of `REMIND_CHOICES`.
    Remind(u32),
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manage {
    /// Show the meeting's current settings and cohosts.
    Info,
    /// Offer the waiting room levels.
    ChooseWaitingRoom,
    WaitingRoom(WaitingRoomLevel),
    /// Ask for emails to add.
    AddCohosts,
    /// Ask for emails to replace the list with.
    ReplaceCohosts,
    ClearCohosts,
    /// Back to the links.
    Back,
}

/// Conference ids are digits today; accept a short word, never anything with a separator.
fn conference_id(s: &str) -> Option<String> {
    (!s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| s.to_owned())
}

/// A positive id written the one way we write it (no sign, no leading zeros).
fn positive(s: &str) -> Option<i64> {
    let n: i64 = s.parse().ok()?;
    (n > 0 && s == n.to_string()).then_some(n)
}

fn on_off(s: &str) -> Option<bool> {
    match s {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

fn on_off_str(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

impl Callback {
    pub fn parse(data: &str) -> Option<Self> {
        match data {
            "skip" => return Some(Self::Draft(Press::Skip)),
            "create" => return Some(Self::Draft(Press::Create)),
            "cancel" => return Some(Self::Draft(Press::Cancel)),
            "later" => return Some(Self::Draft(Press::Later)),
            "findtime" => return Some(Self::Draft(Press::FindTime)),
            "cfg:done" => return Some(Self::Setting(Setting::Done)),
            _ => {}
        }
        let (prefix, value) = data.split_once(':')?;
        match prefix {
            "wr" => WaitingRoomLevel::parse(value).map(|l| Self::Draft(Press::WaitingRoom(l))),
            "sa" => StreamAccess::parse(value).map(|a| Self::Draft(Press::StreamAccess(a))),
            "co" => {
                let id: i64 = value.parse().ok()?;
                (id > 0 && value == id.to_string()).then_some(Self::Draft(Press::Cohost(id)))
            }
            "cfg" => {
                let (what, v) = value.split_once(':')?;
                let setting = match what {
                    "wr" => Setting::WaitingRoom(WaitingRoomLevel::parse(v)?),
                    "sa" => Setting::StreamAccess(StreamAccess::parse(v)?),
                    "sum" => Setting::AutoSummary(on_off(v)?),
                    "adm" => Setting::AdminsOnly(on_off(v)?),
                    "now" => Setting::InstantMeet(on_off(v)?),
                    "tz" if v == "other" => Setting::OtherZone,
                    "tz" => Setting::Zone(COMMON_ZONES.into_iter().find(|z| *z == v)?),
                    "rem" => {
                        Setting::Remind(REMIND_CHOICES.into_iter().find(|m| m.to_string() == v)?)
                    }
                    _ => return None,
                };
                Some(Self::Setting(setting))
            }
            "mg" => {
                let (id, what) = value.split_once(':')?;
                let action = match what {
                    "info" => Manage::Info,
                    "wr" => Manage::ChooseWaitingRoom,
                    "add" => Manage::AddCohosts,
                    "set" => Manage::ReplaceCohosts,
                    "clear" => Manage::ClearCohosts,
                    "back" => Manage::Back,
                    other => {
                        Manage::WaitingRoom(WaitingRoomLevel::parse(other.strip_prefix("wr:")?)?)
                    }
                };
                Some(Self::Manage {
                    conference: conference_id(id)?,
                    action,
                })
            }
            "cal" => {
                let (id, start) = value.split_once(':')?;
                Some(Self::Calendar {
                    schedule: positive(id)?,
                    start: positive(start)?,
                })
            }
            "up" => Some(Self::Unschedule(positive(value)?)),
            "fv" | "fs" => {
                let (id, n) = value.split_once(':')?;
                let n: u8 = n.parse().ok().filter(|k: &u8| n == k.to_string())?;
                let action = match prefix {
                    "fv" => VoteAction::Toggle(n),
                    _ => VoteAction::Schedule(n),
                };
                Some(Self::Vote {
                    vote: positive(id)?,
                    action,
                })
            }
            "fc" | "fx" | "fy" => Some(Self::Vote {
                vote: positive(value)?,
                action: match prefix {
                    "fc" => VoteAction::Close,
                    "fx" => VoteAction::Cancel,
                    _ => VoteAction::CancelListed,
                },
            }),
            _ => None,
        }
    }

    pub fn render(&self) -> String {
        match self {
            Self::Draft(p) => match p {
                Press::WaitingRoom(l) => format!("wr:{}", l.as_str()),
                Press::StreamAccess(l) => format!("sa:{}", l.as_str()),
                Press::Skip => "skip".into(),
                Press::Create => "create".into(),
                Press::Cancel => "cancel".into(),
                Press::Cohost(id) => format!("co:{id}"),
                Press::Later => "later".into(),
                Press::FindTime => "findtime".into(),
            },
            Self::Setting(s) => match s {
                Setting::WaitingRoom(l) => format!("cfg:wr:{}", l.as_str()),
                Setting::StreamAccess(l) => format!("cfg:sa:{}", l.as_str()),
                Setting::AutoSummary(b) => format!("cfg:sum:{}", on_off_str(*b)),
                Setting::AdminsOnly(b) => format!("cfg:adm:{}", on_off_str(*b)),
                Setting::InstantMeet(b) => format!("cfg:now:{}", on_off_str(*b)),
                Setting::Zone(z) => format!("cfg:tz:{z}"),
                Setting::OtherZone => "cfg:tz:other".into(),
                Setting::Remind(m) => format!("cfg:rem:{m}"),
                Setting::Done => "cfg:done".into(),
            },
            Self::Manage { conference, action } => {
                let what = match action {
                    Manage::Info => "info".to_owned(),
                    Manage::ChooseWaitingRoom => "wr".to_owned(),
                    Manage::WaitingRoom(l) => format!("wr:{}", l.as_str()),
                    Manage::AddCohosts => "add".to_owned(),
                    Manage::ReplaceCohosts => "set".to_owned(),
                    Manage::ClearCohosts => "clear".to_owned(),
                    Manage::Back => "back".to_owned(),
                };
                format!("mg:{conference}:{what}")
            }
            Self::Calendar { schedule, start } => format!("cal:{schedule}:{start}"),
            Self::Unschedule(id) => format!("up:{id}"),
            Self::Vote { vote, action } => match action {
                VoteAction::Toggle(n) => format!("fv:{vote}:{n}"),
                VoteAction::Schedule(n) => format!("fs:{vote}:{n}"),
                VoteAction::Close => format!("fc:{vote}"),
                VoteAction::Cancel => format!("fx:{vote}"),
                VoteAction::CancelListed => format!("fy:{vote}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_exact() {
        let draft = Callback::Draft;
        let cases = [
            (
                "wr:PUBLIC",
                draft(Press::WaitingRoom(WaitingRoomLevel::Public)),
            ),
            (
                "wr:ORGANIZATION",
                draft(Press::WaitingRoom(WaitingRoomLevel::Organization)),
            ),
            (
                "wr:ADMINS",
                draft(Press::WaitingRoom(WaitingRoomLevel::Admins)),
            ),
            (
                "sa:PUBLIC",
                draft(Press::StreamAccess(StreamAccess::Public)),
            ),
            (
                "sa:ORGANIZATION",
                draft(Press::StreamAccess(StreamAccess::Organization)),
            ),
            ("skip", draft(Press::Skip)),
            ("create", draft(Press::Create)),
            ("cancel", draft(Press::Cancel)),
            ("co:17", draft(Press::Cohost(17))),
            (
                "cfg:wr:ADMINS",
                Callback::Setting(Setting::WaitingRoom(WaitingRoomLevel::Admins)),
            ),
            (
                "cfg:sa:ORGANIZATION",
                Callback::Setting(Setting::StreamAccess(StreamAccess::Organization)),
            ),
            ("cfg:sum:on", Callback::Setting(Setting::AutoSummary(true))),
            ("cfg:adm:off", Callback::Setting(Setting::AdminsOnly(false))),
            ("cfg:now:on", Callback::Setting(Setting::InstantMeet(true))),
            ("cfg:done", Callback::Setting(Setting::Done)),
            ("later", draft(Press::Later)),
            (
                "cfg:tz:Asia/Yekaterinburg",
                Callback::Setting(Setting::Zone("Asia/Yekaterinburg")),
            ),
            ("cfg:tz:other", Callback::Setting(Setting::OtherZone)),
            ("cfg:rem:10", Callback::Setting(Setting::Remind(10))),
            ("cfg:rem:0", Callback::Setting(Setting::Remind(0))),
            (
                "cal:12:1796000000",
                Callback::Calendar {
                    schedule: 12,
                    start: 1_796_000_000,
                },
            ),
            ("up:7", Callback::Unschedule(7)),
            (
                "fv:12:0",
                Callback::Vote {
                    vote: 12,
                    action: VoteAction::Toggle(0),
                },
            ),
            (
                "fs:12:5",
                Callback::Vote {
                    vote: 12,
                    action: VoteAction::Schedule(5),
                },
            ),
            (
                "fc:3",
                Callback::Vote {
                    vote: 3,
                    action: VoteAction::Close,
                },
            ),
            (
                "fx:3",
                Callback::Vote {
                    vote: 3,
                    action: VoteAction::Cancel,
                },
            ),
            (
                "fy:3",
                Callback::Vote {
                    vote: 3,
                    action: VoteAction::CancelListed,
                },
            ),
        ];
        for (wire, cb) in cases {
            assert_eq!(Callback::parse(wire).as_ref(), Some(&cb), "{wire}");
            assert_eq!(cb.render(), wire);
        }
        let id = "10000000000001";
        for (what, action) in [
            ("info", Manage::Info),
            ("wr", Manage::ChooseWaitingRoom),
            (
                "wr:ORGANIZATION",
                Manage::WaitingRoom(WaitingRoomLevel::Organization),
            ),
            ("add", Manage::AddCohosts),
            ("set", Manage::ReplaceCohosts),
            ("clear", Manage::ClearCohosts),
            ("back", Manage::Back),
        ] {
            let wire = format!("mg:{id}:{what}");
            let cb = Callback::Manage {
                conference: id.into(),
                action,
            };
            assert_eq!(Callback::parse(&wire).as_ref(), Some(&cb), "{wire}");
            assert_eq!(cb.render(), wire);
            assert!(wire.len() <= 64, "Telegram's limit for callback data");
        }
    }

    #[test]
    fn unknown_data_is_none() {
        for junk in [
            "",
            "wr:",
            "wr:ADMIN",
            "sa:ADMINS",
            "wr:public",
            "create ",
            "x:y",
            "::",
            "cfg:tz:Mars/Olympus",
            "cfg:tz:europe/moscow",
            "cfg:rem:7",
            "cfg:rem:05",
            "cal:1",
            "cal:1:-5",
            "cal:01:5",
            "cal:x:5",
            "up:-3",
            "up:0",
            "up:1:2",
            "up:",
            "fv:1",
            "fv:1:",
            "fv:1:01",
            "fv:1:256",
            "fv:0:1",
            "fv:1:-1",
            "fs:x:1",
            "fc:1:2",
            "fx:",
        ] {
            assert_eq!(Callback::parse(junk), None, "{junk:?}");
        }
    }
}
