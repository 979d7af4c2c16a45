//! Property tests for the text parsers: thousands of random inputs (ASCII, Cyrillic, emoji,
//! separators, control characters) from a fixed-seed generator, so a failure reproduces. No parser
//! may panic, and whatever a parser accepts must satisfy the API's limits.
//!
//! Then the same generator drives the running bot (against the fake Telegram and Telemost) with
//! button presses of every callback prefix it emits, well-formed but naming ids that are not the
//! chat's, and malformed: every press is answered, none reaches Telemost, and the chat still
//! creates meetings afterwards.

mod support;

use std::collections::HashSet;

use support::telemost::{conference_id, join_url};
use support::{MANAGE_ACTIONS, Person, Reply, TestApp, en};
use telemost_bot::bot::commands::Command;
use telemost_bot::bot::speak::callback::{
    COMMON_ZONES, Callback, Manage, Press, REMIND_CHOICES, Setting, VoteAction,
};
use telemost_bot::bot::tokens::parse_token;
use telemost_bot::telemost::model::{
    Cohosts, Description, Email, InvalidInput, StreamAccess, Title, WaitingRoomLevel, limits,
};
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
    // How often the callback parser accepted its input, and the kinds it accepted (the data's
    // prefix): the round trip below is checked only when it did.
    let mut round_trips = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..ROUNDS {
        let s = match rng.below(3) {
            // A button's data as the bot writes it, each field random.
            0 => {
                let cb = rng.callback();
                let data = cb.render();
                assert_eq!(
                    Callback::parse(&data).as_ref(),
                    Some(&cb),
                    "{data:?} reads back as what it was written from"
                );
                assert!(data.len() <= CALLBACK_DATA_MAX, "{data:?}");
                data
            }
            // The same, cut short or with something after it.
            1 => {
                let data = rng.callback().render();
                let len = 1 + rng.below(4);
                if rng.below(2) == 0 {
                    let cuts: Vec<usize> = data.char_indices().map(|(i, _)| i).collect();
                    data[..cuts[rng.below(cuts.len())]].to_owned()
                } else {
                    data + &rng.text(len)
                }
            }
            _ => {
                let len = rng.below(30);
                format!("{}{}", rng.pick(PREFIXES), rng.text(len))
            }
        };
        let _ = Command::parse(&s, "TelemostTestBot");
        if let Some(cb) = Callback::parse(&s) {
            assert_eq!(cb.render(), s, "callback data must round-trip");
            round_trips += 1;
            kinds.insert(s.split(':').next().unwrap_or_default().to_owned());
        }
        if let Some(t) = parse_token(&s) {
            use secrecy::ExposeSecret;
            assert!(t.expose_secret().bytes().all(|b| b.is_ascii_graphic()));
        }
    }
    // A third of the rounds (about 1000) are the bot's own data, every one of which must be
    // accepted.
    assert!(
        round_trips >= ROUNDS / 4,
        "the round trip was checked {round_trips} times in {ROUNDS}"
    );
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "cal", "cancel", "cfg", "co", "create", "fc", "findtime", "fs", "fv", "fx", "fy",
            "later", "mg", "sa", "skip", "up", "wr",
        ],
        "every kind of button's data was accepted and read back"
    );
}

impl Rng {
    /// A positive id: small, or anywhere up to `i64::MAX`.
    fn id(&mut self) -> i64 {
        if self.below(2) == 0 {
            1 + self.below(1000) as i64
        } else {
            1 + (self.next() % i64::MAX as u64) as i64
        }
    }

