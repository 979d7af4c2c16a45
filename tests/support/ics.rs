//! A minimal, strict reader of iCalendar files (RFC 5545), written apart from the bot's writer
//! so that the stories check the bot's `.ics` files against the RFC rather than against the
//! bot's own idea of them. It reads what a calendar file of the bot has (a VCALENDAR with events,
//! their alarms, time zones) and panics, saying where, on what the RFC does not allow:
//!
//! - every physical line ends with CRLF (the last one too) and is at most 75 octets long, CRLF
//!   not counted (3.1); a line starting with a space or a tab continues the one before it;
//! - a content line is `NAME *(;PARAM=value[,value]) : value`, parameter values quoted when they
//!   hold `:`, `;` or `,` (3.1, 3.2);
//! - in a TEXT value (SUMMARY, DESCRIPTION…) `\`, `;` and `,` are escaped and a line break is
//!   `\n` (3.3.11); a bare `;` or `,`, or any other escape, is refused;
//! - components are nested BEGIN/END pairs inside one VCALENDAR; the calendar has VERSION and
//!   PRODID, an event UID and DTSTAMP, an alarm ACTION and TRIGGER.
//!
//! Names (of properties, parameters, components) are case-insensitive: they are given here in
//! upper case.

use jiff::Timestamp;

/// A content line: `name;params:value`, the value unescaped when it is TEXT.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    /// Parameter name (upper case) → its value(s) as written, quotes removed, several values
    /// joined with `,`.
    pub params: Vec<(String, String)>,
    pub value: String,
}

impl Property {
    pub fn param(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_uppercase();
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A component other than an event, or inside one: VTIMEZONE, STANDARD, DAYLIGHT, VALARM…
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub props: Vec<Property>,
    pub children: Vec<Component>,
}

impl Component {
    /// The value of property `name`, which appears at most once (panics if it appears more).
    pub fn get(&self, name: &str) -> Option<&str> {
        one(&self.name, &self.props, name).map(|p| p.value.as_str())
    }

    /// Every value of property `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        every(&self.props, name).map(|p| p.value.as_str()).collect()
    }

    /// Property `name`, with its parameters (at most once, as `get`).
    pub fn property(&self, name: &str) -> Option<&Property> {
        one(&self.name, &self.props, name)
    }
}

/// A VEVENT: its own properties (not its alarms').
#[derive(Debug, Clone, PartialEq)]
pub struct EventProps {
    pub props: Vec<Property>,
    /// Its VALARMs, in order.
    pub alarms: Vec<Component>,
}

impl EventProps {
    /// The value of property `name` (`"SUMMARY"`), unescaped; `None` if the event has none.
    /// Panics if it appears more than once (use `all` for ATTENDEE and the like).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.property(name).map(|p| p.value.as_str())
    }

    /// Every value of property `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        every(&self.props, name).map(|p| p.value.as_str()).collect()
    }

    /// Property `name`, with its parameters (at most once, as `get`).
    pub fn property(&self, name: &str) -> Option<&Property> {
        one("VEVENT", &self.props, name)
    }

    /// The instant of date-time property `name` (`"DTSTART"`), which must be written in UTC,
    /// `YYYYMMDDTHHMMSSZ` (no TZID, no floating time). Panics if it is missing or not so.
    pub fn time(&self, name: &str) -> Timestamp {
        let p = self
            .property(name)
            .unwrap_or_else(|| panic!("the event has no {name}: {:#?}", self.props));
        if let Some(tzid) = p.param("TZID") {
            panic!("{name} is in time zone {tzid}, not in UTC: {p:?}");
        }
        utc_time(&p.value).unwrap_or_else(|| {
            panic!(
                "{name} is not a UTC date-time YYYYMMDDTHHMMSSZ: {:?}",
                p.value
            )
        })
    }
}

/// A VCALENDAR.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// Its own properties (VERSION, PRODID, METHOD…): (name, value), in order.
    pub props: Vec<(String, String)>,
    /// Its VEVENTs, in order.
    pub events: Vec<EventProps>,
    /// Its other components (VTIMEZONE…), in order.
    pub components: Vec<Component>,
}

