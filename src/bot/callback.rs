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
//! | `cfg:wr:<LEVEL>`  | /settings: default waiting room                      |
//! | `cfg:sa:<LEVEL>`  | /settings: default stream access                     |
//! | `cfg:sum:on/off`  | /settings: automatic meeting notes                   |
//! | `cfg:adm:on/off`  | /settings: only admins create meetings (groups)      |
//! | `cfg:now:on/off`  | /settings: plain /meet creates at once               |
//! | `cfg:done`        | /settings: close the panel                           |
//! | `mg:<id>:<what>`  | manage meeting `<id>`: `info`, `wr`, `wr:<LEVEL>`,   |
//! |                   | `add`, `set`, `clear` (cohosts), `back`              |

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
}

/// A draft panel's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    WaitingRoom(WaitingRoomLevel),
    StreamAccess(StreamAccess),
    Skip,
    Create,
    Cancel,
    Cohost(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    WaitingRoom(WaitingRoomLevel),
    StreamAccess(StreamAccess),
    AutoSummary(bool),
    AdminsOnly(bool),
    InstantMeet(bool),
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
            },
            Self::Setting(s) => match s {
                Setting::WaitingRoom(l) => format!("cfg:wr:{}", l.as_str()),
                Setting::StreamAccess(l) => format!("cfg:sa:{}", l.as_str()),
                Setting::AutoSummary(b) => format!("cfg:sum:{}", on_off_str(*b)),
                Setting::AdminsOnly(b) => format!("cfg:adm:{}", on_off_str(*b)),
                Setting::InstantMeet(b) => format!("cfg:now:{}", on_off_str(*b)),
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
        ] {
            assert_eq!(Callback::parse(junk), None, "{junk:?}");
        }
    }
}
