//! Golden texts: what users see most, in English and in Russian, pinned word for word.
//!
//! The other stories mostly take their expected texts from the code under test (`en()`, the
//! panel builder), so a wrong wording passes there. Here every expected text is a literal
//! written by hand after reading what the bot sends: a change of wording fails these stories
//! with the first line that differs, and so becomes a visible change to review in this file.
//!
//! The texts are compared as the bot sends them, in Telegram's HTML (`<b>` is bold, `&lt;` a
//! `<`), together with the labels of their buttons, row by row. Each story runs the real
//! dispatcher against the fakes, as a user in a private chat whose Telegram is in that language
//! (`language_code` `en` or `ru`).

mod support;

use serde_json::{Value, json};
use support::{Answer, Person, Reply, TestApp};

/// The buttons of a message: the labels, row by row.
type Rows = &'static [&'static [&'static str]];

/// Where the fake Telemost's first meeting is joined (the fake numbers its conferences from 1).
const JOIN_1: &str = "https://telemost.yandex.ru/j/10000000000001";
/// The Share button of that meeting: Telegram's share page with the link.
const SHARE_1: &str =
    "https://t.me/share/url?url=https%3A%2F%2Ftelemost.yandex.ru%2Fj%2F10000000000001";

/// Everything a language's stories pin, written out by hand.
struct Golden {
    lang: &'static str,
    /// `/help`.
    help: &'static str,
    /// `/meet` from someone who has set no token yet: the first thing a new user meets.
    no_token: &'static str,
    /// `/token y0_…` in a private chat.
    token_saved: &'static str,
    /// `/meet`: the panel as posted.
    panel: &'static str,
    panel_rows: Rows,
    /// The note Telemost's slowness may bring between Create and the link (not pinned: it only
    /// shows when Telemost takes long, so the stories skip it when it comes).
    creating: &'static str,
    /// The panel after Create: the link.
    created: &'static str,
    created_rows: Rows,
    /// The panel after a waiting room is picked: the cohosts' question.
    cohosts_panel: &'static str,
    cohosts_rows: Rows,
    /// Above the cohosts' question again, when two of the list are not e-mail addresses
    /// (`not-an-email` and `bob.example.org`).
    bad_emails: &'static str,
    /// `/cancel` in the middle of a draft.
    cancelled: &'static str,
    /// `/stream` with a title of 1025 characters: the note, and the stream's panel asking for
    /// the title.
    title_too_long: &'static str,
    stream_title_panel: &'static str,
    stream_title_rows: Rows,
    /// `/meet` with a topic of 201 characters: the note above the panel (the meeting gets none).
    topic_too_long: &'static str,
    /// Telemost answers 401 to Create: above the panel, kept for another try.
    unauthorized: &'static str,
    /// Telemost answers 500 to every attempt of a Create: above the panel, kept.
    unavailable: &'static str,
}

const EN: Golden = Golden {
    lang: "en",
    help: concat!(
        "<b>I create Yandex Telemost meetings and live streams.</b>\n",
        "\n",
        "/meet: a new meeting; pick the waiting room and cohosts, or just tap Create.\n",
        "\u{2003}<code>/meet</code>, or <code>/meet now</code> for the chat's usual meeting at once\n",
        "\u{2003}<code>/meet tomorrow 15:00 for 1h Design review</code>, <code>/meet in 30 min</code>\n",
        "\u{2003}<code>/meet every weekday 10:00 Standup</code>: a fresh link before each one\n",
        "/findtime: the chat votes on a few times; the winner becomes the meeting.\n",
        "\u{2003}<code>/findtime tue 15:00, wed 11:00, thu 16:00 for 1h Design review</code>\n",
        "/upcoming: the chat's scheduled and recurring meetings and open votes, to cancel.\n",
        "/stream: a live stream, with its watch link.\n",
        "\u{2003}<code>/stream Quarterly results</code>\n",
        "/history: the last 10 meetings of this chat.\n",
        "/settings: this chat's defaults (waiting room, viewers, notes, instant /meet, time zone, reminders).\n",
        "/token: set your Telemost OAuth token, in a private chat with me.\n",
        "\u{2003}<code>/token y0_AgAAAA…</code>\n",
        "/login: sign in with Yandex instead of pasting a token.\n",
        "/connect, /disconnect: (group admins) give the group its own token privately, or remove it.\n",
        "/forget: forget this chat's token.  /cancel: stop what we are doing.\n",
        "In any chat, type my @username to create a meeting right there.\n",
        "\n",
        "First set a token: /token or /login in a private chat with me. In a group, /meet uses the ",
        "group's token if an admin connected one, else the token of whoever types it.\n",
        "\n",
        "<b>Getting a token</b> (Yandex 360 for business accounts): register an app at ",
        "https://oauth.yandex.ru/client/new with the scopes telemost-api:conferences.create, ",
        ".read and .update; then, signed in with your work account, open ",
        "https://oauth.yandex.ru/authorize?response_type=token&amp;client_id=&lt;the app's ClientID&gt; ",
        "and copy the token it shows.",
    ),
    no_token: "I don't have a Telemost token for this chat yet. Send /token &lt;your OAuth token&gt;. \
               /help explains how to get one.",
    token_saved: "Token saved, and your message with it deleted. Now /meet creates a meeting.",
    panel: concat!(
        "<b>New Telemost meeting</b>\n",
        "Waiting room: off, everyone joins at once\n",
        "Cohosts: none\n",
        "\n",
        "Who should wait in the waiting room? Or tap Create for the defaults.",
    ),
    panel_rows: &[
        &["✓ No waiting room", "Outsiders wait", "Everyone waits"],
        &["✅ Create", "🕒 Later…", "Cancel"],
    ],
    creating: "Creating the meeting…",
    created: concat!(
        "<b>Meeting created.</b>\n",
        "Join: https://telemost.yandex.ru/j/10000000000001",
    ),
    created_rows: &[
        &["Join the meeting"],
        &["Share"],
        &["Details", "Waiting room"],
        &["Add cohosts", "Replace cohosts", "Remove cohosts"],
    ],
    cohosts_panel: concat!(
        "<b>New Telemost meeting</b>\n",
        "Waiting room: off, everyone joins at once\n",
        "Cohosts: none\n",
        "\n",
        "Send the cohosts' email addresses (Yandex accounts), separated by commas, spaces or new ",
        "lines, up to 30. Or create the meeting without cohosts.",
    ),
    cohosts_rows: &[&["✅ Create without cohosts"], &["Cancel"]],
    bad_emails: "These are not email addresses: not-an-email, bob.example.org. Send the whole list \
                 of emails again.",
    cancelled: "Cancelled.",
    title_too_long: "The title is 1025 characters long; the limit is 1024. Send a shorter title.",
    stream_title_panel: concat!(
        "<b>New Telemost live stream</b>\n",
        "Waiting room: off, everyone joins at once\n",
        "Who may watch: anyone with the link\n",
        "Description: none\n",
        "Cohosts: none\n",
        "\n",
        "Send the stream's title (up to 1024 characters).",
    ),
    stream_title_rows: &[&["Cancel"]],
    topic_too_long: "The topic is 201 characters long; the limit is 200, so this meeting has none. \
                     To set one, /cancel and send /meet with a shorter topic.",
    unauthorized: "Telemost rejected the token: it is invalid, expired or revoked. Get a new one and \
                   send /token &lt;new token&gt; in a private chat with me, then tap Create again.",
    unavailable: "Telemost is unavailable right now. Nothing was created; please try again.",
};

const RU: Golden = Golden {
    lang: "ru",
    help: concat!(
        "<b>Я создаю встречи и трансляции в Яндекс Телемосте.</b>\n",
        "\n",
        "/meet — новая встреча: выберите комнату ожидания и соорганизаторов или сразу нажмите «Создать».\n",
        "\u{2003}<code>/meet</code> или <code>/meet now</code> — сразу с настройками чата\n",
        "\u{2003}<code>/meet завтра 15:00 на 1 ч Дизайн-ревью</code>, <code>/meet через 30 минут</code>\n",
        "\u{2003}<code>/meet каждый будний день 10:00 Стендап</code> — новая ссылка перед каждой\n",
        "/findtime — чат голосует за несколько вариантов времени, победитель становится встречей.\n",
        "\u{2003}<code>/findtime вт 15:00, ср 11:00, чт 16:00 на 1 ч Дизайн-ревью</code>\n",
        "/upcoming — запланированные и повторяющиеся встречи чата и открытые голосования, с отменой.\n",
        "/stream — трансляция со ссылкой для зрителей.\n",
        "\u{2003}<code>/stream Итоги квартала</code>\n",
        "/history — последние 10 встреч этого чата.\n",
        "/settings — настройки чата по умолчанию (комната ожидания, зрители, конспект, мгновенный ",
        "/meet, часовой пояс, напоминания).\n",
        "/token — задать OAuth-токен Телемоста, в личном чате со мной.\n",
        "\u{2003}<code>/token y0_AgAAAA…</code>\n",
        "/login — войти через Яндекс вместо ввода токена.\n",
        "/connect, /disconnect — (администраторы группы) задать группе собственный токен, не ",
        "раскрывая его, или удалить.\n",
        "/forget — забыть токен этого чата.  /cancel — отменить текущее действие.\n",
        "В любом чате наберите моё @имя, чтобы создать встречу прямо там.\n",
        "\n",
        "Сначала задайте токен: /token или /login в личном чате со мной. В группе /meet использует ",
        "токен группы, если его задал администратор, иначе — токен того, кто вызвал команду.\n",
        "\n",
        "<b>Как получить токен</b> (для аккаунтов Яндекс 360 для бизнеса): зарегистрируйте ",
        "приложение на https://oauth.yandex.ru/client/new с правами ",
        "telemost-api:conferences.create, .read и .update; затем под рабочим аккаунтом откройте ",
        "https://oauth.yandex.ru/authorize?response_type=token&amp;client_id=&lt;ClientID приложения&gt; ",
        "и скопируйте показанный токен.",
    ),
    no_token: "Для этого чата ещё не задан токен Телемоста. Отправьте /token &lt;ваш OAuth-токен&gt;. \
               Как получить токен — /help.",
    token_saved: "Токен сохранён, сообщение с ним удалено. Теперь /meet создаст встречу.",
    panel: concat!(
        "<b>Новая встреча в Телемосте</b>\n",
        "Комната ожидания: выключена, все входят сразу\n",
        "Соорганизаторы: нет\n",
        "\n",
        "Кого держать в комнате ожидания? Или нажмите «Создать» — с настройками по умолчанию.",
    ),
    panel_rows: &[
        &["✓ Без ожидания", "Ждут внешние", "Ждут все"],
        &["✅ Создать", "🕒 Позже…", "Отмена"],
    ],
    creating: "Создаю встречу…",
    created: concat!(
        "<b>Встреча создана.</b>\n",
        "Ссылка для входа: https://telemost.yandex.ru/j/10000000000001",
    ),
    created_rows: &[
        &["Войти во встречу"],
        &["Поделиться"],
        &["Подробнее", "Комната ожидания"],
        &["Добавить соорг.", "Заменить соорг.", "Убрать соорг."],
    ],
    cohosts_panel: concat!(
        "<b>Новая встреча в Телемосте</b>\n",
        "Комната ожидания: выключена, все входят сразу\n",
        "Соорганизаторы: нет\n",
        "\n",
        "Отправьте адреса электронной почты соорганизаторов (аккаунты Яндекса) через запятую, ",
        "пробел или с новой строки, не больше 30. Или создайте встречу без соорганизаторов.",
    ),
    cohosts_rows: &[&["✅ Создать без соорганизаторов"], &["Отмена"]],
    bad_emails: "Это не адреса почты: not-an-email, bob.example.org. Отправьте весь список адресов \
                 ещё раз.",
    cancelled: "Отменено.",
    title_too_long: "В названии 1025 символов, а можно не больше 1024. Отправьте название короче.",
    stream_title_panel: concat!(
        "<b>Новая трансляция в Телемосте</b>\n",
        "Комната ожидания: выключена, все входят сразу\n",
        "Кто может смотреть: все, у кого есть ссылка\n",
        "Описание: нет\n",
        "Соорганизаторы: нет\n",
        "\n",
        "Отправьте название трансляции (до 1024 символов).",
    ),
    stream_title_rows: &[&["Отмена"]],
    topic_too_long: "В теме 201 символ, а можно не больше 200, поэтому у этой встречи её нет. Чтобы \
                     задать тему, отправьте /cancel и /meet с темой покороче.",
    unauthorized: "Телемост отклонил токен: он неверный, истёк или отозван. Получите новый, отправьте \
                   /token &lt;новый токен&gt; в личном чате со мной и снова нажмите «Создать».",
    unavailable: "Телемост сейчас недоступен. Ничего не создано; попробуйте ещё раз.",
};

/// A note the bot puts above a panel, a blank line between them.
fn above(note: &str, panel: &str) -> String {
    format!("{note}\n\n{panel}")
}

/// The labels of the buttons under `reply`, row by row, as the bot sent them.
fn rows_of(person: &Person, reply: &Reply) -> Vec<Vec<String>> {
    let call = person
        .tg
        .calls()
        .into_iter()
        .rev()
        .find(|c| {
            c.method == reply.method
                && c.chat_id() == Some(person.chat)
                && c.text() == reply.text
                && c.sent_id.or_else(|| c.body["message_id"].as_i64()) == Some(reply.message_id)
        })
        .unwrap_or_else(|| panic!("no call behind the reply {reply:?}"));
    let rows = call.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|b| b["text"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .collect()
}

/// `reply` is exactly `text` with exactly the buttons `rows`. A difference names the first line
/// that differs and shows both texts whole, as a user would read them.
fn pin(person: &Person, what: &str, reply: &Reply, text: &str, rows: Rows) {
    if reply.text != text {
        let got: Vec<&str> = reply.text.split('\n').collect();
        let want: Vec<&str> = text.split('\n').collect();
        let n = got
            .iter()
            .zip(&want)
            .position(|(g, w)| g != w)
            .unwrap_or(got.len().min(want.len()));
        let line = |lines: &[&str]| lines.get(n).copied().unwrap_or("(no such line)").to_owned();
        assert_eq!(
            reply.text,
            text,
            "\n{what} ({}): the bot's text differs from the pinned one at line {}:\n  bot:    \
             {:?}\n  pinned: {:?}\n--- the bot sent:\n{}\n--- pinned:\n{}\n---",
            person.lang,
            n + 1,
            line(&got),
            line(&want),
            reply.text,
            text,
        );
    }
    let want: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    assert_eq!(
        rows_of(person, reply),
        want,
        "{what} ({}): the buttons differ",
        person.lang
    );
}

/// After Create on `panel`: what the panel became, past the "Creating…" note if Telemost was
/// slow enough for one.
async fn outcome(person: &mut Person, g: &Golden, panel: &Reply) -> Reply {
    person
        .reply_where(|r| r.message_id == panel.message_id && r.text != g.creating)
        .await
}

/// A new user's first meeting: they read /help, try /meet before setting a token and are told
/// how, send their token, get the panel, tap Create, and get the link with its buttons.
async fn first_meeting(g: &Golden, user: i64) {
    assert_eq!(
        support::telemost::join_url(1),
        JOIN_1,
        "the fake's first link"
    );
    let app = TestApp::start().await;
    let mut ann = app.private(user, g.lang);

    ann.send("/help");
    let help = ann.reply().await;
    pin(&ann, "/help", &help, g.help, &[]);

    ann.send("/meet");
    let no_token = ann.reply().await;
    pin(&ann, "/meet without a token", &no_token, g.no_token, &[]);
    assert!(
        app.tm.all_requests().is_empty(),
        "nothing asked of Telemost"
    );

    ann.send("/token y0_ann");
    let saved = ann.reply().await;
    pin(&ann, "/token", &saved, g.token_saved, &[]);

    ann.send("/meet");
    let panel = ann.reply().await;
    assert_eq!(panel.method, "sendMessage", "the panel is posted");
    pin(&ann, "the /meet panel", &panel, g.panel, g.panel_rows);

    ann.press(&panel, "create");
    let created = outcome(&mut ann, g, &panel).await;
    pin(&ann, "the link", &created, g.created, g.created_rows);
    assert_eq!(
        created.buttons[0].1, JOIN_1,
        "the Join button opens the link"
    );
    assert_eq!(created.buttons[1].1, SHARE_1, "the Share button shares it");
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_ann");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}

/// A user's slips: a cohosts' list with two things that are not e-mail addresses (asked for the
/// whole list again), a stream title of 1025 characters (asked for a shorter one), and a /meet
/// topic of 201 characters (the panel opens, saying the meeting has no topic). Nothing reaches
/// Telemost.
async fn slips(g: &Golden, user: i64) {
    let app = TestApp::start().await;
    let mut bob = app.private(user, g.lang);
    app.with_token(&mut bob, "y0_bob").await;

    bob.send("/meet");
    let panel = bob.reply().await;
    bob.press(&panel, "wr:PUBLIC");
    let ask = bob.reply().await;
    assert_eq!(ask.message_id, panel.message_id, "the panel is edited");
    pin(
        &bob,
        "the cohosts' question",
        &ask,
        g.cohosts_panel,
        g.cohosts_rows,
    );

    bob.send("a@x.ru, not-an-email, bob.example.org");
    let again = bob.reply().await;
    let text = above(g.bad_emails, g.cohosts_panel);
    pin(&bob, "bad cohosts", &again, &text, g.cohosts_rows);

    bob.send("/cancel");
    let cancelled = bob.reply().await;
    pin(&bob, "/cancel", &cancelled, g.cancelled, &[]);

    bob.send(&format!("/stream {}", "ж".repeat(1025)));
    let title = bob.reply().await;
    let text = above(g.title_too_long, g.stream_title_panel);
    pin(
        &bob,
        "a long stream title",
        &title,
        &text,
        g.stream_title_rows,
    );

    bob.send("/cancel");
    let cancelled = bob.reply().await;
    pin(&bob, "/cancel", &cancelled, g.cancelled, &[]);

    bob.send(&format!("/meet {}", "ж".repeat(201)));
    let topic = bob.reply().await;
    let text = above(g.topic_too_long, g.panel);
    pin(&bob, "a long topic", &topic, &text, g.panel_rows);

    assert!(
        app.tm.all_requests().is_empty(),
        "nothing asked of Telemost"
    );
    app.stop().await;
}

/// Telemost refuses the token (401), then is down (500 to every attempt): each time the user is
/// told so above the panel, which is kept; the third Create gives the link.
async fn telemost_failures(g: &Golden, user: i64) {
    let app = TestApp::start().await;
    let mut cleo = app.private(user, g.lang);
    app.with_token(&mut cleo, "y0_cleo").await;

    app.tm
        .then(Answer::json(401, json!({"error": "UnauthorizedError"})));
    cleo.send("/meet");
    let panel = cleo.reply().await;
    cleo.press(&panel, "create");
    let refused = outcome(&mut cleo, g, &panel).await;
    let text = above(g.unauthorized, g.panel);
    pin(&cleo, "a 401", &refused, &text, g.panel_rows);

    let attempts = support::test_retry_policy().max_attempts as usize;
    for _ in 0..attempts {
        app.tm
            .then(Answer::json(500, json!({"error": "InternalServerError"})));
    }
    cleo.press(&refused, "create");
    let down = outcome(&mut cleo, g, &panel).await;
    let text = above(g.unavailable, g.panel);
    pin(&cleo, "a 500", &down, &text, g.panel_rows);
    assert_eq!(app.tm.requests().len(), 1 + attempts);

    cleo.press(&down, "create");
    let created = outcome(&mut cleo, g, &panel).await;
    pin(&cleo, "the link", &created, g.created, g.created_rows);
    let bodies: Vec<Value> = app.tm.requests().into_iter().map(|r| r.body).collect();
    assert!(
        bodies
            .iter()
            .all(|b| b == &json!({"waiting_room_level": "PUBLIC"})),
        "{bodies:?}"
    );
    app.stop().await;
}

/// Ann, in English, meets the bot for the first time and creates a meeting.
#[tokio::test]
async fn english_first_meeting() {
    first_meeting(&EN, 9901).await;
}

/// Аня, по-русски, впервые пишет боту и создаёт встречу.
#[tokio::test]
async fn russian_first_meeting() {
    first_meeting(&RU, 9902).await;
}

/// Bob, in English, mistypes cohosts and sends an over-long title and topic.
#[tokio::test]
async fn english_slips() {
    slips(&EN, 9903).await;
}

/// Борис, по-русски, ошибается в адресах соорганизаторов и присылает слишком длинные название и
/// тему.
#[tokio::test]
async fn russian_slips() {
    slips(&RU, 9904).await;
}

/// Cleo, in English, meets a revoked token and Telemost down, then gets her link.
#[tokio::test]
async fn english_telemost_failures() {
    telemost_failures(&EN, 9905).await;
}

/// Клео, по-русски, встречает отозванный токен и недоступный Телемост, потом получает ссылку.
#[tokio::test]
async fn russian_telemost_failures() {
    telemost_failures(&RU, 9906).await;
}