impl Calendar {
    /// The value of calendar property `name` (the first, if several).
    pub fn get(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_uppercase();
        self.props
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The calendar's one event (panics if it has none or several).
    pub fn event(&self) -> &EventProps {
        assert_eq!(
            self.events.len(),
            1,
            "expected one VEVENT: {:#?}",
            self.events
        );
        &self.events[0]
    }
}

/// Reads an iCalendar file, checking it as the module says; panics with the offending line on
/// anything wrong.
pub fn parse(text: &str) -> Calendar {
    let lines = content_lines(text);
    let mut stack: Vec<Component> = Vec::new();
    let mut done: Option<Component> = None;
    for (number, line) in lines {
        let at = || format!("line {number}: {line:?}");
        let (name, params, raw) =
            split_line(&line).unwrap_or_else(|why| panic!("{why} at {}", at()));
        if let Some(calendar) = &done {
            panic!("{} after END:{}", at(), calendar.name);
        }
        match name.as_str() {
            "BEGIN" => {
                let component = raw.to_ascii_uppercase();
                match (stack.last().map(|c| c.name.as_str()), component.as_str()) {
                    (None, "VCALENDAR") => {}
                    (None, _) => panic!("the file must open with BEGIN:VCALENDAR, not {}", at()),
                    (Some(_), "VCALENDAR") => panic!("a VCALENDAR inside another at {}", at()),
                    _ => {}
                }
                stack.push(Component {
                    name: component,
                    props: Vec::new(),
                    children: Vec::new(),
                });
            }
            "END" => {
                let component = raw.to_ascii_uppercase();
                let Some(open) = stack.pop() else {
                    panic!("END with nothing open at {}", at());
                };
                assert_eq!(
                    open.name,
                    component,
                    "END:{component} closes BEGIN:{} at {}",
                    open.name,
                    at()
                );
                check_required(&open);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(open),
                    None => done = Some(open),
                }
            }
            _ => {
                let Some(current) = stack.last_mut() else {
                    panic!("a property outside any component at {}", at());
                };
                let value = value_of(&name, &params, &raw).unwrap_or_else(|why| {
                    panic!("{why} in {name} of {} at {}", current.name, at())
                });
                current.props.push(Property {
                    name,
                    params,
                    value,
                });
            }
        }
    }
    if let Some(open) = stack.last() {
        panic!("BEGIN:{} is never closed", open.name);
    }
    let calendar = done.expect("the file is empty");
    let mut events = Vec::new();
    let mut components = Vec::new();
    for child in calendar.children {
        if child.name == "VEVENT" {
            let (alarms, others): (Vec<_>, Vec<_>) =
                child.children.into_iter().partition(|c| c.name == "VALARM");
            assert!(
                others.is_empty(),
                "a VEVENT holds only VALARMs, not {:?}",
                others.iter().map(|c| &c.name).collect::<Vec<_>>()
            );
            events.push(EventProps {
                props: child.props,
                alarms,
            });
        } else {
            components.push(child);
        }
    }
    Calendar {
        props: calendar
            .props
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect(),
        events,
        components,
    }
}

/// The logical lines of `text`, unfolded, each with the number of its first physical line
/// (from 1), after checking every physical line's ending and length.
fn content_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    let mut rest = text;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        let Some(end) = rest.find(['\r', '\n']) else {
            panic!("line {number} (the last) does not end with CRLF: {rest:?}");
        };
        let physical = &rest[..end];
        let ending = &rest[end..];
        if !ending.starts_with("\r\n") {
            let bare = if ending.starts_with('\n') { "LF" } else { "CR" };
            panic!("line {number} ends with a bare {bare}, not CRLF: {physical:?}");
        }
        rest = &ending[2..];
        assert!(
            physical.len() <= 75,
            "line {number} is {} octets long, more than 75 (fold it): {physical:?}",
            physical.len()
        );
        match physical.strip_prefix([' ', '\t']) {
            Some(continued) => match lines.last_mut() {
                Some((_, line)) => line.push_str(continued),
                None => panic!("the first line is a continuation: {physical:?}"),
            },
            None if physical.is_empty() => panic!("line {number} is empty"),
            None => lines.push((number, physical.to_owned())),
        }
    }
    lines
}

type Params = Vec<(String, String)>;

/// A content line's name (upper case), parameters and raw value.
fn split_line(line: &str) -> Result<(String, Params, String), String> {
    let mut chars = line.char_indices().peekable();
    let name = token(line, &mut chars);
    if name.is_empty() {
        return Err("no property name".into());
    }
    let mut params = Vec::new();
    loop {
        match chars.next() {
            Some((i, ':')) => return Ok((name, params, line[i + 1..].to_owned())),
            Some((_, ';')) => {
                let param = token(line, &mut chars);
                if param.is_empty() || chars.next().map(|(_, c)| c) != Some('=') {
                    return Err(format!("a parameter of {name} without a name or `=`"));
                }
                let mut values = Vec::new();
                loop {
                    let mut value = String::new();
                    if chars.next_if(|&(_, c)| c == '"').is_some() {
                        loop {
                            match chars.next() {
                                Some((_, '"')) => break,
                                Some((_, c)) if c.is_control() && c != '\t' => {
                                    return Err(format!("a control character in {param}"));
                                }
                                Some((_, c)) => value.push(c),
                                None => return Err(format!("{param}'s quote is never closed")),
                            }
                        }
                    } else {
                        while let Some((_, c)) =
                            chars.next_if(|&(_, c)| !matches!(c, ',' | ';' | ':'))
                        {
                            if c == '"' {
                                return Err(format!("a `\"` inside {param}'s unquoted value"));
                            }
                            value.push(c);
                        }
                    }
                    values.push(value);
                    if chars.next_if(|&(_, c)| c == ',').is_none() {
                        break;
                    }
                }
                params.push((param, values.join(",")));
            }
            Some((_, c)) => return Err(format!("{c:?} after the name {name}")),
            None => return Err(format!("no `:` after {name}")),
        }
    }
}

