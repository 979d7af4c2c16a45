//! A calendar file (RFC 5545, iCalendar) for one meeting, to add it to a calendar app.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// One meeting, as a calendar event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// Stable per meeting, given by the caller.
    pub uid: &'a str,
    pub start: Timestamp,
    pub end: Timestamp,
    /// When this file was made (DTSTAMP).
    pub stamp: Timestamp,
    /// The topic, or a default title the caller chooses.
    pub summary: &'a str,
    /// The join link: written as both LOCATION and URL.
    pub url: &'a str,
    pub description: Option<&'a str>,
}

/// A VCALENDAR with the one VEVENT: CRLF line ends, lines folded at 75 octets, times in UTC.
pub fn calendar(event: &Event) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//telemost-bot//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", text(event.uid)),
        format!("DTSTAMP:{}", utc(event.stamp)),
        format!("DTSTART:{}", utc(event.start)),
        format!("DTEND:{}", utc(event.end)),
        format!("SUMMARY:{}", text(event.summary)),
        format!("LOCATION:{}", text(event.url)),
        format!("URL:{}", uri(event.url)),
    ];
    if let Some(description) = event.description {
        lines.push(format!("DESCRIPTION:{}", text(description)));
    }
    lines.push("END:VEVENT".to_string());
    lines.push("END:VCALENDAR".to_string());

    let mut out = String::new();
    for line in &lines {
        fold(line, &mut out);
    }
    out
}