    /// Any callback the bot emits, every field random.
    fn callback(&mut self) -> Callback {
        let level = WaitingRoomLevel::ALL[self.below(WaitingRoomLevel::ALL.len())];
        let access = StreamAccess::ALL[self.below(StreamAccess::ALL.len())];
        let on = self.below(2) == 0;
        match self.below(8) {
            0 => Callback::Draft(match self.below(8) {
                0 => Press::WaitingRoom(level),
                1 => Press::StreamAccess(access),
                2 => Press::Skip,
                3 => Press::Create,
                4 => Press::Cancel,
                5 => Press::Cohost(self.id()),
                6 => Press::Later,
                _ => Press::FindTime,
            }),
            1 => Callback::Setting(match self.below(9) {
                0 => Setting::WaitingRoom(level),
                1 => Setting::StreamAccess(access),
                2 => Setting::AutoSummary(on),
                3 => Setting::AdminsOnly(on),
                4 => Setting::InstantMeet(on),
                5 => Setting::Zone(COMMON_ZONES[self.below(COMMON_ZONES.len())]),
                6 => Setting::OtherZone,
                7 => Setting::Remind(REMIND_CHOICES[self.below(REMIND_CHOICES.len())]),
                _ => Setting::Done,
            }),
            2 | 3 => Callback::Manage {
                conference: self.foreign_conference(&[]),
                action: match self.below(7) {
                    0 => Manage::Info,
                    1 => Manage::ChooseWaitingRoom,
                    2 => Manage::WaitingRoom(level),
                    3 => Manage::AddCohosts,
                    4 => Manage::ReplaceCohosts,
                    5 => Manage::ClearCohosts,
                    _ => Manage::Back,
                },
            },
            4 => Callback::Calendar {
                schedule: self.id(),
                start: self.id(),
            },
            5 => Callback::Unschedule(self.id()),
            _ => Callback::Vote {
                vote: self.id(),
                action: match self.below(5) {
                    0 => VoteAction::Toggle(self.below(256) as u8),
                    1 => VoteAction::Schedule(self.below(256) as u8),
                    2 => VoteAction::Close,
                    3 => VoteAction::Cancel,
                    _ => VoteAction::CancelListed,
                },
            },
        }
    }
}

/// Every callback the bot emits that carries no id: the dialogue's buttons and all settings.
const FIXED_CALLBACKS: &[&str] = &[
    "wr:PUBLIC",
    "wr:ORGANIZATION",
    "wr:ADMINS",
    "sa:PUBLIC",
    "sa:ORGANIZATION",
    "skip",
    "create",
    "cancel",
    "cfg:wr:PUBLIC",
    "cfg:wr:ORGANIZATION",
    "cfg:wr:ADMINS",
    "cfg:sa:PUBLIC",
    "cfg:sa:ORGANIZATION",
    "cfg:sum:on",
    "cfg:sum:off",
    "cfg:adm:on",
    "cfg:adm:off",
    "cfg:now:on",
    "cfg:now:off",
    "cfg:done",
];

/// Telegram's limit for callback data, in bytes.
const CALLBACK_DATA_MAX: usize = 64;

impl Rng {
    /// A conference id the bot would accept in callback data that is none of `own`: fourteen
    /// digits like Telemost's, or any short alphanumeric word.
    fn foreign_conference(&mut self, own: &[String]) -> String {
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        loop {
            let id = if self.below(2) == 0 {
                format!(
                    "{:014}",
                    10_000_000_000_000 + self.next() % 89_999_999_999_999
                )
            } else {
                let len = 1 + self.below(40);
                (0..len)
                    .map(|_| ALNUM[self.below(ALNUM.len())] as char)
                    .collect()
            };
            if !own.contains(&id) {
                return id;
            }
        }
    }

    /// Callback data shaped exactly as the bot emits it, with a random cohost id or a random
    /// conference id that is not one of `own`.
    fn well_formed(&mut self, own: &[String]) -> String {
        match self.below(3) {
            0 => self.pick(FIXED_CALLBACKS).to_owned(),
            1 => format!("co:{}", 1 + self.next() % (i64::MAX as u64)),
            _ => {
                let id = self.foreign_conference(own);
                format!("mg:{id}:{}", self.pick(MANAGE_ACTIONS))
            }
        }
    }

