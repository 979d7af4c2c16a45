//! User stories for /stream, end to end: the real dispatcher against fake Telegram and Telemost.

mod support;

use serde_json::json;
use support::telemost::{join_url, watch_url};
use support::{Person, Reply, TestApp, en};

/// Sends /stream without a title and returns the title prompt.
async fn stream_title_prompt(person: &mut Person) -> Reply {
    person.send("/stream");
    let prompt = person.reply().await;
    assert!(prompt.text.contains("title"), "{}", prompt.text);
    assert_eq!(prompt.data(), ["cancel"]);
    prompt
}

/// `/stream <title>`, then Public/Public, up to the description question.
async fn stream_up_to_description(person: &mut Person, title: &str) -> Reply {
    person.send(&format!("/stream {title}"));
    let panel = person.reply().await;
    person.press(&panel, "wr:PUBLIC");
    let access = person.reply().await;
    person.press(&access, "sa:PUBLIC");
    let ask = person.reply().await;
    assert!(ask.text.contains("description"), "{}", ask.text);
    assert_eq!(ask.data(), ["skip", "create", "cancel"]);
    ask
}

/// `/stream Title`, then Create at once: a public stream with a public waiting room; the result
/// shows the speakers' and the viewers' links, in the text and as URL buttons.
#[tokio::test]
async fn stream_with_a_title_and_defaults() {
    let app = TestApp::start().await;
    let mut alice = app.private(3001, "en");
    app.with_token(&mut alice, "y0_alice").await;
    alice.send("/stream Title");
    let panel = alice.reply().await;
    assert!(
        panel
            .text
            .starts_with(&format!("<b>{}</b>", en().new_stream())),
        "{}",
        panel.text
    );
    assert!(panel.text.contains("Title: Title"), "{}", panel.text);
    assert_eq!(
        panel.data(),
        [
            "wr:PUBLIC",
            "wr:ORGANIZATION",
            "wr:ADMINS",
            "create",
            "cancel"
        ]
    );

    alice.press(&panel, "create");
    let done = alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC", "live_stream": {"access_level": "PUBLIC", "title": "Title"}})
    );
    assert_eq!(done.message_id, panel.message_id);
    assert!(done.text.contains(&join_url(1)), "{}", done.text);
    assert!(done.text.contains(&watch_url(1)), "{}", done.text);
    assert_eq!(
        done.text,
        en().stream_created("Title", &join_url(1), Some(&watch_url(1)))
    );
    // The links first, then sharing the watch link, then managing the meeting.
    let share = format!(
        "https://t.me/share/url?url={}",
        watch_url(1).replace(':', "%3A").replace('/', "%2F")
    );
    let id = "10000000000001";
    assert_eq!(
        done.data(),
        [
            join_url(1),
            watch_url(1),
            share,
            format!("mg:{id}:info"),
            format!("mg:{id}:wr"),
            format!("mg:{id}:add"),
            format!("mg:{id}:set"),
            format!("mg:{id}:clear"),
        ]
    );
    assert_eq!(
        &done.buttons[..2],
        [
            (en().button_join().to_owned(), join_url(1)),
            (en().button_watch().to_owned(), watch_url(1)),
        ]
    );
    app.stop().await;
}