/// The UTC form: `YYYYMMDDTHHMMSSZ`.
fn utc(at: Timestamp) -> String {
    let dt = TimeZone::UTC.to_datetime(at);
    let mut out = String::with_capacity(16);
    let _ = write!(
        out,
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    out
}

/// A TEXT value: `\`, `;`, `,` escaped, any line break as `\n`, other control characters
/// (which TEXT may not hold) dropped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                // CRLF is one line break.
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A URI value: written as is (no TEXT escaping), without control characters.
fn uri(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

/// Appends `line` folded into physical lines of at most 75 octets, each ending in CRLF; a
/// continuation starts with one space, and no UTF-8 character is split.
fn fold(line: &str, out: &mut String) {
    const LIMIT: usize = 75;
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > LIMIT {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A content line read back: name, parameters (as written), unescaped value.
    #[derive(Debug)]
    struct Line {
        name: String,
        params: String,
        value: String,
    }

    /// A small reader independent of the writer: unfolds (RFC 5545 §3.1), splits each content
    /// line into name, parameters and value, and undoes TEXT escaping (except for URL, a URI).
    fn parse(ics: &str) -> Vec<Line> {
        assert!(ics.ends_with("\r\n"), "the file ends with CRLF");
        let physical: Vec<&str> = ics[..ics.len() - 2].split("\r\n").collect();
        let mut logical: Vec<String> = Vec::new();
        for line in physical {
            assert!(
                !line.contains('\n') && !line.contains('\r'),
                "bare line break in {line:?}"
            );
            match line.strip_prefix([' ', '\t']) {
                Some(continuation) => logical.last_mut().unwrap().push_str(continuation),
                None => logical.push(line.to_string()),
            }
        }
        logical
            .into_iter()
            .map(|line| {
                let (head, value) = line.split_once(':').unwrap();
                let (name, params) = head.split_once(';').unwrap_or((head, ""));
                let value = if name == "URL" {
                    value.to_string()
                } else {
                    unescape(value)
                };
                Line {
                    name: name.to_string(),
                    params: params.to_string(),
                    value,
                }
            })
            .collect()
    }

    fn unescape(value: &str) -> String {
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(c @ ('\\' | ';' | ',')) => out.push(c),
                other => panic!("bad escape \\{other:?} in {value:?}"),
            }
        }
        out
    }

    fn get<'a>(lines: &'a [Line], name: &str) -> Option<&'a str> {
        let mut found = lines.iter().filter(|l| l.name == name);
        let line = found.next()?;
        assert!(found.next().is_none(), "{name} appears more than once");
        assert_eq!(line.params, "", "{name} has parameters");
        Some(&line.value)
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn event<'a>(summary: &'a str, description: Option<&'a str>) -> Event<'a> {
        Event {
            uid: "meeting-42@telemost-bot",
            start: ts("2026-06-11T07:00:00Z"),
            end: ts("2026-06-11T07:30:00Z"),
            stamp: ts("2026-06-10T12:34:56.789Z"),
            summary,
            url: "https://telemost.yandex.ru/j/12345678901234",
            description,
        }
    }

    fn check_physical_lines(ics: &str) {
        for line in ics.split_inclusive("\r\n") {
            assert!(line.ends_with("\r\n"), "{line:?} does not end with CRLF");
            assert!(
                line.len() <= 75 + 2,
                "{line:?} is {} octets",
                line.len() - 2
            );
            assert!(!line[..line.len() - 2].contains(['\r', '\n']));
        }
    }

    #[test]
    fn a_simple_event() {
        let ics = calendar(&event("Design review", None));
        check_physical_lines(&ics);
        let lines = parse(&ics);
        let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD", "BEGIN", "UID", "DTSTAMP",
                "DTSTART", "DTEND", "SUMMARY", "LOCATION", "URL", "END", "END"
            ]
        );
        assert_eq!(lines[0].value, "VCALENDAR");
        assert_eq!(lines[5].value, "VEVENT");
        assert_eq!(lines[13].value, "VEVENT");
        assert_eq!(lines[14].value, "VCALENDAR");
        assert_eq!(get(&lines, "VERSION"), Some("2.0"));
        assert_eq!(get(&lines, "PRODID"), Some("-//telemost-bot//EN"));
        assert_eq!(get(&lines, "CALSCALE"), Some("GREGORIAN"));
        assert_eq!(get(&lines, "METHOD"), Some("PUBLISH"));
        assert_eq!(get(&lines, "UID"), Some("meeting-42@telemost-bot"));
        // Whole seconds, UTC form; the stamp's milliseconds are dropped.
        assert_eq!(get(&lines, "DTSTAMP"), Some("20260610T123456Z"));
        assert_eq!(get(&lines, "DTSTART"), Some("20260611T070000Z"));
        assert_eq!(get(&lines, "DTEND"), Some("20260611T073000Z"));
        assert_eq!(get(&lines, "SUMMARY"), Some("Design review"));
        let url = "https://telemost.yandex.ru/j/12345678901234";
        assert_eq!(get(&lines, "LOCATION"), Some(url));
        assert_eq!(get(&lines, "URL"), Some(url));
        assert_eq!(get(&lines, "DESCRIPTION"), None);
    }

    #[test]
    fn a_long_russian_summary_with_special_characters() {
        // Cyrillic letters are two octets each, so this folds several times; the writer must
        // never cut a letter in half, and the reader must get every comma, semicolon, backslash
        // and line break back.
        let summary = "Обсуждение плана на квартал; бюджет, сроки, риски\nи \\ прочее: \
                       всё, что накопилось за неделю; итоги";
        let description = "Повестка:\r\n1. Бюджет, сроки;\n2. Риски\rКонец";
        let ics = calendar(&event(summary, Some(description)));
        check_physical_lines(&ics);
        assert!(ics.lines().count() > 16, "some lines were folded");
        let lines = parse(&ics);
        assert_eq!(get(&lines, "SUMMARY"), Some(summary));
        // CRLF and a lone CR are line breaks too; they come back as \n.
        assert_eq!(
            get(&lines, "DESCRIPTION"),
            Some("Повестка:\n1. Бюджет, сроки;\n2. Риски\nКонец")
        );
        // The escaped forms are what is written.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(
            "SUMMARY:Обсуждение плана на квартал\\; бюджет\\, сроки\\, риски\\nи \\\\ прочее"
        ));
    }

    #[test]
    fn folding_never_splits_a_character() {
        // Every width of UTF-8 character, at every offset against the 75-octet limit.
        for prefix in 0..8 {
            for letter in ["a", "ж", "€", "🦀"] {
                let summary = format!("{}{}", "x".repeat(prefix), letter.repeat(100));
                let ics = calendar(&event(&summary, None));
                check_physical_lines(&ics);
                assert_eq!(get(&parse(&ics), "SUMMARY"), Some(summary.as_str()));
            }
        }
    }

    #[test]
    fn url_is_a_uri_not_text() {
        // A URL with commas and semicolons: escaped in LOCATION (TEXT), as is in URL (URI).
        let url = "https://example.com/j/1;a=b,c";
        let ics = calendar(&Event {
            url,
            ..event("X", None)
        });
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("\r\nURL:https://example.com/j/1;a=b,c\r\n"));
        assert!(unfolded.contains("\r\nLOCATION:https://example.com/j/1\\;a=b\\,c\r\n"));
        let lines = parse(&ics);
        assert_eq!(get(&lines, "URL"), Some(url));
        assert_eq!(get(&lines, "LOCATION"), Some(url));
    }

    #[test]
    fn control_characters_cannot_break_the_file() {
        // A line break smuggled into a field must not start a new property.
        let ics = calendar(&Event {
            uid: "id\r\nX-EVIL:1",
            url: "https://e.com/\r\nX-EVIL:2",
            ..event("a\u{0}b\u{7}c\td", Some("\u{1b}[31mred"))
        });
        check_physical_lines(&ics);
        let lines = parse(&ics);
        assert!(lines.iter().all(|l| l.name != "X-EVIL"));
        assert_eq!(get(&lines, "UID"), Some("id\nX-EVIL:1"));
        assert_eq!(get(&lines, "URL"), Some("https://e.com/X-EVIL:2"));
        assert_eq!(get(&lines, "SUMMARY"), Some("abc\td"));
        assert_eq!(get(&lines, "DESCRIPTION"), Some("[31mred"));
    }

    #[test]
    fn empty_fields() {
        let ics = calendar(&Event {
            uid: "",
            url: "",
            ..event("", Some(""))
        });
        check_physical_lines(&ics);
        let lines = parse(&ics);
        assert_eq!(get(&lines, "SUMMARY"), Some(""));
        assert_eq!(get(&lines, "DESCRIPTION"), Some(""));
        assert_eq!(get(&lines, "URL"), Some(""));
    }
}
