//! The planner page's own words (`src/web/page.html`), in English and Russian. Plain text, not
//! HTML: the page puts them in with `textContent`. The server hands both tables to the page as
//! one JSON object in place of `__TEXTS__`; the page picks a language once `api/context` names
//! it. `{name}` marks a value the page fills in; both languages use the same ones.

pub const EN: &[(&str, &str)] = &[
    ("app_title", "Telemost planner"),
    ("loading", "Loading…"),
    ("retry", "Try again"),
    (
        "open_in_telegram",
        "Open the planner from the bot in Telegram.",
    ),
    (
        "unauthorized",
        "This page has expired. Close it and open the planner from Telegram again.",
    ),
    (
        "network",
        "No connection to the bot. Check the internet and try again.",
    ),
    ("failed", "Something went wrong. Please try again."),
    ("tab_new", "New meeting"),
    ("tab_week", "Week"),
    ("chat_group", "The meeting will be posted in “{title}”."),
    ("create", "Create"),
    ("topic", "Topic"),
    ("topic_hint", "Optional. Shown in the chat and in Telemost."),
    ("when", "When"),
    ("now", "Now"),
    ("later", "Later"),
    ("date", "Date"),
    ("time", "Time"),
    ("zone", "Time zone: {zone}"),
    ("later_needs_date", "Choose a date and a time."),
    ("duration", "Duration"),
    ("minutes", "{n} min"),
    ("hours", "{n} h"),
    ("hours_minutes", "{h} h {m} min"),
    ("repeat", "Repeat on"),
    ("repeat_hint", "Nothing ticked: the meeting happens once."),
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
    ("waiting_room", "Waiting room"),
    (
        "wr_public",
        "No waiting room: everyone with the link joins at once",
    ),
    (
        "wr_organization",
        "People outside your organisation wait to be let in",
    ),
    (
        "wr_admins",
        "Everyone waits until the organiser or a cohost lets them in",
    ),
    ("cohosts", "Cohosts"),
    (
        "cohosts_hint",
        "Yandex accounts that will manage the meeting with you.",
    ),
    ("cohost_address", "Email address"),
    ("cohost_add", "Add"),
    ("cohost_bad", "This doesn't look like an email address."),
    ("cohosts_too_many", "At most {max} cohosts."),
    ("cohost_chip", "Add {email}"),
    ("remembered", "Added before:"),
    ("remove", "Remove"),
    ("stream", "Live stream"),
    ("stream_toggle", "Also stream the meeting to viewers"),
    (
        "stream_now",
        "A live stream starts now; to plan ahead, plan a meeting.",
    ),
    ("stream_title", "Stream title"),
    ("stream_description", "Description"),
    ("stream_access", "Who may watch"),
    ("access_public", "Anyone with the link"),
    ("access_organization", "Only people in your organisation"),
    ("title_empty", "Give the stream a title."),
    (
        "title_too_long",
        "The stream title is too long: at most {max} characters.",
    ),
    (
        "description_too_long",
        "The description is too long: at most {max} characters.",
    ),
    ("created", "Meeting created"),
    ("copy", "Copy link"),
    ("copied", "Link copied"),
    ("watch_link", "Link for viewers"),
    ("new_meeting", "New meeting"),
    ("week_title", "Meetings this week and next"),
    ("next_week", "Next week"),
    ("today", "Today"),
    ("nothing", "No meetings"),
    ("untitled", "Untitled"),
    ("recurring", "repeats"),
    ("join", "Join"),
    ("link_later", "The link comes shortly before the start"),
    ("cancel", "Cancel"),
    ("confirm_cancel", "Cancel this meeting?"),
    (
        "confirm_cancel_series",
        "Cancel this meeting and all its repeats?",
    ),
    ("cancelled", "Cancelled."),
];