    /// Callback data the bot never emits: a well-formed one truncated, with extra colons, with
    /// huge or signed numbers, with unicode, empty, or over 64 bytes.
    fn malformed(&mut self, own: &[String]) -> String {
        let base = self.well_formed(own);
        match self.below(10) {
            0 => {
                let cuts: Vec<usize> = base.char_indices().map(|(i, _)| i).collect();
                base[..cuts[self.below(cuts.len())]].to_owned()
            }
            1 => format!("{base}:{}", self.pick(&["", "x", "info", "on", "1", ":"])),
            2 => base.replacen(':', "::", 1 + self.below(2)),
            3 => format!(":{base}"),
            4 => {
                let huge = [
                    "co:99999999999999999999999".to_owned(),
                    "co:9223372036854775808".to_owned(),
                    "co:-1".to_owned(),
                    "co:0".to_owned(),
                    "co:+5".to_owned(),
                    "co:0017".to_owned(),
                    "co:１２".to_owned(),
                    format!("mg:{}:info", "9".repeat(41)),
                    format!("mg:{}:wr", "1".repeat(100)),
                    "mg:١٢٣:info".to_owned(),
                    "mg:ид:clear".to_owned(),
                ];
                huge[self.below(huge.len())].clone()
            }
            5 => {
                const PREFIXES: &[&str] = &[
                    "wr:", "sa:", "co:", "cfg:", "cfg:wr:", "cfg:now:", "mg:", "mg:123:",
                ];
                let len = 1 + self.below(20);
                format!("{}{}", self.pick(PREFIXES), self.text(len))
            }
            6 => String::new(),
            7 => {
                let mut long = base;
                while long.len() <= CALLBACK_DATA_MAX {
                    long.push_str(self.pick(&["x", "9", ":", "я", "😀"]));
                }
                long
            }
            8 => {
                if self.below(2) == 0 {
                    base.to_lowercase()
                } else {
                    format!(" {base} ")
                }
            }
            _ => {
                let len = self.below(70);
                self.text(len)
            }
        }
    }

    /// Well-formed or malformed, evenly.
    fn forged(&mut self, own: &[String]) -> String {
        if self.below(2) == 0 {
            self.well_formed(own)
        } else {
            self.malformed(own)
        }
    }
}

/// Whatever the parser accepts reads back as the very same data and fits Telegram's limit, so a
/// malformed press is never taken for some other button; everything the bot emits is accepted.
#[test]
fn every_callback_prefix_round_trips_and_junk_is_never_something_else() {
    let mut rng = Rng(0x5EED_0004);
    let own = vec![conference_id(1)];
    for data in FIXED_CALLBACKS {
        assert_eq!(
            Callback::parse(data).map(|c| c.render()).as_deref(),
            Some(*data)
        );
    }
    for what in MANAGE_ACTIONS {
        let data = format!("mg:{}:{what}", conference_id(1));
        assert_eq!(Callback::parse(&data).map(|c| c.render()), Some(data));
    }
    for _ in 0..ROUNDS {
        let good = rng.well_formed(&own);
        let parsed = Callback::parse(&good);
        assert_eq!(parsed.map(|c| c.render()).as_deref(), Some(good.as_str()));
        assert!(good.len() <= CALLBACK_DATA_MAX, "{good:?}");

        let junk = rng.malformed(&own);
        if let Some(cb) = Callback::parse(&junk) {
            assert_eq!(cb.render(), junk, "junk taken for another button");
            assert!(junk.len() <= CALLBACK_DATA_MAX, "{junk:?}");
        }
    }
    for junk in [
        "",
        ":",
        "co:",
        "mg:",
        "mg::",
        "cfg:",
        "cfg:done:",
        "co:-1",
        "co:0",
    ] {
        assert_eq!(Callback::parse(junk), None, "{junk:?}");
    }
}

/// How many forged presses each story below makes.
const PRESSES: usize = 120;

/// The notice a forged press gets: settings are the chat's, whatever message carries them (only
/// admins may change a group's); anything else names nothing of this chat's, so it is stale.
fn expected_notice(data: &str, may_configure: bool) -> &'static str {
    match Callback::parse(data) {
        Some(Callback::Setting(_)) if !may_configure => en().admins_only(),
        Some(Callback::Setting(Setting::Done)) => "",
        Some(Callback::Setting(_)) => en().settings_saved(),
        _ => en().stale_button(),
    }
}

