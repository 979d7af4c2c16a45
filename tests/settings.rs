//! User stories for /settings: a chat's defaults for new meetings (waiting room, who may watch a
//! stream, meeting notes, instant /meet, and in groups "only admins create"), and `/meet now`.
//! End to end: the real dispatcher against fake Telegram and Telemost.

mod support;

use serde_json::{Value, json};
use support::telemost::join_url;
use support::{Person, Reply, TestApp, en, shown};
use telemost_bot::telemost::model::{StreamAccess, WaitingRoomLevel};

/// A supergroup (Telegram's ids for those start with -100).
const GROUP: i64 = -1_001_000_000_555;
/// The settings panel's buttons in a private chat and a group alike, defaults unchanged.
const PANEL_BUTTONS: [&str; 20] = [
    "cfg:wr:PUBLIC",
    "cfg:wr:ORGANIZATION",
    "cfg:wr:ADMINS",
    "cfg:sa:PUBLIC",
    "cfg:sa:ORGANIZATION",
    "cfg:sum:on",
    "cfg:now:on",
    // The time zone (the default, Moscow, until chosen) and reminders: see tests/later.rs.
    "cfg:tz:Europe/Kaliningrad",
    "cfg:tz:Europe/Moscow",
    "cfg:tz:Europe/Samara",
    "cfg:tz:Asia/Yekaterinburg",
    "cfg:tz:Asia/Novosibirsk",
    "cfg:tz:Asia/Vladivostok",
    "cfg:tz:Europe/Berlin",
    "cfg:tz:UTC",
    "cfg:tz:other",
    "cfg:rem:0",
    "cfg:rem:5",
    "cfg:rem:10",
    "cfg:rem:15",
];

/// The settings panel's text for `s` as the user should read it.
fn panel_text(
    wr: WaitingRoomLevel,
    sa: StreamAccess,
    notes: bool,
    now: bool,
    adm: Option<bool>,
) -> String {
    let t = en();
    let mut out = format!(
        "{}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: Europe/Moscow\n{}: {}",
        t.settings_header(),
        t.label_waiting_room(),
        t.waiting_room(wr),
        t.label_stream_access(),
        t.stream_access(sa),
        t.label_auto_summary(),
        t.on_off(notes),
        t.label_instant_meet(),
        t.on_off(now),
        t.label_timezone(),
        t.label_remind(),
        t.remind(0),
    );
    if let Some(adm) = adm {
        out.push_str(&format!("\n{}: {}", t.label_admins_only(), t.on_off(adm)));
    }
    shown(&out)
}

/// The label of the button with `data` on `r`.
fn label<'r>(r: &'r Reply, data: &str) -> &'r str {
    r.buttons
        .iter()
        .find(|(_, d)| d == data)
        .map(|(l, _)| l.as_str())
        .unwrap_or_else(|| panic!("no button {data} in {:?}", r.buttons))
}

/// Opens /settings and returns the panel.
async fn open_settings(person: &mut Person) -> Reply {
    person.send("/settings");
    let panel = person.reply().await;
    assert_eq!(panel.method, "sendMessage");
    panel
}

/// Taps `data` on the settings panel: the bot says "Saved" and edits the panel in place.
async fn set(person: &mut Person, panel: &Reply, data: &str) -> Reply {
    let tap = person.press(panel, data);
    let edited = person.reply().await;
    assert_eq!(person.answer_to(&tap).await, en().settings_saved());
    assert_eq!(edited.method, "editMessageText");
    assert_eq!(edited.message_id, panel.message_id, "the panel is edited");
    edited
}

/// /meet, then Create on the first step; returns the create request's body.
async fn meet_and_create(app: &TestApp, person: &mut Person, creations_so_far: usize) -> Value {
    person.send("/meet");
    let panel = person.reply().await;
    assert!(panel.has("create"), "{:?}", panel.buttons);
    person.press(&panel, "create");
    person.reply_where(|r| r.text.contains("https://")).await;
    let reqs = app.tm.wait_requests(creations_so_far + 1).await;
    reqs[creations_so_far].body.clone()
}

