//! User stories for a meeting's topic, `/meet <topic>`: it is shown in the panel, above the link,
//! in the shared text, in /history and in Details, and kept in the bot's record; it is the bot's
//! own (the Telemost API has no title for a plain meeting, so it never reaches Telemost). End to
//! end: the real dispatcher against fake Telegram and Telemost.

mod support;

use serde_json::json;
use support::telemost::{conference_id, join_url};
use support::{Person, Reply, TestApp, en, shown};
use telemost_bot::bot::speak::texts::{Lang, Texts};
use telemost_bot::bot::topic::TOPIC_MAX_CHARS;

/// The URL of the button labelled `label` under `reply`.
fn button_url<'a>(reply: &'a Reply, label: &str) -> &'a str {
    reply
        .buttons
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, url)| url.as_str())
        .unwrap_or_else(|| panic!("no {label:?} button in {:?}", reply.buttons))
}

/// Sends `command` (a /meet with a topic), waits for its panel, taps Create and returns the
/// panel and what it became: the links, or the reason there are none.
async fn meet_and_create(person: &mut Person, t: &dyn Texts, command: &str) -> (Reply, Reply) {
    person.send(command);
    let panel = person
        .reply_where(|r| r.message_id != 0 && r.has("create"))
        .await;
    person.press(&panel, "create");
    let creating = t.creating();
    let done = person
        .reply_where(|r| r.message_id == panel.message_id && r.text != creating)
        .await;
    (panel, done)
}

/// Alice, in her private chat with a token, sends `/meet Standup with design`. The panel says
/// "Topic: Standup with design"; Create gives "Meeting created: Standup with design" above the
/// link, and the Share button hands Telegram the topic as the text to send along with the link.
/// Telemost is asked for a plain meeting (the topic is not part of the request). /history lists
/// the meeting by its topic, Details keeps it above the link, and the record carries it.
#[tokio::test]
async fn a_topic_follows_the_meeting_everywhere() {
    let app = TestApp::start().await;
    let mut alice = app.private(9001, "en");
    app.with_token(&mut alice, "y0_alice").await;

    let (panel, done) = meet_and_create(&mut alice, en(), "/meet Standup with design").await;
    assert!(
        shown(&panel.text).contains(&format!("{}: Standup with design", en().label_topic())),
        "{}",
        panel.text
    );
    assert_eq!(
        done.text,
        en().meeting_created(Some("Standup with design"), &join_url(1))
    );
    assert_eq!(
        shown(&done.text),
        format!(
            "Meeting created: Standup with design\nJoin: {}",
            join_url(1)
        )
    );
    let share = "https://t.me/share/url?url=https%3A%2F%2Ftelemost.yandex.ru%2Fj%2F10000000000001\
                 &text=Standup+with+design";
    assert_eq!(button_url(&done, en().button_share()), share);

    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC"}),
        "the topic is the bot's own, not Telemost's"
    );

    let record = app.recorded_meetings(alice.chat, 1).await;
    assert_eq!(record[0].conference_id, conference_id(1));
    assert_eq!(record[0].topic.as_deref(), Some("Standup with design"));

    alice.send("/history");
    let history = alice.reply().await;
    let listed = shown(&history.text);
    assert!(
        listed.contains(&format!("{} «Standup with design»", en().kind_meeting())),
        "{listed}"
    );
    assert!(listed.contains(&join_url(1)), "{listed}");

    let tap = alice.press(&done, &format!("mg:{}:info", conference_id(1)));
    let details = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    assert_eq!(details.method, "editMessageText");
    assert_eq!(details.message_id, done.message_id);
    assert!(
        details.text.starts_with(&format!(
            "{}\n\n",
            en().meeting_links(Some("Standup with design"), &join_url(1))
        )),
        "{}",
        details.text
    );
    assert_eq!(
        button_url(&details, en().button_share()),
        share,
        "Details keeps the topic in the shared text"
    );
    app.stop().await;
}

/// `/meet now Quick sync` creates at once, without a panel: the one message the bot sends is the
/// links under "Meeting created: Quick sync", and the record keeps the topic (without "now").
#[tokio::test]
async fn meet_now_with_a_topic_creates_at_once() {
    let app = TestApp::start().await;
    let mut bob = app.private(9002, "en");
    app.with_token(&mut bob, "y0_bob").await;
    let from = bob.now();

    bob.send("/meet now Quick sync");
    let done = bob.created().await;
    assert_eq!(done.method, "sendMessage");
    assert_eq!(
        done.text,
        en().meeting_created(Some("Quick sync"), &join_url(1))
    );
    assert!(
        !app.tg.calls().iter().skip(from).any(|c| {
            c.chat_id() == Some(bob.chat)
                && c.body["reply_markup"].to_string().contains("\"create\"")
        }),
        "no panel was shown"
    );
    let record = app.recorded_meetings(bob.chat, 1).await;
    assert_eq!(record[0].topic.as_deref(), Some("Quick sync"));
    app.assert_creates(&mut bob, 1).await;
    app.stop().await;
}