/// A press of every callback the bot emits, then `PRESSES` random ones, each by one of `pressers` (with whether it may change the chat's
/// settings) on one of `messages` or on a random message id, never on `live` (an open panel,
/// whose buttons act). Every press must be answered, with the notice `expected_notice` gives;
/// nothing may reach Telemost and the bot must not report an internal error. Returns the data.
async fn forge_presses(
    app: &TestApp,
    rng: &mut Rng,
    pressers: &mut [(&mut Person, bool)],
    messages: &[&Reply],
    live: Option<i64>,
    own: &[String],
) -> Vec<String> {
    let requests_before = app.tm.all_requests().len();
    let calls_before = app.tg.calls().len();
    // Every callback the bot emits, once each (ids foreign), then random ones.
    let mut data: Vec<String> = FIXED_CALLBACKS.iter().map(|d| (*d).to_owned()).collect();
    let foreign = rng.foreign_conference(own);
    data.extend(
        MANAGE_ACTIONS
            .iter()
            .map(|what| format!("mg:{foreign}:{what}")),
    );
    data.push(format!("co:{}", 1 + rng.next() % (i64::MAX as u64)));
    data.extend((0..PRESSES).map(|_| rng.forged(own)));
    // In rounds of a few, each answered before the next: a person's pace. (A flood from one
    // chat past what may wait has its excess dropped; that is `lanes`' business, not this one.)
    let mut pressed = Vec::new();
    let asker_index = 0;
    for round in data.chunks(8) {
        let from = pressed.len();
        for data in round {
            let (who, may_configure) = {
                let i = rng.below(pressers.len());
                let (p, admin) = &mut pressers[i];
                (&mut **p, *admin)
            };
            let message_id = if rng.below(2) == 0 {
                messages[rng.below(messages.len())].message_id
            } else {
                loop {
                    let id = 1 + rng.below(i32::MAX as usize) as i64;
                    if Some(id) != live {
                        break id;
                    }
                }
            };
            let q = who.press_on(message_id, "a message", data);
            pressed.push((q, data.clone(), may_configure));
        }
        let asker = &pressers[asker_index].0;
        for (q, data, may_configure) in &pressed[from..] {
            assert_eq!(
                asker.answer_to(q).await,
                expected_notice(data, *may_configure),
                "{data:?}"
            );
        }
    }
    // Behind a barrier in the chat: every press's handler has ended, with all it asked Telemost.
    app.assert_all_requests(&mut *pressers[asker_index].0, requests_before)
        .await;
    let asker = &pressers[asker_index].0;
    let calls = app.tg.calls();
    for (q, data, _) in &pressed {
        let answers = calls
            .iter()
            .filter(|c| c.method == "answerCallbackQuery" && c.body["callback_query_id"] == **q)
            .count();
        assert_eq!(answers, 1, "{data:?} answered {answers} times");
    }
    let chat = asker.chat;
    let internal: Vec<_> = calls[calls_before..]
        .iter()
        .filter(|c| c.chat_id() == Some(chat) && c.text() == en().internal_error())
        .collect();
    assert!(internal.is_empty(), "{internal:?}");
    pressed.into_iter().map(|(_, data, _)| data).collect()
}

/// No request the fake Telemost saw names a conference that one of `forged` names (other than
/// the chat's own).
fn assert_no_request_names(app: &TestApp, forged: &[String], own: &[String]) {
    let named: HashSet<&str> = forged
        .iter()
        .filter_map(|d| d.strip_prefix("mg:"))
        .filter_map(|rest| rest.split(':').next())
        .filter(|id| !id.is_empty() && !own.iter().any(|o| o == id))
        .collect();
    assert!(!named.is_empty(), "the generator forged no mg: data");
    for r in app.tm.all_requests() {
        for id in &named {
            assert!(
                !r.path.contains(&format!("/conferences/{id}")),
                "{} names a forged id",
                r.line()
            );
        }
    }
}

/// `person`'s plain /meet still ends in link `n`: through the panel and Create, or at once if a
/// forged (but the chat's own) setting made plain /meet instant.
async fn still_creates(person: &mut Person, n: u64) {
    person.send("/meet");
    let first = person
        .reply_where(|r| r.has("create") || r.text.contains("https://"))
        .await;
    let done = if first.has("create") {
        person.press(&first, "create");
        person.created().await
    } else {
        first
    };
    assert!(done.text.contains(&join_url(n)), "{}", done.text);
}