/// In a private chat, /settings shows every default as it is, with one button per choice; the
/// group-only "only admins create" is not offered. Done closes the panel, changing nothing.
#[tokio::test]
async fn private_panel_shows_the_defaults_and_no_admins_only() {
    let app = TestApp::start().await;
    let mut alice = app.private(4001, "en");
    let panel = open_settings(&mut alice).await;
    assert_eq!(panel.data(), [&PANEL_BUTTONS[..], &["cfg:done"]].concat());
    assert!(!panel.data().iter().any(|d| d.starts_with("cfg:adm")));
    assert_eq!(
        shown(&panel.text),
        panel_text(
            WaitingRoomLevel::Public,
            StreamAccess::Public,
            false,
            false,
            None
        )
    );
    let t = en();
    assert_eq!(
        label(&panel, "cfg:wr:PUBLIC"),
        format!("✓ {}", t.waiting_room_button(WaitingRoomLevel::Public))
    );
    assert_eq!(
        label(&panel, "cfg:wr:ADMINS"),
        t.waiting_room_button(WaitingRoomLevel::Admins)
    );
    assert_eq!(
        label(&panel, "cfg:sa:PUBLIC"),
        format!("✓ {}", t.stream_access_button(StreamAccess::Public))
    );
    assert_eq!(
        label(&panel, "cfg:sum:on"),
        format!("{}: {}", t.label_auto_summary(), t.on_off(false))
    );
    assert_eq!(
        label(&panel, "cfg:now:on"),
        format!("{}: {}", t.label_instant_meet(), t.on_off(false))
    );
    assert_eq!(label(&panel, "cfg:done"), t.button_done());

    let tap = alice.press(&panel, "cfg:done");
    let closed = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    assert_eq!(closed.method, "editMessageText");
    assert_eq!(closed.message_id, panel.message_id);
    assert!(closed.buttons.is_empty(), "{:?}", closed.buttons);
    assert_eq!(shown(&closed.text), shown(&panel.text));
    assert!(app.tm.all_requests().is_empty());
    app.stop().await;
}

/// Alice makes "everyone waits" her chat's default: the panel ticks it, her next /meet starts
/// from it, and Create sends `waiting_room_level: ADMINS`.
#[tokio::test]
async fn default_waiting_room_is_used_by_meet() {
    let app = TestApp::start().await;
    let mut alice = app.private(4002, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let panel = open_settings(&mut alice).await;
    let edited = set(&mut alice, &panel, "cfg:wr:ADMINS").await;
    assert_eq!(
        shown(&edited.text),
        panel_text(
            WaitingRoomLevel::Admins,
            StreamAccess::Public,
            false,
            false,
            None
        )
    );
    let t = en();
    assert_eq!(
        label(&edited, "cfg:wr:ADMINS"),
        format!("✓ {}", t.waiting_room_button(WaitingRoomLevel::Admins))
    );
    assert_eq!(
        label(&edited, "cfg:wr:PUBLIC"),
        t.waiting_room_button(WaitingRoomLevel::Public)
    );

    alice.send("/meet");
    let draft = alice.reply().await;
    assert!(
        shown(&draft.text).contains(&format!(
            "{}: {}",
            t.label_waiting_room(),
            t.waiting_room(WaitingRoomLevel::Admins)
        )),
        "{}",
        draft.text
    );
    assert_eq!(
        label(&draft, "wr:ADMINS"),
        format!("✓ {}", t.waiting_room_button(WaitingRoomLevel::Admins))
    );
    alice.press(&draft, "create");
    let done = alice.reply_where(|r| r.text.contains("https://")).await;
    assert_eq!(done.text, t.meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "ADMINS"}));
    app.stop().await;
}

