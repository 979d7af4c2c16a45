//! Property tests for the text parsers: thousands of random inputs (ASCII, Cyrillic, emoji,
//! separators, control characters) from a fixed-seed generator, so a failure reproduces. No parser
//! may panic, and whatever a parser accepts must satisfy the API's limits.

use telemost_bot::bot::callback::Callback;
use telemost_bot::bot::commands::{Command, parse_token};
use telemost_bot::telemost::model::{Cohosts, Description, Email, InvalidInput, Title, limits};
use teloxide::utils::command::BotCommands;

/// xorshift64*: small, deterministic, good enough to explore inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    /// A string of `len` pieces drawn from a pool that favours the characters parsers care about.
    fn text(&mut self, len: usize) -> String {
        const POOL: &[&str] = &[
            "a",
            "Z",
            "0",
            ".",
            "@",
            ",",
            ";",
            " ",
            "\n",
            "\t",
            "-",
            "_",
            "+",
            "ж",
            "Ё",
            "😀",
            "\u{200B}",
            "\u{0}",
            "\u{7f}",
            "<",
            ">",
            "\"",
            "/",
            ":",
            "ru",
            "ya.ru",
            "mail",
            "@yandex.ru",
            "..",
            "@@",
            "\u{FEFF}",
            "é",
            "中",
        ];
        (0..len).map(|_| self.pick(POOL)).collect()
    }
}

const ROUNDS: usize = 3000;

#[test]
fn titles_and_descriptions_respect_limits() {
    let mut rng = Rng(0x5EED_0001);
    for _ in 0..ROUNDS {
        let len = rng.below(1200);
        let s = rng.text(len);
        let trimmed = s.trim().chars().count();
        match Title::parse(&s) {
            Ok(t) => {
                let n = t.as_str().chars().count();
                assert!((1..=limits::TITLE_MAX_CHARS).contains(&n), "{n}");
                assert_eq!(t.as_str(), s.trim());
            }
            Err(InvalidInput::EmptyTitle) => assert_eq!(trimmed, 0),
            Err(InvalidInput::TitleTooLong { chars }) => {
                assert_eq!(chars, trimmed);
                assert!(chars > limits::TITLE_MAX_CHARS);
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
        match Description::parse(&(s.clone() + &s)) {
            Ok(Some(d)) => assert!(d.as_str().chars().count() <= limits::DESCRIPTION_MAX_CHARS),
            Ok(None) => assert_eq!(trimmed, 0),
            Err(InvalidInput::DescriptionTooLong { chars }) => {
                assert!(chars > limits::DESCRIPTION_MAX_CHARS)
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn emails_and_cohost_lists() {
    let mut rng = Rng(0x5EED_0002);
    for _ in 0..ROUNDS {
        let len = rng.below(40);
        let s = rng.text(len);
        if let Some(e) = Email::parse(&s) {
            let e = e.as_str();
            assert_eq!(e.matches('@').count(), 1, "{e:?}");
            assert!(!e.chars().any(char::is_whitespace), "{e:?}");
            assert_eq!(Email::parse(e).as_ref().map(Email::as_str), Some(e));
        }
        match Cohosts::parse(&s) {
            Ok(c) => {
                assert!((1..=limits::COHOSTS_MAX).contains(&c.emails().len()));
                for e in c.emails() {
                    assert!(Email::parse(e.as_str()).is_some());
                }
            }
            Err(InvalidInput::BadEmails(bad)) => {
                assert!(!bad.is_empty());
                for b in bad {
                    assert!(Email::parse(&b).is_none(), "{b:?} was reported bad");
                }
            }
            Err(InvalidInput::NoCohosts | InvalidInput::TooManyCohosts { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn commands_callbacks_and_tokens_never_panic() {
    let mut rng = Rng(0x5EED_0003);
    const PREFIXES: &[&str] = &[
        "/meet",
        "/stream",
        "/token",
        "/cancel",
        "/help",
        "/start",
        "/forget",
        "/x",
        "",
        "wr:",
        "sa:",
        "/meet@TelemostTestBot",
        "/stream@Other",
    ];
    for _ in 0..ROUNDS {
        let len = rng.below(30);
        let s = format!("{}{}", rng.pick(PREFIXES), rng.text(len));
        let _ = Command::parse(&s, "TelemostTestBot");
        if let Some(cb) = Callback::parse(&s) {
            assert_eq!(cb.render(), s, "callback data must round-trip");
        }
        if let Some(t) = parse_token(&s) {
            use secrecy::ExposeSecret;
            assert!(t.expose_secret().bytes().all(|b| b.is_ascii_graphic()));
        }
    }
}