/// Alice, in her private chat with one meeting, presses forged buttons of every kind on that
/// meeting's message and on messages that do not exist. Each press is answered (no handler
/// panicked), nothing reaches Telemost, and afterwards /meet + Create makes a meeting and her
/// real meeting's Details still read it.
#[tokio::test]
async fn forged_presses_in_a_private_chat_reach_no_api() {
    let app = TestApp::start().await;
    let mut alice = app.private(9501, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let done = alice.meet_with_defaults().await;
    assert!(done.text.contains(&join_url(1)), "{}", done.text);
    app.recorded_meetings(alice.chat, 1).await;
    let own = vec![conference_id(1)];

    let mut rng = Rng(0x5EED_0101);
    let forged = forge_presses(
        &app,
        &mut rng,
        &mut [(&mut alice, true)],
        &[&done],
        None,
        &own,
    )
    .await;
    assert_no_request_names(&app, &forged, &own);

    alice.skip_past();
    still_creates(&mut alice, 2).await;
    alice.press(&done, &format!("mg:{}:info", own[0]));
    let reqs = app.tm.wait_all(3).await;
    assert_eq!(reqs[2].line(), format!("GET /conferences/{}", own[0]));
    app.stop().await;
}

/// Bob has /meet open (a panel waiting for the waiting room) when forged presses arrive on his
/// older meeting's message and on other messages. None of them touches the draft: afterwards
/// the panel takes "Everyone waits" and Skip, and Telemost gets exactly that meeting, with no
/// cohost a forged `co:` press could have added.
#[tokio::test]
async fn forged_presses_beside_an_open_draft_leave_it_alone() {
    let app = TestApp::start().await;
    let mut bob = app.private(9502, "en");
    app.with_token(&mut bob, "y0_bob").await;
    let done = bob.meet_with_defaults().await;
    app.recorded_meetings(bob.chat, 1).await;
    let panel = bob.meet_panel().await;
    let own = vec![conference_id(1)];

    let mut rng = Rng(0x5EED_0102);
    let forged = forge_presses(
        &app,
        &mut rng,
        &mut [(&mut bob, true)],
        &[&done],
        Some(panel.message_id),
        &own,
    )
    .await;
    assert_no_request_names(&app, &forged, &own);

    bob.skip_past();
    bob.press(&panel, "wr:ADMINS");
    let ask = bob.reply().await;
    assert_eq!(ask.message_id, panel.message_id);
    assert!(ask.has("skip"), "{:?}", ask.buttons);
    bob.press(&ask, "skip");
    let created = bob.created().await;
    assert!(created.text.contains(&join_url(2)), "{}", created.text);
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(
        reqs[1].body,
        serde_json::json!({"waiting_room_level": "ADMINS"})
    );
    app.stop().await;
}

/// In a group, Anna (an admin, with a token) created a meeting; she and Boris (a member) press
/// forged buttons of every kind. Each press is answered (Boris's settings presses with "admins
/// only"), nothing reaches Telemost, and Anna's /meet still makes a meeting.
#[tokio::test]
async fn forged_presses_in_a_group_reach_no_api() {
    const GROUP: i64 = -1_001_000_000_555;
    let app = TestApp::start().await;
    let mut anna = app.private(9503, "en");
    app.with_token(&mut anna, "y0_anna").await;
    app.tg.set_admin(GROUP, 9503, true);
    let mut anna_in_group = app.in_group(GROUP, 9503, "en");
    let mut boris_in_group = app.in_group(GROUP, 9504, "en");
    anna_in_group.send("/meet");
    let panel = anna_in_group.reply_where(|r| r.has("create")).await;
    anna_in_group.press(&panel, "create");
    let done = anna_in_group.created().await;
    assert!(done.text.contains(&join_url(1)), "{}", done.text);
    app.recorded_meetings(GROUP, 1).await;
    let own = vec![conference_id(1)];

    let mut rng = Rng(0x5EED_0103);
    let forged = forge_presses(
        &app,
        &mut rng,
        &mut [(&mut anna_in_group, true), (&mut boris_in_group, false)],
        &[&done],
        None,
        &own,
    )
    .await;
    assert_no_request_names(&app, &forged, &own);

    anna_in_group.skip_past();
    still_creates(&mut anna_in_group, 2).await;
    app.stop().await;
}