/// Without the meeting-notes setting the create body has no `is_auto_summarization_enabled`
/// key; after `cfg:sum:on` it carries `true`; after `cfg:sum:off` the key is gone again.
#[tokio::test]
async fn meeting_notes_setting_adds_the_flag() {
    let app = TestApp::start().await;
    let mut alice = app.private(4003, "en");
    app.with_token(&mut alice, "y0_alice").await;

    let body = meet_and_create(&app, &mut alice, 0).await;
    assert_eq!(body, json!({"waiting_room_level": "PUBLIC"}));

    let panel = open_settings(&mut alice).await;
    let edited = set(&mut alice, &panel, "cfg:sum:on").await;
    assert_eq!(
        shown(&edited.text),
        panel_text(
            WaitingRoomLevel::Public,
            StreamAccess::Public,
            true,
            false,
            None
        )
    );
    assert!(edited.has("cfg:sum:off"), "{:?}", edited.buttons);
    assert!(!edited.has("cfg:sum:on"));
    let body = meet_and_create(&app, &mut alice, 1).await;
    assert_eq!(
        body,
        json!({"waiting_room_level": "PUBLIC", "is_auto_summarization_enabled": true})
    );

    let panel = open_settings(&mut alice).await;
    set(&mut alice, &panel, "cfg:sum:off").await;
    let body = meet_and_create(&app, &mut alice, 2).await;
    assert_eq!(body, json!({"waiting_room_level": "PUBLIC"}));
    app.assert_creates(&mut alice, 3).await;
    app.stop().await;
}

/// "Organisation only" as the default audience: `/stream T` + Create sends
/// `live_stream.access_level: ORGANIZATION`; a plain /meet carries no live stream.
#[tokio::test]
async fn default_stream_access_is_used_by_stream() {
    let app = TestApp::start().await;
    let mut alice = app.private(4004, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let panel = open_settings(&mut alice).await;
    let edited = set(&mut alice, &panel, "cfg:sa:ORGANIZATION").await;
    assert_eq!(
        shown(&edited.text),
        panel_text(
            WaitingRoomLevel::Public,
            StreamAccess::Organization,
            false,
            false,
            None
        )
    );
    assert_eq!(
        label(&edited, "cfg:sa:ORGANIZATION"),
        format!(
            "✓ {}",
            en().stream_access_button(StreamAccess::Organization)
        )
    );

    alice.send("/stream T");
    let draft = alice.reply().await;
    assert!(
        shown(&draft.text).contains(&format!(
            "{}: {}",
            en().label_stream_access(),
            en().stream_access(StreamAccess::Organization)
        )),
        "{}",
        draft.text
    );
    alice.press(&draft, "create");
    alice.reply_where(|r| r.text.contains("https://")).await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "PUBLIC",
            "live_stream": {"access_level": "ORGANIZATION", "title": "T"}
        })
    );

    let body = meet_and_create(&app, &mut alice, 1).await;
    assert_eq!(body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}

/// With "instant /meet" on, a plain /meet creates at once with the chat's defaults: the link is
/// the only message, with no panel before it. /stream still asks.
#[tokio::test]
async fn instant_meet_creates_without_a_panel() {
    let app = TestApp::start().await;
    let mut alice = app.private(4005, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let panel = open_settings(&mut alice).await;
    let panel = set(&mut alice, &panel, "cfg:wr:ORGANIZATION").await;
    let edited = set(&mut alice, &panel, "cfg:now:on").await;
    assert_eq!(
        shown(&edited.text),
        panel_text(
            WaitingRoomLevel::Organization,
            StreamAccess::Public,
            false,
            true,
            None
        )
    );
    assert!(edited.has("cfg:now:off"), "{:?}", edited.buttons);

    alice.send("/meet");
    // Telemost answers at once, so the links are the only message: no "Creating…" before them.
    let done = alice.reply().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "ORGANIZATION"}));

    alice.send("/stream Demo");
    let draft = alice.reply().await;
    assert!(
        draft.has("create"),
        "a stream still asks: {:?}",
        draft.buttons
    );
    app.assert_creates(&mut alice, 1).await;
    app.stop().await;
}