/// The whole path: /stream, the title, Admins waiting room, Organization viewers, a
/// description, cohosts; every choice reaches Telemost.
#[tokio::test]
async fn stream_full_path() {
    let app = TestApp::start().await;
    let mut alice = app.private(3002, "en");
    app.with_token(&mut alice, "y0_alice").await;
    stream_title_prompt(&mut alice).await;

    alice.send("Town hall");
    let panel = alice.reply().await;
    assert_eq!(panel.method, "sendMessage");
    assert!(panel.text.contains("Title: Town hall"), "{}", panel.text);
    assert!(panel.has("wr:ADMINS"), "{:?}", panel.buttons);

    alice.press(&panel, "wr:ADMINS");
    let access = alice.reply().await;
    assert_eq!(access.message_id, panel.message_id);
    assert_eq!(
        access.data(),
        ["sa:PUBLIC", "sa:ORGANIZATION", "create", "cancel"]
    );

    alice.press(&access, "sa:ORGANIZATION");
    let ask_description = alice.reply().await;
    assert_eq!(ask_description.message_id, panel.message_id);
    assert!(
        ask_description.text.contains("description"),
        "{}",
        ask_description.text
    );

    alice.send("Results for the third quarter");
    let ask_cohosts = alice.reply().await;
    assert!(ask_cohosts.text.contains("email"), "{}", ask_cohosts.text);
    assert!(
        ask_cohosts
            .text
            .contains("Description: Results for the third quarter"),
        "{}",
        ask_cohosts.text
    );
    assert_eq!(ask_cohosts.data(), ["skip", "cancel"]);
    assert!(app.tm.requests().is_empty(), "nothing made yet");

    alice.send("a@x.ru\nb@x.ru");
    let done = alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "ADMINS",
            "live_stream": {
                "access_level": "ORGANIZATION",
                "title": "Town hall",
                "description": "Results for the third quarter"
            },
            "cohosts": [{"email": "a@x.ru"}, {"email": "b@x.ru"}]
        })
    );
    assert_eq!(
        done.text,
        en().stream_created("Town hall", &join_url(1), Some(&watch_url(1)))
    );
    app.stop().await;
}

/// At the description step the user taps Skip, then creates without cohosts: the live stream
/// has no `description` key, the body no `cohosts`.
#[tokio::test]
async fn stream_without_description() {
    let app = TestApp::start().await;
    let mut alice = app.private(3003, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let ask = stream_up_to_description(&mut alice, "No notes").await;
    alice.press(&ask, "skip");
    let ask_cohosts = alice.reply().await;
    assert_eq!(ask_cohosts.message_id, ask.message_id);
    assert!(ask_cohosts.text.contains("email"), "{}", ask_cohosts.text);
    alice.press(&ask_cohosts, "skip");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC", "live_stream": {"access_level": "PUBLIC", "title": "No notes"}})
    );
    assert!(reqs[0].body["live_stream"].get("description").is_none());
    app.stop().await;
}

/// A title of exactly 1024 Cyrillic letters (2048 bytes) is accepted and sent whole.
#[tokio::test]
async fn title_of_1024_cyrillic_letters_is_accepted() {
    let app = TestApp::start().await;
    let mut alice = app.private(3004, "en");
    app.with_token(&mut alice, "y0_alice").await;
    stream_title_prompt(&mut alice).await;
    let title = "я".repeat(1024);
    alice.send(&title);
    let panel = alice.reply().await;
    assert!(panel.has("create"), "{}", panel.text);
    alice.press(&panel, "create");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC", "live_stream": {"access_level": "PUBLIC", "title": title}})
    );
    app.stop().await;
}

/// A title of 1025 Cyrillic letters is refused with the limit named, and asked for again;
/// nothing is created.
#[tokio::test]
async fn title_of_1025_cyrillic_letters_is_refused() {
    let app = TestApp::start().await;
    let mut alice = app.private(3005, "en");
    app.with_token(&mut alice, "y0_alice").await;
    stream_title_prompt(&mut alice).await;
    alice.send(&"я".repeat(1025));
    let again = alice.reply().await;
    assert!(
        again
            .text
            .contains("The title is 1025 characters long; the limit is 1024."),
        "{}",
        again.text
    );
    assert!(again.text.contains(en().ask_title()), "{}", again.text);
    assert_eq!(again.data(), ["cancel"]);
    app.assert_creates(&mut alice, 0).await;
    app.stop().await;
}

/// A description of exactly 2048 Cyrillic letters is accepted and sent whole.
#[tokio::test]
async fn description_of_2048_cyrillic_letters_is_accepted() {
    let app = TestApp::start().await;
    let mut alice = app.private(3006, "en");
    app.with_token(&mut alice, "y0_alice").await;
    stream_up_to_description(&mut alice, "Long read").await;
    let description = "ё".repeat(2048);
    alice.send(&description);
    let ask_cohosts = alice.reply().await;
    assert!(ask_cohosts.has("skip"), "{}", ask_cohosts.text);
    alice.press(&ask_cohosts, "skip");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "PUBLIC",
            "live_stream": {"access_level": "PUBLIC", "title": "Long read", "description": description}
        })
    );
    app.stop().await;
}