/// A name (iana-token or x-name: letters, digits, `-`), upper case.
fn token(line: &str, chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> String {
    let start = chars.peek().map_or(line.len(), |&(i, _)| i);
    let mut end = start;
    while let Some((i, c)) = chars.next_if(|&(_, c)| c.is_ascii_alphanumeric() || c == '-') {
        end = i + c.len_utf8();
    }
    line[start..end].to_ascii_uppercase()
}

/// Properties whose values are not TEXT (dates, URIs, numbers, rules…): kept as written.
const NOT_TEXT: &[&str] = &[
    "ATTACH",
    "ATTENDEE",
    "COMPLETED",
    "CREATED",
    "DTEND",
    "DTSTAMP",
    "DTSTART",
    "DUE",
    "DURATION",
    "EXDATE",
    "FREEBUSY",
    "GEO",
    "LAST-MODIFIED",
    "ORGANIZER",
    "PERCENT-COMPLETE",
    "PRIORITY",
    "RDATE",
    "RECURRENCE-ID",
    "REPEAT",
    "RRULE",
    "SEQUENCE",
    "TRIGGER",
    "TZOFFSETFROM",
    "TZOFFSETTO",
    "TZURL",
    "URL",
];

/// TEXT properties that hold a list: a bare `,` separates its items.
const TEXT_LISTS: &[&str] = &["CATEGORIES", "RESOURCES"];

/// A property's value: TEXT unescaped (checking its escapes), anything else as written.
fn value_of(name: &str, params: &Params, raw: &str) -> Result<String, String> {
    if let Some(c) = raw.chars().find(|&c| c.is_control() && c != '\t') {
        return Err(format!("control character {c:?} in the value"));
    }
    let declared = params
        .iter()
        .find(|(n, _)| n == "VALUE")
        .map(|(_, v)| v.to_ascii_uppercase());
    let text = match declared.as_deref() {
        Some("TEXT") => true,
        Some(_) => false,
        None => !NOT_TEXT.contains(&name),
    };
    if !text {
        return Ok(raw.to_owned());
    }
    let list = TEXT_LISTS.contains(&name);
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some(';') => out.push(';'),
                Some(',') => out.push(','),
                Some('n' | 'N') => out.push('\n'),
                Some(other) => return Err(format!("invalid escape \\{other} in {raw:?}")),
                None => return Err(format!("a lone \\ at the end of {raw:?}")),
            },
            ';' => return Err(format!("an unescaped `;` in TEXT {raw:?}")),
            ',' if !list => return Err(format!("an unescaped `,` in TEXT {raw:?}")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// What RFC 5545 requires of each component the bot writes.
fn check_required(component: &Component) {
    let required: &[&str] = match component.name.as_str() {
        "VCALENDAR" => &["VERSION", "PRODID"],
        "VEVENT" => &["UID", "DTSTAMP"],
        "VALARM" => &["ACTION", "TRIGGER"],
        "VTIMEZONE" => &["TZID"],
        _ => &[],
    };
    for name in required {
        let n = every(&component.props, name).count();
        assert_eq!(
            n, 1,
            "{} must have one {name}, has {n}: {:#?}",
            component.name, component.props
        );
    }
    if component.name == "VCALENDAR" {
        let version = one("VCALENDAR", &component.props, "VERSION").unwrap();
        assert_eq!(version.value, "2.0", "VERSION must be 2.0");
    }
}

fn every<'a>(props: &'a [Property], name: &str) -> impl Iterator<Item = &'a Property> {
    let name = name.to_ascii_uppercase();
    props.iter().filter(move |p| p.name == name)
}

fn one<'a>(component: &str, props: &'a [Property], name: &str) -> Option<&'a Property> {
    let mut found = every(props, name);
    let first = found.next();
    if found.next().is_some() {
        panic!(
            "{name} appears {} times in {component} (use `all`)",
            every(props, name).count()
        );
    }
    first
}

/// `YYYYMMDDTHHMMSSZ` as an instant; `None` if it is not exactly that, or not a real time.
fn utc_time(value: &str) -> Option<Timestamp> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i16> {
        let s = value.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let date =
        jiff::civil::Date::new(digits(0..4)?, digits(4..6)? as i8, digits(6..8)? as i8).ok()?;
    let time = jiff::civil::Time::new(
        digits(9..11)? as i8,
        digits(11..13)? as i8,
        digits(13..15)? as i8,
        0,
    )
    .ok()?;
    date.to_datetime(time)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}