/// `/meet now` creates at once even though the chat never turned instant /meet on; a plain
/// /meet afterwards still shows the panel.
#[tokio::test]
async fn meet_now_creates_at_once_without_the_setting() {
    let app = TestApp::start().await;
    let mut alice = app.private(4006, "en");
    app.with_token(&mut alice, "y0_alice").await;
    alice.send("/meet now");
    let done = alice.reply().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));

    alice.send("/meet");
    let panel = alice.reply().await;
    assert!(panel.has("create"), "{:?}", panel.buttons);
    app.assert_creates(&mut alice, 1).await;
    app.stop().await;
}

/// In a group, Boris (a member) can neither open /settings nor change anything by tapping the
/// panel Anna (an admin) opened; Anna can. The group's panel offers "only admins create".
#[tokio::test]
async fn group_settings_are_for_admins_only() {
    let app = TestApp::start().await;
    app.tg.set_admin(GROUP, 4101, true);
    let mut anna = app.private(4101, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let mut boris = app.private(4102, "en");
    app.with_token(&mut boris, "y0_boris").await;
    let mut anna_in_group = app.in_group(GROUP, 4101, "en");
    let mut boris_in_group = app.in_group(GROUP, 4102, "en");
    // One cursor reads everything said in the group.
    let mut group = app.in_group(GROUP, 4101, "en");

    boris_in_group.send("/settings");
    let refused = group.reply().await;
    assert_eq!(refused.text, en().admins_only());
    assert!(refused.buttons.is_empty());

    anna_in_group.send("/settings");
    let panel = group.reply().await;
    assert_eq!(
        panel.data(),
        [&PANEL_BUTTONS[..], &["cfg:adm:on", "cfg:done"]].concat()
    );
    assert_eq!(
        shown(&panel.text),
        panel_text(
            WaitingRoomLevel::Public,
            StreamAccess::Public,
            false,
            false,
            Some(false)
        )
    );

    for data in ["cfg:wr:ADMINS", "cfg:now:on", "cfg:adm:on"] {
        let from = group.now();
        let tap = boris_in_group.press(&panel, data);
        assert_eq!(boris_in_group.answer_to(&tap).await, en().admins_only());
        boris_in_group
            .assert_no_call_since(from, |c| {
                c.chat_id() == Some(GROUP)
                    && matches!(c.method.as_str(), "editMessageText" | "sendMessage")
            })
            .await;
    }

    let tap = anna_in_group.press(&panel, "cfg:wr:ORGANIZATION");
    let edited = group.reply().await;
    assert_eq!(anna_in_group.answer_to(&tap).await, en().settings_saved());
    assert_eq!(edited.message_id, panel.message_id);
    assert_eq!(
        shown(&edited.text),
        panel_text(
            WaitingRoomLevel::Organization,
            StreamAccess::Public,
            false,
            false,
            Some(false)
        )
    );

    // Boris's taps changed nothing: his /meet starts from Anna's choice, not his.
    boris_in_group.send("/meet");
    let draft = group.reply().await;
    assert!(draft.has("create"), "not instant: {:?}", draft.buttons);
    boris_in_group.press(&draft, "create");
    group.reply_where(|r| r.text.contains("https://")).await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_boris");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "ORGANIZATION"}));
    app.stop().await;
}

/// Anna turns on "only admins create": Boris's /meet, /meet now and /stream are refused and
/// reach no API; Anna's /meet works. Turning it off lets Boris create again.
#[tokio::test]
async fn admins_only_refuses_members() {
    let app = TestApp::start().await;
    app.tg.set_admin(GROUP, 4201, true);
    let mut anna = app.private(4201, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let mut boris = app.private(4202, "en");
    app.with_token(&mut boris, "y0_boris").await;
    let mut anna_in_group = app.in_group(GROUP, 4201, "en");
    let mut boris_in_group = app.in_group(GROUP, 4202, "en");
    let mut group = app.in_group(GROUP, 4201, "en");

    anna_in_group.send("/settings");
    let panel = group.reply().await;
    let tap = anna_in_group.press(&panel, "cfg:adm:on");
    let edited = group.reply().await;
    assert_eq!(anna_in_group.answer_to(&tap).await, en().settings_saved());
    assert_eq!(
        shown(&edited.text),
        panel_text(
            WaitingRoomLevel::Public,
            StreamAccess::Public,
            false,
            false,
            Some(true)
        )
    );
    assert!(edited.has("cfg:adm:off"), "{:?}", edited.buttons);

    for command in ["/meet", "/meet now", "/stream Plans"] {
        boris_in_group.send(command);
        let refused = group.reply().await;
        assert_eq!(refused.text, en().admins_only(), "{command}");
        assert!(
            refused.buttons.is_empty(),
            "{command}: {:?}",
            refused.buttons
        );
    }
    assert!(app.tm.all_requests().is_empty());

    anna_in_group.send("/meet");
    let draft = group.reply().await;
    anna_in_group.press(&draft, "create");
    group.reply_where(|r| r.text.contains("https://")).await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_anna");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));

    let tap = anna_in_group.press(&edited, "cfg:adm:off");
    group.reply().await;
    assert_eq!(anna_in_group.answer_to(&tap).await, en().settings_saved());
    boris_in_group.send("/meet now");
    group.reply_where(|r| r.text.contains("https://")).await;
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(reqs[1].authorization, "OAuth y0_boris");
    app.assert_creates(&mut group, 2).await;
    app.stop().await;
}

/// Alice's private chat turns on everything; Bob's private chat and a group Alice is in keep the
/// built-in defaults: their panels show them, their /meet asks, and Create sends only PUBLIC.
#[tokio::test]
async fn settings_of_one_chat_do_not_affect_another() {
    let app = TestApp::start().await;
    let mut alice = app.private(4301, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let mut bob = app.private(4302, "en");
    app.with_token(&mut bob, "y0_bob").await;
    let panel = open_settings(&mut alice).await;
    let panel = set(&mut alice, &panel, "cfg:wr:ADMINS").await;
    let panel = set(&mut alice, &panel, "cfg:sa:ORGANIZATION").await;
    let panel = set(&mut alice, &panel, "cfg:sum:on").await;
    let panel = set(&mut alice, &panel, "cfg:now:on").await;
    assert_eq!(
        shown(&panel.text),
        panel_text(
            WaitingRoomLevel::Admins,
            StreamAccess::Organization,
            true,
            true,
            None
        )
    );

    let bobs = open_settings(&mut bob).await;
    assert_eq!(
        shown(&bobs.text),
        panel_text(
            WaitingRoomLevel::Public,
            StreamAccess::Public,
            false,
            false,
            None
        )
    );
    let body = meet_and_create(&app, &mut bob, 0).await;
    assert_eq!(body, json!({"waiting_room_level": "PUBLIC"}));
    assert_eq!(app.tm.requests()[0].authorization, "OAuth y0_bob");

    // A group Alice is in: her private defaults do not follow her there.
    let mut alice_in_group = app.in_group(GROUP, 4301, "en");
    alice_in_group.send("/meet");
    let draft = alice_in_group.reply().await;
    assert!(draft.has("create"), "not instant: {:?}", draft.buttons);
    alice_in_group.press(&draft, "create");
    alice_in_group
        .reply_where(|r| r.text.contains("https://"))
        .await;
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    assert_eq!(reqs[1].body, json!({"waiting_room_level": "PUBLIC"}));

    // And in her own chat all of them apply at once.
    alice.send("/meet");
    let first = alice.reply().await;
    assert!(first.text.contains("https://"), "{}", first.text);
    let reqs = app.tm.wait_requests(3).await;
    assert_eq!(
        reqs[2].body,
        json!({"waiting_room_level": "ADMINS", "is_auto_summarization_enabled": true})
    );
    app.assert_creates(&mut alice, 3).await;
    app.stop().await;
}