/// A description of 2049 Cyrillic letters is refused with the limit named; the description is
/// asked for again and nothing is created.
#[tokio::test]
async fn description_of_2049_cyrillic_letters_is_refused() {
    let app = TestApp::start().await;
    let mut alice = app.private(3007, "en");
    app.with_token(&mut alice, "y0_alice").await;
    stream_up_to_description(&mut alice, "Long read").await;
    alice.send(&"ё".repeat(2049));
    let again = alice.reply().await;
    assert!(
        again
            .text
            .contains("The description is 2049 characters long; the limit is 2048."),
        "{}",
        again.text
    );
    assert!(
        again.text.contains(en().ask_description()),
        "{}",
        again.text
    );
    assert_eq!(again.data(), ["skip", "create", "cancel"]);
    app.assert_creates(&mut alice, 0).await;
    app.stop().await;
}

/// `/stream` with a title that is too long: the limit is named and the title asked for; a
/// shorter one then goes through.
#[tokio::test]
async fn stream_command_with_an_over_long_title_asks_again() {
    let app = TestApp::start().await;
    let mut alice = app.private(3008, "en");
    app.with_token(&mut alice, "y0_alice").await;
    alice.send(&format!("/stream {}", "ж".repeat(1025)));
    let ask = alice.reply().await;
    assert!(
        ask.text
            .contains("The title is 1025 characters long; the limit is 1024."),
        "{}",
        ask.text
    );
    assert!(ask.text.contains(en().ask_title()), "{}", ask.text);
    assert_eq!(ask.data(), ["cancel"]);
    app.assert_creates(&mut alice, 0).await;

    alice.send("Shorter");
    let panel = alice.reply().await;
    alice.press(&panel, "create");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC", "live_stream": {"access_level": "PUBLIC", "title": "Shorter"}})
    );
    app.stop().await;
}

/// At the title step the user sends a photo: asked to send the title as text; nothing created.
#[tokio::test]
async fn photo_instead_of_a_title_is_asked_as_text() {
    let app = TestApp::start().await;
    let mut alice = app.private(3009, "en");
    app.with_token(&mut alice, "y0_alice").await;
    stream_title_prompt(&mut alice).await;
    alice.send_raw(json!({"photo": [
        {"file_id": "AgACphoto", "file_unique_id": "AQADphoto", "width": 90, "height": 90}
    ]}));
    let again = alice.reply().await;
    assert!(again.text.contains(en().send_text()), "{}", again.text);
    assert!(again.text.contains(en().ask_title()), "{}", again.text);
    app.assert_creates(&mut alice, 0).await;
    app.stop().await;
}

/// The user opens /stream, sends the title and picks Admins; the bot restarts; tapping the
/// next button on the same panel continues, and the stream is created with every earlier choice.
#[tokio::test]
async fn stream_dialogue_survives_a_restart() {
    let mut app = TestApp::start().await;
    let mut alice = app.private(3010, "en");
    app.with_token(&mut alice, "y0_alice").await;
    stream_title_prompt(&mut alice).await;
    alice.send("Board meeting");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:ADMINS");
    let access = alice.reply().await;
    assert_eq!(access.message_id, panel.message_id);
    assert!(access.has("sa:ORGANIZATION"), "{:?}", access.buttons);

    app.restart().await;

    let tap = alice.press(&access, "sa:ORGANIZATION");
    let ask = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    assert_eq!(ask.message_id, panel.message_id);
    assert!(ask.text.contains("description"), "{}", ask.text);
    assert!(ask.text.contains("Title: Board meeting"), "{}", ask.text);
    alice.press(&ask, "skip");
    let ask_cohosts = alice.reply().await;
    alice.press(&ask_cohosts, "skip");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "ADMINS",
            "live_stream": {"access_level": "ORGANIZATION", "title": "Board meeting"}
        })
    );
    app.stop().await;
}