pub const RU: &[(&str, &str)] = &[
    ("app_title", "Планировщик Телемоста"),
    ("loading", "Загрузка…"),
    ("retry", "Повторить"),
    (
        "open_in_telegram",
        "Откройте планировщик из бота в Telegram.",
    ),
    (
        "unauthorized",
        "Страница устарела. Закройте её и снова откройте планировщик из Telegram.",
    ),
    (
        "network",
        "Нет связи с ботом. Проверьте интернет и попробуйте ещё раз.",
    ),
    ("failed", "Что-то пошло не так. Попробуйте ещё раз."),
    ("tab_new", "Новая встреча"),
    ("tab_week", "Неделя"),
    ("chat_group", "Встреча появится в чате «{title}»."),
    ("create", "Создать"),
    ("topic", "Тема"),
    (
        "topic_hint",
        "Необязательно. Её увидят в чате и в Телемосте.",
    ),
    ("when", "Когда"),
    ("now", "Сейчас"),
    ("later", "Позже"),
    ("date", "Дата"),
    ("time", "Время"),
    ("zone", "Часовой пояс: {zone}"),
    ("later_needs_date", "Выберите дату и время."),
    ("duration", "Длительность"),
    ("minutes", "{n} мин"),
    ("hours", "{n} ч"),
    ("hours_minutes", "{h} ч {m} мин"),
    ("repeat", "Повторять по дням"),
    (
        "repeat_hint",
        "Ничего не отмечено — встреча будет один раз.",
    ),
    ("mon", "Пн"),
    ("tue", "Вт"),
    ("wed", "Ср"),
    ("thu", "Чт"),
    ("fri", "Пт"),
    ("sat", "Сб"),
    ("sun", "Вс"),
    ("waiting_room", "Комната ожидания"),
    (
        "wr_public",
        "Без комнаты ожидания: все, у кого есть ссылка, входят сразу",
    ),
    (
        "wr_organization",
        "Те, кто не из вашей организации, ждут, пока их впустят",
    ),
    (
        "wr_admins",
        "Все ждут, пока организатор или соорганизатор их впустит",
    ),
    ("cohosts", "Соорганизаторы"),
    (
        "cohosts_hint",
        "Аккаунты Яндекса, которые будут управлять встречей вместе с вами.",
    ),
    ("cohost_address", "Адрес электронной почты"),
    ("cohost_add", "Добавить"),
    ("cohost_bad", "Это не похоже на адрес электронной почты."),
    ("cohosts_too_many", "Не больше {max} соорганизаторов."),
    ("cohost_chip", "Добавить {email}"),
    ("remembered", "Добавляли раньше:"),
    ("remove", "Убрать"),
    ("stream", "Трансляция"),
    ("stream_toggle", "Транслировать встречу для зрителей"),
    (
        "stream_now",
        "Трансляция начинается сразу; чтобы запланировать заранее, запланируйте встречу.",
    ),
    ("stream_title", "Название трансляции"),
    ("stream_description", "Описание"),
    ("stream_access", "Кто может смотреть"),
    ("access_public", "Все, у кого есть ссылка"),
    ("access_organization", "Только сотрудники вашей организации"),
    ("title_empty", "Укажите название трансляции."),
    (
        "title_too_long",
        "Название трансляции слишком длинное: не больше {max} символов.",
    ),
    (
        "description_too_long",
        "Описание слишком длинное: не больше {max} символов.",
    ),
    ("created", "Встреча создана"),
    ("copy", "Скопировать ссылку"),
    ("copied", "Ссылка скопирована"),
    ("watch_link", "Ссылка для зрителей"),
    ("new_meeting", "Новая встреча"),
    ("week_title", "Встречи на этой и следующей неделе"),
    ("next_week", "Следующая неделя"),
    ("today", "Сегодня"),
    ("nothing", "Встреч нет"),
    ("untitled", "Без темы"),
    ("recurring", "повторяется"),
    ("join", "Подключиться"),
    ("link_later", "Ссылка появится незадолго до начала"),
    ("cancel", "Отменить"),
    ("confirm_cancel", "Отменить эту встречу?"),
    (
        "confirm_cancel_series",
        "Отменить эту встречу и все её повторы?",
    ),
    ("cancelled", "Отменено."),
];