/// Carol types a topic longer than the limit. The panel opens anyway, with a note on top saying
/// how long it was and that the meeting has none, and no topic line; Create still gives a
/// meeting, without a topic (nothing else of the dialogue is lost). A topic of exactly the limit
/// is kept whole.
#[tokio::test]
async fn a_topic_over_the_limit_is_dropped_with_a_note() {
    let app = TestApp::start().await;
    let mut carol = app.private(9003, "en");
    app.with_token(&mut carol, "y0_carol").await;

    let long = format!("{} {}", "a".repeat(150), "б".repeat(100));
    let chars = long.chars().count();
    assert!(chars > TOPIC_MAX_CHARS);
    let (panel, done) = meet_and_create(&mut carol, en(), &format!("/meet {long}")).await;
    assert!(
        panel.text.starts_with(&en().topic_too_long(chars)),
        "{}",
        panel.text
    );
    assert!(
        shown(&panel.text).contains("251 characters"),
        "{}",
        panel.text
    );
    assert!(!panel.text.contains(&long), "the topic is not shown");
    assert!(
        !shown(&panel.text).contains(&format!("{}:", en().label_topic())),
        "{}",
        panel.text
    );
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    assert!(
        !button_url(&done, en().button_share()).contains("text="),
        "nothing to share but the link"
    );
    let record = app.recorded_meetings(carol.chat, 1).await;
    assert_eq!(record[0].topic, None);

    // At the limit exactly: kept.
    let max = "я".repeat(TOPIC_MAX_CHARS);
    let (panel, done) = meet_and_create(&mut carol, en(), &format!("/meet {max}")).await;
    assert!(
        shown(&panel.text).contains(&format!("{}: {max}", en().label_topic())),
        "{}",
        panel.text
    );
    assert_eq!(done.text, en().meeting_created(Some(&max), &join_url(2)));
    let record = app.recorded_meetings(carol.chat, 2).await;
    assert_eq!(record[0].topic.as_deref(), Some(max.as_str()));

    // `/meet now` with a topic over the limit does not create at once without a word: the panel
    // shows the note first, and Create goes on.
    let (panel, done) = meet_and_create(&mut carol, en(), &format!("/meet now {long}")).await;
    assert!(
        panel.text.starts_with(&en().topic_too_long(chars)),
        "{}",
        panel.text
    );
    assert_eq!(done.text, en().meeting_created(None, &join_url(3)));
    app.stop().await;
}

/// Dan's topic is `<b>Q&A</b>`. It is shown as typed, never as markup: every message carrying it
/// (the panel, the links, /history, Details) is escaped, or the fake Telegram would refuse it as
/// unparsable HTML and it would never arrive. It reads back exactly as typed, is shared as typed,
/// and is recorded as typed.
#[tokio::test]
async fn a_topic_with_markup_is_shown_as_typed() {
    let app = TestApp::start().await;
    let mut dan = app.private(9004, "en");
    app.with_token(&mut dan, "y0_dan").await;
    let topic = "<b>Q&A</b>";

    let (panel, done) = meet_and_create(&mut dan, en(), &format!("/meet {topic}")).await;
    assert!(
        shown(&panel.text).contains(&format!("{}: {topic}", en().label_topic())),
        "{}",
        panel.text
    );
    assert!(
        panel.text.contains("&lt;b&gt;Q&amp;A&lt;/b&gt;"),
        "{}",
        panel.text
    );
    assert_eq!(done.text, en().meeting_created(Some(topic), &join_url(1)));
    assert_eq!(
        shown(&done.text),
        format!("Meeting created: {topic}\nJoin: {}", join_url(1))
    );
    assert!(
        button_url(&done, en().button_share()).ends_with("&text=%3Cb%3EQ%26A%3C%2Fb%3E"),
        "{:?}",
        done.buttons
    );
    let record = app.recorded_meetings(dan.chat, 1).await;
    assert_eq!(record[0].topic.as_deref(), Some(topic));

    dan.send("/history");
    let history = dan.reply().await;
    assert!(
        shown(&history.text).contains(&format!("«{topic}»")),
        "{}",
        history.text
    );

    dan.press(&done, &format!("mg:{}:info", conference_id(1)));
    let details = dan.reply().await;
    assert_eq!(details.method, "editMessageText");
    assert!(
        shown(&details.text)
            .starts_with(&format!("Telemost meeting: {topic}\nJoin: {}", join_url(1))),
        "{}",
        details.text
    );
    // Every message in the chat was accepted: none was refused as bad HTML.
    let refused = app
        .tg
        .calls()
        .iter()
        .filter(|c| c.chat_id() == Some(dan.chat))
        .filter(|c| !support::telegram::html_parses(c.text()) && c.body["parse_mode"] == "HTML")
        .count();
    assert_eq!(refused, 0);
    app.stop().await;
}

/// A Russian-speaking user: `/meet Планёрка` shows «Тема: Планёрка» and gives the Russian
/// "meeting created" with the topic; `/meet сейчас Ретро` creates at once with its topic.
#[tokio::test]
async fn a_russian_topic_is_shown_in_russian() {
    let app = TestApp::start().await;
    let ru = Lang::Ru.texts();
    let mut olga = app.private(9005, "ru");
    app.with_token(&mut olga, "y0_olga").await;

    let (panel, done) = meet_and_create(&mut olga, ru, "/meet Планёрка").await;
    assert!(
        shown(&panel.text).contains(&format!("{}: Планёрка", ru.label_topic())),
        "{}",
        panel.text
    );
    assert_eq!(
        done.text,
        ru.meeting_created(Some("Планёрка"), &join_url(1))
    );
    assert_ne!(
        done.text,
        en().meeting_created(Some("Планёрка"), &join_url(1))
    );

    olga.send("/meet сейчас Ретро");
    let now = olga.created().await;
    assert_eq!(now.method, "sendMessage");
    assert_eq!(now.text, ru.meeting_created(Some("Ретро"), &join_url(2)));
    let records = app.recorded_meetings(olga.chat, 2).await;
    let mut topics: Vec<_> = records.iter().map(|m| m.topic.as_deref()).collect();
    topics.sort();
    assert_eq!(topics, [Some("Планёрка"), Some("Ретро")]);
    app.stop().await;
}
