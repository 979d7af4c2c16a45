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

use crate::telemost::model::{StreamAccess, WaitingRoomLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    WaitingRoom(WaitingRoomLevel),
    StreamAccess(StreamAccess),
    Skip,
    Create,
    Cancel,
}

impl Callback {
    pub fn parse(data: &str) -> Option<Self> {
        match data {
            "skip" => Some(Self::Skip),
            "create" => Some(Self::Create),
            "cancel" => Some(Self::Cancel),
            _ => {
                let (prefix, value) = data.split_once(':')?;
                match prefix {
                    "wr" => WaitingRoomLevel::parse(value).map(Self::WaitingRoom),
                    "sa" => StreamAccess::parse(value).map(Self::StreamAccess),
                    _ => None,
                }
            }
        }
    }

    pub fn render(self) -> String {
        match self {
            Self::WaitingRoom(l) => format!("wr:{}", l.as_str()),
            Self::StreamAccess(l) => format!("sa:{}", l.as_str()),
            Self::Skip => "skip".into(),
            Self::Create => "create".into(),
            Self::Cancel => "cancel".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_exact() {
        let cases = [
            ("wr:PUBLIC", Callback::WaitingRoom(WaitingRoomLevel::Public)),
            (
                "wr:ORGANIZATION",
                Callback::WaitingRoom(WaitingRoomLevel::Organization),
            ),
            ("wr:ADMINS", Callback::WaitingRoom(WaitingRoomLevel::Admins)),
            ("sa:PUBLIC", Callback::StreamAccess(StreamAccess::Public)),
            (
                "sa:ORGANIZATION",
                Callback::StreamAccess(StreamAccess::Organization),
            ),
            ("skip", Callback::Skip),
            ("create", Callback::Create),
            ("cancel", Callback::Cancel),
        ];
        for (wire, cb) in cases {
            assert_eq!(Callback::parse(wire), Some(cb), "{wire}");
            assert_eq!(cb.render(), wire);
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