/// Both tables as the JSON object the page reads: {"en": {...}, "ru": {...}}.
/// `<` is written as `\u003c`, so no text can close the `<script>` element it is put into.
pub fn json() -> String {
    let table = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|&(k, v)| (k.to_owned(), serde_json::Value::from(v)))
            .collect::<serde_json::Map<_, _>>()
    };
    serde_json::json!({"en": table(EN), "ru": table(RU)})
        .to_string()
        .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const PAGE: &str = include_str!("../../../web/page.html");

    fn keys(table: &[(&'static str, &'static str)]) -> BTreeSet<&'static str> {
        table.iter().map(|e| e.0).collect()
    }

    /// The `{name}` placeholders in a text.
    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect()
    }

    /// Every text key a page's source uses: `t.key` and `t['key']` in its script (a `t` that
    /// is not the tail of a longer name or a property), `data-t="key"` in its markup.
    fn used_keys(src: &str) -> BTreeSet<String> {
        let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
        let mut found = BTreeSet::new();
        for (at, _) in src.match_indices("t.").chain(src.match_indices("t['")) {
            if src[..at]
                .chars()
                .next_back()
                .is_some_and(|c| is_ident(c) || c == '.')
            {
                continue;
            }
            let rest = src[at..].trim_start_matches("t['").trim_start_matches("t.");
            let key: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !key.is_empty() {
                found.insert(key);
            }
        }
        for (at, m) in src.match_indices("data-t=\"") {
            let rest = &src[at + m.len()..];
            if let Some((key, _)) = rest.split_once('"') {
                found.insert(key.to_owned());
            }
        }
        found
    }

    fn unknown_keys(src: &str) -> Vec<String> {
        used_keys(src)
            .into_iter()
            .filter(|k| !EN.iter().any(|e| e.0 == k))
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_keys_once_each() {
        for table in [EN, RU] {
            let mut seen = BTreeSet::new();
            for (key, _) in table {
                assert!(seen.insert(key), "{key} appears twice");
            }
        }
        assert_eq!(keys(EN), keys(RU));
        assert_eq!(EN.len(), RU.len());
    }

    #[test]
    fn no_text_is_empty_and_placeholders_match() {
        for (key, en) in EN {
            let ru = RU.iter().find(|r| r.0 == *key).map(|r| r.1).unwrap();
            assert!(!en.trim().is_empty(), "EN {key} is empty");
            assert!(!ru.trim().is_empty(), "RU {key} is empty");
            assert_eq!(placeholders(en), placeholders(ru), "placeholders of {key}");
        }
    }

    #[test]
    fn every_key_the_page_uses_exists_and_every_key_is_used() {
        let used = used_keys(PAGE);
        assert!(used.len() > 40, "the scan found only {used:?}");
        assert_eq!(unknown_keys(PAGE), Vec::<String>::new());
        let unused: Vec<_> = EN.iter().filter(|e| !used.contains(e.0)).collect();
        assert!(unused.is_empty(), "texts the page never uses: {unused:?}");
    }

    #[test]
    fn the_scan_catches_an_unknown_key() {
        let made_up = r#"<b data-t="no_such_label"></b>
            say(t.create); say(t.nope_one); x = t['nope_two']; at.length; a.t.nope_three;"#;
        assert_eq!(
            used_keys(made_up),
            BTreeSet::from(["create", "no_such_label", "nope_one", "nope_two"].map(String::from))
        );
        assert_eq!(
            unknown_keys(made_up),
            ["no_such_label", "nope_one", "nope_two"]
        );
    }

    #[test]
    fn json_has_both_languages() {
        let text = json();
        assert!(!text.contains('<'));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (lang, table) in [("en", EN), ("ru", RU)] {
            let object = parsed[lang].as_object().unwrap();
            assert_eq!(object.len(), table.len());
            for (key, text) in table {
                assert_eq!(object[*key], *text, "{lang} {key}");
            }
        }
        assert_eq!(parsed["ru"]["create"], "Создать");
    }

    #[test]
    fn the_page_has_one_texts_slot() {
        assert_eq!(PAGE.matches("__TEXTS__").count(), 1);
        assert!(PAGE.contains(r#"<script id="texts" type="application/json">__TEXTS__</script>"#));
    }
}
