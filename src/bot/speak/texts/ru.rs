//! Everything the bot says in Russian, for users whose Telegram language is Russian.

use jiff::civil::{Date, Weekday};

use super::{Texts, VoteLine, esc, esc_short, topic_suffix, vote_lines};
use crate::bot::topic::TOPIC_MAX_CHARS;
use crate::schedule::when::{MAX_CANDIDATES, MIN_CANDIDATES, OptionsError};
use crate::schedule::{Weekdays, WhenError};
use crate::telemost::TelemostError;
use crate::telemost::model::{InvalidInput, StreamAccess, WaitingRoomLevel, limits};

pub struct Ru;

/// The form of a Russian noun after the number `n`: `one` (1, 21, 101 символ), `few` (2-4, 22
/// символа) or `many` (0, 5-20, 25, 111 символов).
fn plural(n: usize, one: &'static str, few: &'static str, many: &'static str) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

/// "`n` символ", "символа" or "символов", as the number wants.
fn chars_ru(n: usize) -> String {
    format!("{n} {}", plural(n, "символ", "символа", "символов"))
}

impl Texts for Ru {
    fn commands(&self) -> [(&'static str, &'static str); 14] {
        [
            ("meet", "Создать встречу в Телемосте, сейчас или на потом"),
            ("stream", "Создать трансляцию: /stream <название>"),
            ("upcoming", "Запланированные и повторяющиеся встречи"),
            (
                "findtime",
                "Подобрать время голосованием: /findtime вт 15:00, ср 11:00",
            ),
            ("history", "Последние встречи этого чата"),
            ("settings", "Настройки встреч этого чата"),
            ("token", "Задать OAuth-токен Телемоста (в личном чате)"),
            ("login", "Войти через Яндекс вместо ввода токена"),
            ("connect", "Задать токен для группы (администраторы)"),
            ("disconnect", "Удалить токен группы (администраторы)"),
            ("forget", "Забыть токен этого чата"),
            ("cancel", "Отменить текущий диалог"),
            ("help", "Как пользоваться ботом"),
            ("start", "Начать"),
        ]
    }

    fn help(&self) -> &'static str {
        "<b>Я создаю встречи и трансляции в Яндекс Телемосте.</b>\n\n\
         /meet — новая встреча: выберите комнату ожидания и соорганизаторов или сразу нажмите «Создать».\n\
         \u{2003}<code>/meet</code> или <code>/meet now</code> — сразу с настройками чата\n\
         \u{2003}<code>/meet завтра 15:00 на 1 ч Дизайн-ревью</code>, <code>/meet через 30 минут</code>\n\
         \u{2003}<code>/meet каждый будний день 10:00 Стендап</code> — новая ссылка перед каждой\n\
         /findtime — чат голосует за несколько вариантов времени, победитель становится встречей.\n\
         \u{2003}<code>/findtime вт 15:00, ср 11:00, чт 16:00 на 1 ч Дизайн-ревью</code>\n\
         /upcoming — запланированные и повторяющиеся встречи чата и открытые голосования, с \
         отменой.\n\
         /stream — трансляция со ссылкой для зрителей.\n\
         \u{2003}<code>/stream Итоги квартала</code>\n\
         /history — последние 10 встреч этого чата.\n\
         /settings — настройки чата по умолчанию (комната ожидания, зрители, конспект, мгновенный /meet, часовой пояс, напоминания).\n\
         /token — задать OAuth-токен Телемоста, в личном чате со мной.\n\
         \u{2003}<code>/token y0_AgAAAA…</code>\n\
         /login — войти через Яндекс вместо ввода токена.\n\
         /connect, /disconnect — (администраторы группы) задать группе собственный токен, не \
         раскрывая его, или удалить.\n\
         /forget — забыть токен этого чата.  /cancel — отменить текущее действие.\n\
         В любом чате наберите моё @имя, чтобы создать встречу прямо там.\n\n\
         Сначала задайте токен: /token или /login в личном чате со мной. В группе /meet \
         использует токен группы, если его задал администратор, иначе — токен того, кто вызвал \
         команду.\n\n\
         <b>Как получить токен</b> (для аккаунтов Яндекс 360 для бизнеса): зарегистрируйте \
         приложение на https://oauth.yandex.ru/client/new с правами \
         telemost-api:conferences.create, .read и .update; затем под рабочим аккаунтом откройте \
         https://oauth.yandex.ru/authorize?response_type=token&amp;client_id=&lt;ClientID приложения&gt; \
         и скопируйте показанный токен."
    }
    fn unknown_command(&self) -> &'static str {
        "Такой команды я не знаю. Список команд — /help."
    }
    fn idle_hint(&self) -> &'static str {
        "Отправьте /meet, чтобы создать встречу, или /stream &lt;название&gt; для трансляции. Подробнее — /help."
    }
    fn internal_error(&self) -> &'static str {
        "У меня что-то пошло не так. Попробуйте ещё раз через минуту (если создавали встречу, \
         сначала проверьте /history)."
    }

    fn no_token(&self, in_group: bool) -> &'static str {
        if in_group {
            "У меня ещё нет вашего токена Телемоста. Откройте личный чат со мной и отправьте \
             /token &lt;ваш OAuth-токен&gt; — после этого /meet здесь будет работать. Как получить токен — /help."
        } else {
            "Для этого чата ещё не задан токен Телемоста. Отправьте /token &lt;ваш OAuth-токен&gt;. \
             Как получить токен — /help."
        }
    }
    fn no_token_toast(&self) -> &'static str {
        "Токен Телемоста ещё не задан: см. /help"
    }
    fn token_prompt(&self) -> &'static str {
        "Отправьте мне OAuth-токен Телемоста. Я удалю ваше сообщение, как только сохраню его. \
         /cancel — отмена."
    }
    fn token_saved(&self, deleted: bool) -> &'static str {
        if deleted {
            "Токен сохранён, сообщение с ним удалено. Теперь /meet создаст встречу."
        } else {
            "Токен сохранён. Удалить сообщение с ним не получилось — удалите его, пожалуйста, \
             сами. Теперь /meet создаст встречу."
        }
    }
    fn token_malformed(&self) -> &'static str {
        "Это не похоже на OAuth-токен (это одно слово без пробелов). Отправьте токен ещё раз \
         или /cancel."
    }
    fn token_in_group(&self, deleted: bool) -> &'static str {
        if deleted {
            "Я удалил это сообщение: токен нельзя отправлять в группу. Если его могли увидеть, \
             отзовите его в своём Яндекс ID. Чтобы дать группе токен, администратор отправляет \
             здесь /connect и вставляет токен в открывшемся личном чате."
        } else {
            "Токен нельзя отправлять в группу, а удалить это сообщение я не могу (я здесь не \
             администратор). Удалите его сейчас и отзовите токен в своём Яндекс ID, затем пусть \
             администратор отправит здесь /connect и задаст новый в личном чате."
        }
    }
    fn token_only_in_private(&self) -> &'static str {
        "Токен никогда не отправляют в группу. Чтобы дать группе токен, администратор отправляет здесь /connect и вставляет его в открывшемся личном чате; для своих встреч отправьте /token в личном чате со мной."
    }
    fn token_forgotten(&self) -> &'static str {
        "Готово: токен этого чата удалён."
    }
    fn token_none_to_forget(&self) -> &'static str {
        "У этого чата нет сохранённого токена."
    }

    fn connect_in_groups_only(&self) -> &'static str {
        "/connect работает в группах: добавьте меня в группу и отправьте /connect там."
    }
    fn admins_only(&self) -> &'static str {
        "Это могут делать только администраторы группы."
    }
    fn anonymous_admin(&self) -> &'static str {
        "Вы пишете от имени группы (анонимный администратор). Для этого переключитесь на свой \
         аккаунт, чтобы я знал, кто подключает группу."
    }
    fn shared_sender(&self) -> &'static str {
        "Вы пишете от имени группы или канала, и я не могу понять, чей это будет черновик. \
         <code>/meet now</code> сразу создаст встречу с настройками группы по умолчанию и её \
         токеном (его подключает администратор через /connect); чтобы открыть панель, пишите \
         от своего имени."
    }
    fn connect_link(&self) -> &'static str {
        "Откройте ссылку, чтобы задать токен Телемоста для группы в личном чате со мной. Она \
         работает один раз, только для вас, 10 минут."
    }
    fn button_connect(&self) -> &'static str {
        "Задать токен группы"
    }
    fn connect_prompt(&self) -> &'static str {
        "Отправьте OAuth-токен Телемоста для группы (я удалю сообщение) или /login, чтобы войти \
         через Яндекс. /cancel — отмена."
    }
    fn connect_code_other_user(&self) -> &'static str {
        "Эта ссылка создана для другого администратора. Отправьте /connect в группе, чтобы получить свою."
    }
    fn connect_code_expired(&self) -> &'static str {
        "Срок действия ссылки истёк. Отправьте /connect в группе ещё раз."
    }
    fn connect_code_invalid(&self) -> &'static str {
        "Ссылка недействительна или уже использована. Отправьте /connect в группе ещё раз."
    }
    fn group_token_saved(&self) -> &'static str {
        "Сохранено: теперь группа создаёт встречи с этим токеном. Сообщение с ним удалено."
    }
    fn group_connected(&self, who: &str) -> String {
        format!(
            "{} подключил(а) группу к Телемосту. Теперь все здесь могут создавать встречи командой /meet.",
            esc(who)
        )
    }
    fn no_longer_admin(&self) -> &'static str {
        "Вы больше не администратор этой группы, поэтому токен не сохранён."
    }
    fn disconnected(&self) -> &'static str {
        "Готово: токен группы удалён. Теперь /meet здесь использует собственный токен каждого участника."
    }
    fn group_has_no_token(&self) -> &'static str {
        "У этой группы нет токена."
    }

    fn login_not_configured(&self) -> &'static str {
        "Вход через Яндекс в этом боте не настроен (оператору нужно задать YANDEX_CLIENT_ID). \
         Токен по-прежнему можно отправить командой /token."
    }
    fn login_started(&self, user_code: &str, minutes: u64) -> String {
        format!(
            "Откройте страницу Яндекса по кнопке ниже и введите код <code>{}</code>. Я сообщу, \
             как только вы разрешите доступ. Код действует {minutes} мин. /cancel — отмена.",
            esc(user_code)
        )
    }
    fn button_open_login(&self) -> &'static str {
        "Открыть Яндекс"
    }
    fn login_done(&self) -> &'static str {
        "Вход через Яндекс выполнен, токен сохранён. Теперь /meet создаст встречу."
    }
    fn login_denied(&self) -> &'static str {
        "На странице Яндекса доступ не разрешён. Ничего не сохранено."
    }
    fn login_expired(&self) -> &'static str {
        "Код истёк, прежде чем его ввели. Отправьте /login, чтобы попробовать снова."
    }
    fn login_failed(&self) -> &'static str {
        "Войти через Яндекс не получилось. Попробуйте /login позже или отправьте токен командой /token."
    }
    fn login_cancelled(&self) -> &'static str {
        "Вход отменён."
    }

    fn button_share(&self) -> &'static str {
        "Поделиться"
    }
    fn button_details(&self) -> &'static str {
        "Подробнее"
    }
    fn button_change_waiting_room(&self) -> &'static str {
        "Комната ожидания"
    }
    fn button_add_cohosts(&self) -> &'static str {
        "Добавить соорг."
    }
    fn button_replace_cohosts(&self) -> &'static str {
        "Заменить соорг."
    }
    fn button_clear_cohosts(&self) -> &'static str {
        "Убрать соорг."
    }
    fn button_back(&self) -> &'static str {
        "Назад"
    }
    fn meeting_links(&self, topic: Option<&str>, join_url: &str) -> String {
        match topic {
            Some(topic) => format!(
                "<b>Встреча в Телемосте:</b> {}\nСсылка для входа: {}",
                esc(topic),
                esc(join_url)
            ),
            None => format!(
                "<b>Встреча в Телемосте</b>\nСсылка для входа: {}",
                esc(join_url)
            ),
        }
    }
    fn label_watch(&self) -> &'static str {
        "Ссылка для зрителей"
    }
    fn ask_manage_cohosts(&self, replace: bool) -> &'static str {
        if replace {
            "Отправьте адреса новых соорганизаторов (они заменят текущих) через запятую, пробел \
             или с новой строки."
        } else {
            "Отправьте адреса соорганизаторов, которых нужно добавить, через запятую, пробел или \
             с новой строки."
        }
    }
    fn cohosts_updated(&self, list: &str) -> String {
        format!("Готово: соорганизаторы обновлены ({}).", esc(list))
    }

    fn inline_set_token(&self) -> &'static str {
        "Сначала задайте токен Телемоста"
    }
    fn inline_meeting_hint(&self) -> &'static str {
        "Создаётся с вашим токеном и настройками при отправке"
    }
    fn inline_new_stream(&self, title: &str) -> String {
        format!("Новая трансляция: {title}")
    }
    fn inline_new_meeting(&self, topic: &str) -> String {
        format!("Новая встреча: {topic}")
    }
    fn inline_stream_hint(&self) -> &'static str {
        "Набранный текст станет названием трансляции"
    }
    fn inline_creating(&self) -> &'static str {
        "Создаю встречу в Телемосте…"
    }

    fn history_header(&self, zone: &str) -> String {
        format!("Последние встречи в этом чате ({}):", esc(zone))
    }
    fn history_empty(&self) -> &'static str {
        "В этом чате ещё не создавали встреч. /meet создаст первую."
    }
    fn and_more(&self, n: usize) -> String {
        format!("… и ещё {n}")
    }
    fn kind_meeting(&self) -> &'static str {
        "встреча"
    }
    fn kind_stream(&self) -> &'static str {
        "трансляция"
    }

    fn settings_header(&self) -> &'static str {
        "Настройки встреч, создаваемых в этом чате"
    }
    fn label_auto_summary(&self) -> &'static str {
        "Конспект встречи"
    }
    fn label_instant_meet(&self) -> &'static str {
        "Мгновенный /meet"
    }
    fn label_admins_only(&self) -> &'static str {
        "Создают только админы"
    }
    fn on_off(&self, on: bool) -> &'static str {
        if on { "вкл." } else { "выкл." }
    }
    fn button_done(&self) -> &'static str {
        "Готово"
    }
    fn settings_saved(&self) -> &'static str {
        "Сохранено"
    }

    fn cancelled(&self) -> &'static str {
        "Отменено."
    }
    fn nothing_to_cancel(&self) -> &'static str {
        "Отменять нечего."
    }
    fn stale_button(&self) -> &'static str {
        "Эта кнопка из завершённого диалога. Начните заново: /meet или /stream."
    }
    fn not_your_dialogue(&self) -> &'static str {
        "Эту встречу создаёт другой участник; начните свою командой /meet."
    }
    fn not_your_meeting(&self) -> &'static str {
        "Смотреть и менять встречу может только её создатель или администратор группы."
    }
    fn member_gone(&self, name: Option<&str>) -> String {
        let whose = match name {
            Some(name) => format!("участника <b>{}</b>, а его", esc_short(name, 64)),
            None => "участника, которого".to_owned(),
        };
        format!(
            "Здесь используется личный аккаунт Телемоста {whose} больше нет в этом чате, поэтому \
             здесь я его больше не использую. Администратор может подключить аккаунт группы \
             через /connect."
        )
    }
    fn member_gone_toast(&self) -> &'static str {
        "Создано аккаунтом участника, которого больше нет в чате: здесь я его не использую. \
         Администратор может подключить аккаунт группы: /connect."
    }
    fn still_creating(&self) -> &'static str {
        "Уже создаю, секунду…"
    }
    fn creation_interrupted(&self) -> &'static str {
        "Прошлая попытка создать встречу прервалась. Прежде чем создавать снова, проверьте /history."
    }
    fn use_buttons(&self) -> &'static str {
        "Выберите, пожалуйста, кнопкой ниже."
    }
    fn send_text(&self) -> &'static str {
        "Пожалуйста, отправьте это текстом."
    }

    fn new_meeting(&self) -> &'static str {
        "Новая встреча в Телемосте"
    }
    fn new_stream(&self) -> &'static str {
        "Новая трансляция в Телемосте"
    }
    fn label_title(&self) -> &'static str {
        "Название"
    }
    fn label_waiting_room(&self) -> &'static str {
        "Комната ожидания"
    }
    fn label_stream_access(&self) -> &'static str {
        "Кто может смотреть"
    }
    fn label_description(&self) -> &'static str {
        "Описание"
    }
    fn label_cohosts(&self) -> &'static str {
        "Соорганизаторы"
    }
    fn none(&self) -> &'static str {
        "нет"
    }
    fn waiting_room(&self, level: WaitingRoomLevel) -> &'static str {
        match level {
            WaitingRoomLevel::Public => "выключена, все входят сразу",
            WaitingRoomLevel::Organization => "для тех, кто не из организации",
            WaitingRoomLevel::Admins => "для всех, кроме организаторов",
        }
    }
    fn stream_access(&self, access: StreamAccess) -> &'static str {
        match access {
            StreamAccess::Public => "все, у кого есть ссылка",
            StreamAccess::Organization => "только сотрудники организации",
        }
    }

    fn waiting_room_button(&self, level: WaitingRoomLevel) -> &'static str {
        match level {
            WaitingRoomLevel::Public => "Без ожидания",
            WaitingRoomLevel::Organization => "Ждут внешние",
            WaitingRoomLevel::Admins => "Ждут все",
        }
    }
    fn stream_access_button(&self, access: StreamAccess) -> &'static str {
        match access {
            StreamAccess::Public => "Все",
            StreamAccess::Organization => "Только сотрудники",
        }
    }

    fn ask_title(&self) -> &'static str {
        "Отправьте название трансляции (до 1024 символов)."
    }
    fn ask_waiting_room(&self) -> &'static str {
        "Кого держать в комнате ожидания? Или нажмите «Создать» — с настройками по умолчанию."
    }
    fn ask_stream_access(&self) -> &'static str {
        "Кто может смотреть трансляцию?"
    }
    fn ask_description(&self) -> &'static str {
        "Отправьте описание трансляции (до 2048 символов) или нажмите «Пропустить»."
    }
    fn ask_cohosts(&self) -> &'static str {
        "Отправьте адреса электронной почты соорганизаторов (аккаунты Яндекса) через запятую, \
         пробел или с новой строки, не больше 30. Или создайте встречу без соорганизаторов."
    }
    fn reply_hint(&self) -> &'static str {
        "(Ответьте на это сообщение.)"
    }

    fn button_create(&self) -> &'static str {
        "✅ Создать"
    }
    fn button_cancel(&self) -> &'static str {
        "Отмена"
    }
    fn button_skip(&self) -> &'static str {
        "Пропустить"
    }
    fn button_no_cohosts(&self) -> &'static str {
        "✅ Создать без соорганизаторов"
    }
    fn button_join(&self) -> &'static str {
        "Войти во встречу"
    }
    fn button_watch(&self) -> &'static str {
        "Смотреть трансляцию"
    }

    fn creating(&self) -> &'static str {
        "Создаю встречу…"
    }
    fn meeting_created(&self, topic: Option<&str>, join_url: &str) -> String {
        match topic {
            Some(topic) => format!(
                "<b>Встреча создана:</b> {}\nСсылка для входа: {}",
                esc(topic),
                esc(join_url)
            ),
            None => format!(
                "<b>Встреча создана.</b>\nСсылка для входа: {}",
                esc(join_url)
            ),
        }
    }
    fn label_topic(&self) -> &'static str {
        "Тема"
    }
    fn topic_too_long(&self, chars: usize) -> String {
        format!(
            "В теме {}, а можно не больше {TOPIC_MAX_CHARS}, поэтому у этой встречи её нет. \
             Чтобы задать тему, отправьте /cancel и /meet с темой покороче.",
            chars_ru(chars)
        )
    }
    fn record_failed(&self) -> &'static str {
        "Встреча создана, и ссылки работают, но сохранить её я не смог: кнопки под ней \
         (подробности, комната ожидания, соорганизаторы) работать не будут, и в /history её не будет."
    }
    fn stream_created(&self, title: &str, join_url: &str, watch_url: Option<&str>) -> String {
        let watch = watch_url.unwrap_or("(Телемост не прислал ссылку для зрителей)");
        format!(
            "<b>Трансляция создана:</b> {}\nВход для ведущих: {}\nСсылка для зрителей: {}",
            esc(title),
            esc(join_url),
            esc(watch)
        )
    }

    fn invalid_input(&self, e: &InvalidInput) -> String {
        match e {
            InvalidInput::EmptyTitle => "Название не может быть пустым. Отправьте название.".into(),
            InvalidInput::TitleTooLong { chars } => format!(
                "В названии {}, а можно не больше {}. Отправьте название короче.",
                chars_ru(*chars),
                limits::TITLE_MAX_CHARS
            ),
            InvalidInput::DescriptionTooLong { chars } => format!(
                "В описании {}, а можно не больше {}. Отправьте описание короче.",
                chars_ru(*chars),
                limits::DESCRIPTION_MAX_CHARS
            ),
            InvalidInput::NoCohosts => "Я не нашёл здесь адресов почты. Отправьте адреса \
                                        соорганизаторов через запятую."
                .into(),
            InvalidInput::TooManyCohosts { count } => format!(
                "Соорганизаторов {count}, а можно не больше {}. Отправьте список короче.",
                limits::COHOSTS_MAX
            ),
            InvalidInput::BadEmails(bad) if bad.len() == 1 => format!(
                "Это не адрес почты: {}. Отправьте весь список адресов ещё раз.",
                esc_short(&bad[0], 300)
            ),
            InvalidInput::BadEmails(bad) => format!(
                "Это не адреса почты: {}. Отправьте весь список адресов ещё раз.",
                esc_short(&bad.join(", "), 300)
            ),
        }
    }

    fn telemost_error(&self, e: &TelemostError) -> String {
        match e {
            TelemostError::Unauthorized => "Телемост отклонил токен: он неверный, истёк или \
                 отозван. Получите новый, отправьте /token &lt;новый токен&gt; в личном чате со мной \
                 и снова нажмите «Создать»."
                .into(),
            TelemostError::PaymentRequired => "Тариф Яндекс 360 вашей организации не включает \
                 трансляции. Обычная встреча (/meet) по-прежнему доступна."
                .into(),
            TelemostError::Forbidden { .. } => "API Телемоста доступен только пользователям \
                 Яндекс 360 для бизнеса с аккаунтом на домене организации (и токену с правами \
                 telemost-api). Проверьте, чей это токен."
                .into(),
            TelemostError::UnknownCohosts { emails } if emails.is_empty() => {
                "Некоторые соорганизаторы — не аккаунты Яндекса. Отправьте список адресов ещё раз."
                    .into()
            }
            TelemostError::UnknownCohosts { emails } => format!(
                "Эти соорганизаторы — не аккаунты Яндекса: {}. Отправьте список адресов ещё раз.",
                esc_short(&emails.join(", "), 1000)
            ),
            TelemostError::ConferenceNotFound => {
                "Телемост больше не знает эту встречу: возможно, её удалили.".into()
            }
            TelemostError::Rejected {
                status, message, ..
            } => match message {
                Some(m) => format!("Телемост отклонил запрос ({status}): {}", esc_short(m, 500)),
                None => format!("Телемост отклонил запрос ({status})."),
            },
            TelemostError::Unavailable(_) => {
                "Телемост сейчас недоступен. Ничего не создано; попробуйте ещё раз.".into()
            }
            TelemostError::Malformed(_) => "Телемост ответил так, что я не смог разобрать ответ. \
                 Возможно, встреча не создана; попробуйте ещё раз."
                .into(),
        }
    }

    fn today(&self) -> &'static str {
        "сегодня"
    }
    fn tomorrow(&self) -> &'static str {
        "завтра"
    }
    fn date(&self, d: Date, year: bool) -> String {
        const MONTHS: [&str; 12] = [
            "янв.",
            "февр.",
            "марта",
            "апр.",
            "мая",
            "июня",
            "июля",
            "авг.",
            "сент.",
            "окт.",
            "нояб.",
            "дек.",
        ];
        let month = MONTHS[usize::try_from(d.month() - 1).unwrap_or(0) % 12];
        let mut out = format!("{} {} {month}", self.weekday(d.weekday()), d.day());
        if year {
            out.push_str(&format!(" {} г.", d.year()));
        }
        out
    }
    fn weekday(&self, d: Weekday) -> &'static str {
        match d {
            Weekday::Monday => "пн",
            Weekday::Tuesday => "вт",
            Weekday::Wednesday => "ср",
            Weekday::Thursday => "чт",
            Weekday::Friday => "пт",
            Weekday::Saturday => "сб",
            Weekday::Sunday => "вс",
        }
    }
    fn every(&self, days: Weekdays) -> String {
        if days == Weekdays::EVERY_DAY {
            "каждый день".into()
        } else if days == Weekdays::WEEKDAYS {
            "по будним дням".into()
        } else {
            let names: Vec<&str> = days.days().into_iter().map(|d| self.weekday(d)).collect();
            format!("по дням: {}", names.join(", "))
        }
    }
    fn label_when(&self) -> &'static str {
        "Когда"
    }
    fn label_repeats(&self) -> &'static str {
        "Повтор"
    }
    fn when_unreadable(&self, e: &WhenError) -> String {
        let why = when_why(e);
        format!(
            "Не получилось запланировать: {why}. Например: <code>/meet завтра 15:00 \
             Дизайн-ревью</code>, <code>/meet пн 10:00 на 1 ч</code>, <code>/meet через 30 \
             минут</code>, <code>/meet каждый будний день 10:00 Стендап</code>."
        )
    }
    fn streams_not_recurring(&self) -> &'static str {
        "Трансляцию можно запланировать только на одно время, без повтора. Отправьте день и время, \
         например <code>завтра 15:00</code>."
    }
    fn button_later(&self) -> &'static str {
        "🕒 Позже…"
    }
    fn ask_when(&self) -> &'static str {
        "Когда? Отправьте день и время, например <code>завтра 15:00</code>, <code>пн 10:00 на 1 \
         ч</code>, <code>через 30 минут</code> или <code>каждый будний день 10:00</code>."
    }
    fn meeting_scheduled(
        &self,
        topic: Option<&str>,
        when: &str,
        zone: &str,
        join_url: &str,
        remind: u32,
    ) -> String {
        let head = match topic {
            Some(topic) => format!("<b>Встреча запланирована:</b> {}", esc(topic)),
            None => "<b>Встреча запланирована.</b>".to_owned(),
        };
        let remind = match remind {
            0 => "Напомню в чате, когда она начнётся.".to_owned(),
            m => format!("Напомню в чате за {m} мин и в начале."),
        };
        format!(
            "{head}\nКогда: {} ({})\nСсылка для входа: {}\n{remind}",
            esc(when),
            esc(zone),
            esc(join_url)
        )
    }
    fn series_scheduled(
        &self,
        topic: Option<&str>,
        repeats: &str,
        zone: &str,
        first: &str,
        ahead: u32,
    ) -> String {
        let head = match topic {
            Some(topic) => format!("<b>Повторяющаяся встреча настроена:</b> {}", esc(topic)),
            None => "<b>Повторяющаяся встреча настроена.</b>".to_owned(),
        };
        format!(
            "{head}\nПовтор: {} ({})\nПервая: {}\nЗа {ahead} мин до каждой пришлю свежую ссылку — \
             пока встречу не отменят в /upcoming.",
            esc(repeats),
            esc(zone),
            esc(first)
        )
    }
    fn button_add_to_calendar(&self) -> &'static str {
        "📅 В календарь"
    }
    fn calendar_caption(&self, topic: Option<&str>) -> String {
        match topic {
            Some(topic) => format!(
                "{}: откройте файл, чтобы добавить встречу в календарь.",
                esc(topic)
            ),
            None => "Откройте файл, чтобы добавить встречу в календарь.".to_owned(),
        }
    }
    fn calendar_title(&self) -> &'static str {
        "Встреча в Телемосте"
    }
    fn schedule_gone(&self) -> &'static str {
        "Эта встреча уже прошла или отменена."
    }
    fn too_many_scheduled(&self, limit: u32) -> String {
        format!(
            "В этом чате уже {limit} запланированных встреч — больше я не храню. Сначала отмените \
             какую-нибудь в /upcoming."
        )
    }
    fn reminder_soon(&self, topic: Option<&str>, minutes: i64, at: &str, join_url: &str) -> String {
        let what = topic.map_or_else(
            || "Встреча".to_owned(),
            |t| format!("Встреча «<b>{}</b>»", esc(t)),
        );
        format!(
            "⏰ {what} начнётся через {minutes} мин, в {}.\nСсылка для входа: {}",
            esc(at),
            esc(join_url)
        )
    }
    fn reminder_now(&self, topic: Option<&str>, join_url: &str) -> String {
        let what = topic.map_or_else(
            || "Встреча".to_owned(),
            |t| format!("Встреча «<b>{}</b>»", esc(t)),
        );
        format!("🔔 {what} начинается.\nСсылка для входа: {}", esc(join_url))
    }
    fn reminder_late(
        &self,
        topic: Option<&str>,
        at: &str,
        late_minutes: i64,
        join_url: &str,
    ) -> String {
        let what = topic.map_or_else(
            || "Встреча".to_owned(),
            |t| format!("Встреча «<b>{}</b>»", esc(t)),
        );
        format!(
            "🔔 {what} началась в {}. Напоминание опоздало на {late_minutes} мин: я был \
             недоступен.\nСсылка для входа: {}",
            esc(at),
            esc(join_url)
        )
    }
    fn reminder_missed(&self, topic: Option<&str>, at: &str, join_url: Option<&str>) -> String {
        let what = topic.map_or_else(|| "встречи".to_owned(), |t| format!("«<b>{}</b>»", esc(t)));
        match join_url {
            Some(url) => format!(
                "Я был недоступен и пропустил напоминание для {what} в {}. Ссылка по-прежнему \
                 работает: {}",
                esc(at),
                esc(url)
            ),
            None => format!(
                "Я был недоступен и пропустил время {what} в {}: ссылка для неё не создана.",
                esc(at)
            ),
        }
    }
    fn occurrence_ready(&self, topic: Option<&str>, when: &str, join_url: &str) -> String {
        let what = topic.map_or_else(
            || "Встреча".to_owned(),
            |t| format!("Встреча «<b>{}</b>»", esc(t)),
        );
        format!(
            "📅 {what}, {}\nСсылка для входа: {}",
            esc(when),
            esc(join_url)
        )
    }
    fn occurrence_failed(&self, topic: Option<&str>, when: &str, reason: &str) -> String {
        let what = topic.map_or_else(|| "встречи".to_owned(), |t| format!("«<b>{}</b>»", esc(t)));
        format!(
            "Не получилось создать ссылку для {what}, {}. {reason}",
            esc(when)
        )
    }
    fn series_ended(&self) -> &'static str {
        "Поэтому повторяющаяся встреча остановлена: тот, кто может создавать встречи в этом чате, \
         может настроить её снова через /meet."
    }
    fn when_not_found(&self) -> &'static str {
        "Не нашёл в этом дня и времени. Отправьте, например, <code>завтра 15:00</code>, \
         <code>пн 10:00 на 1 ч</code> или <code>каждый будний день 10:00</code> — или нажмите \
         «Отмена»."
    }
    fn upcoming_header(&self, zone: &str) -> String {
        format!("<b>Запланированные встречи</b> ({})", esc(zone))
    }
    fn upcoming_empty(&self) -> &'static str {
        "В этом чате нет запланированных встреч. <code>/meet завтра 15:00 Тема</code> или \
         <code>/meet каждый будний день 10:00 Стендап</code> — запланировать."
    }
    fn button_cancel_nth(&self, n: usize) -> String {
        format!("✖ Отменить {n}")
    }
    fn schedule_cancelled(&self) -> &'static str {
        "Отменено. (Уже созданная ссылка продолжит работать.)"
    }
    fn not_yours_to_cancel(&self) -> &'static str {
        "Отменить может только тот, кто запланировал, или администратор группы."
    }
    fn label_timezone(&self) -> &'static str {
        "Часовой пояс"
    }
    fn label_remind(&self) -> &'static str {
        "Напоминания"
    }
    fn remind(&self, minutes: u32) -> String {
        match minutes {
            0 => "в начале встречи".to_owned(),
            m => format!("за {m} мин и в начале"),
        }
    }
    fn button_remind(&self, minutes: u32) -> String {
        match minutes {
            0 => "В начале".to_owned(),
            m => format!("За {m} мин"),
        }
    }
    fn button_other_zone(&self) -> &'static str {
        "Другой…"
    }
    fn ask_timezone(&self) -> &'static str {
        "Отправьте часовой пояс чата — его название IANA, например <code>Asia/Yekaterinburg</code>, \
         <code>Europe/Berlin</code> или <code>America/New_York</code>."
    }
    fn timezone_unknown(&self, typed: &str) -> String {
        format!(
            "Не знаю часового пояса <code>{}</code>. Отправьте название IANA, например \
             <code>Asia/Novosibirsk</code>, или /cancel.",
            esc_short(typed, 60)
        )
    }
    fn timezone_saved(&self, zone: &str) -> String {
        format!("Часовой пояс: {}.", esc(zone))
    }
    fn button_planner(&self) -> &'static str {
        "🗓 Планировщик"
    }
    fn planner_not_member(&self) -> &'static str {
        "Вас (или бота) нет в этом чате, поэтому планировщик не может там действовать."
    }
    fn planner_bad_link(&self) -> &'static str {
        "Эта ссылка на планировщик не указывает на чат. Откройте планировщик через /meet в чате."
    }
    fn planner_bad_request(&self) -> &'static str {
        "Планировщик прислал то, что бот не может прочитать. Перезагрузите его и попробуйте снова."
    }
    fn planner_busy(&self) -> &'static str {
        "Слишком много запросов подряд. Подождите минуту и попробуйте снова."
    }
    fn planner_bad_weekday(&self) -> &'static str {
        "Повторять можно по дням недели: с понедельника по воскресенье."
    }
    fn planner_stream_now(&self) -> &'static str {
        "Трансляция создаётся сразу. Чтобы запланировать заранее, запланируйте встречу."
    }

    fn button_find_time(&self) -> &'static str {
        "🗳 Подобрать время…"
    }
    fn ask_times(&self) -> &'static str {
        "За какие варианты голосуем? Пришлите от 2 до 6 через запятую, например <code>вт 15:00, \
         ср 11:00, чт 16:00 на 1 ч</code> (можно добавить тему)."
    }
    fn vote_started_below(&self) -> &'static str {
        "🗳 Голосование — ниже."
    }
    fn findtime_usage(&self) -> &'static str {
        "<b>Подобрать время:</b> пришлите от 2 до 6 вариантов через запятую, и чат проголосует. \
         Например: <code>/findtime вт 15:00, ср 11:00, чт 16:00 на 1 ч Дизайн-ревью</code>. \
         Добавьте <code>до пн 18:00</code>, чтобы закрыть голосование в это время (иначе оно \
         закроется за два часа до самого раннего варианта); встречей станет вариант, набравший \
         больше всего голосов."
    }
    fn findtime_error(&self, e: &OptionsError) -> String {
        let why = match e {
            OptionsError::NoTimes => "в начале должно быть время".to_owned(),
            OptionsError::NotATime { item, text } => format!(
                "вариант {item}, <code>{}</code>, — не время",
                esc_short(text, 40)
            ),
            OptionsError::Item { item, error } => format!("вариант {item}: {}", when_why(error)),
            OptionsError::Recurring { item } => {
                format!("вариант {item} повторяется, а голосование — о разовой встрече")
            }
            OptionsError::Twice { item } => {
                format!("вариант {item} совпадает с одним из предыдущих")
            }
            OptionsError::TooFew => format!("нужно хотя бы {MIN_CANDIDATES} варианта"),
            OptionsError::TooMany => format!("вариантов может быть не больше {MAX_CANDIDATES}"),
            OptionsError::Until(_) => {
                "время после <code>до</code> не подходит (может быть, оно уже прошло?)".to_owned()
            }
            OptionsError::UntilRecurring => {
                "голосование закрывается один раз, а не каждую неделю".to_owned()
            }
            OptionsError::UntilTooLate => {
                "голосование должно закрыться раньше последнего варианта".to_owned()
            }
        };
        format!(
            "Не получилось начать голосование: {why}. Например: <code>/findtime вт 15:00, ср \
             11:00, чт 16:00 на 1 ч Дизайн-ревью</code> или <code>/findtime завтра 10:00, завтра \
             14:00 до сегодня 20:00</code>."
        )
    }
    fn vote_open(
        &self,
        topic: Option<&str>,
        organiser: &str,
        lines: &[VoteLine],
        deadline: &str,
        zone: &str,
        private: bool,
    ) -> String {
        let head = match topic {
            Some(t) if !t.is_empty() => format!("🗳 <b>Когда встречаемся?</b> {}", esc(t)),
            _ => "🗳 <b>Когда встречаемся?</b>".to_owned(),
        };
        let how = if private {
            "Нажмите на подходящее время, и я запланирую встречу.".to_owned()
        } else {
            format!(
                "Отметьте все подходящие варианты (повторное нажатие снимает голос). {} \
                 выбирает время кнопкой 📅; иначе голосование закроется {}, и победит вариант с \
                 наибольшим числом голосов.",
                esc_short(organiser, 64),
                esc(deadline)
            )
        };
        format!(
            "{head}\n{how} Часовой пояс: {}.\n{}",
            esc(zone),
            vote_lines(lines, "прошло")
        )
    }
    fn vote_closing(
        &self,
        topic: Option<&str>,
        lines: &[VoteLine],
        chosen: Option<&str>,
    ) -> String {
        let doing = match chosen {
            Some(c) => format!("Планирую встречу на {}…", esc(c)),
            None => "Планирую встречу…".to_owned(),
        };
        format!(
            "🗳 <b>Голосование закрыто</b>{}. {doing}\n{}",
            topic_suffix(topic),
            vote_lines(lines, "прошло")
        )
    }
    fn vote_scheduled(&self, topic: Option<&str>, lines: &[VoteLine], chosen: &str) -> String {
        format!(
            "🗳 <b>Голосование закрыто</b>{}: встреча {}, ссылка ниже.\n{}",
            topic_suffix(topic),
            esc(chosen),
            vote_lines(lines, "прошло")
        )
    }
    fn vote_missed(&self, topic: Option<&str>, lines: &[VoteLine]) -> String {
        format!(
            "🗳 <b>Голосование закрыто без встречи</b>{}: ни за один ещё не прошедший вариант \
             никто не проголосовал.\n{}",
            topic_suffix(topic),
            vote_lines(lines, "прошло")
        )
    }
    fn vote_cancelled(&self, topic: Option<&str>, lines: &[VoteLine]) -> String {
        format!(
            "🗳 <b>Голосование отменено</b>{}.\n{}",
            topic_suffix(topic),
            vote_lines(lines, "прошло")
        )
    }
    fn vote_failed(&self, topic: Option<&str>, lines: &[VoteLine], chosen: &str) -> String {
        format!(
            "🗳 <b>Голосование закрыто</b>{}: выбрано {}, но встречу создать не удалось (см. \
             ниже).\n{}",
            topic_suffix(topic),
            esc(chosen),
            vote_lines(lines, "прошло")
        )
    }
    fn vote_not_made(&self, reason: &str) -> String {
        format!("Встреча по итогам голосования не создана: {reason}")
    }
    fn button_vote(&self, label: &str, count: usize) -> String {
        format!("{label} · {count}")
    }
    fn button_schedule_time(&self) -> &'static str {
        "📅"
    }
    fn button_cancel_vote(&self) -> &'static str {
        "✖ Отменить голосование"
    }
    fn vote_in(&self, label: &str) -> String {
        format!("✓ Ваш голос за {label} учтён.")
    }
    fn vote_out(&self, label: &str) -> String {
        format!("Голос за {label} снят.")
    }
    fn vote_gone(&self) -> &'static str {
        "Это голосование уже закрыто."
    }
    fn vote_not_yours(&self) -> &'static str {
        "Закрыть или отменить голосование может только его автор или администратор группы."
    }
    fn vote_time_past(&self) -> &'static str {
        "Это время уже прошло: выберите другое."
    }
    fn vote_closing_notice(&self) -> &'static str {
        "Закрываю голосование и планирую встречу…"
    }
    fn vote_cancelled_notice(&self) -> &'static str {
        "Голосование отменено."
    }
    fn too_many_votes(&self, limit: u32) -> String {
        format!(
            "В этом чате уже {limit} открытых голосований: сначала закройте или отмените одно \
             (/upcoming)."
        )
    }
    fn vote_reminder_names(&self, who: &str) -> String {
        format!("За это время голосовали: {who}")
    }
    fn upcoming_votes_header(&self) -> &'static str {
        "<b>Открытые голосования</b>"
    }
    fn upcoming_vote_line(
        &self,
        n: usize,
        topic: Option<&str>,
        closes: &str,
        voters: usize,
    ) -> String {
        let what = topic.map_or("Когда встречаемся?".to_owned(), |t| {
            esc_short(t, 60)
        });
        format!(
            "\nГ{n}. {what}: закроется {}; проголосовали: {voters}",
            esc(closes)
        )
    }
    fn button_close_vote_nth(&self, n: usize) -> String {
        format!("🗳 Закрыть Г{n}")
    }
    fn button_cancel_vote_nth(&self, n: usize) -> String {
        format!("✖ Отменить Г{n}")
    }
}

/// Why a typed time does not make a meeting (the middle of `when_unreadable`).
fn when_why(e: &WhenError) -> String {
    match e {
        WhenError::NeedsTime => "нужно ещё и время".to_owned(),
        WhenError::BadTime(t) => format!("<code>{}</code> — не время суток", esc_short(t, 40)),
        WhenError::BadDate(d) => format!("<code>{}</code> — не дата", esc_short(d, 40)),
        WhenError::Past => "это время уже прошло".to_owned(),
        WhenError::TooFarAhead => "это больше чем через год".to_owned(),
        WhenError::BadDuration(d) => format!(
            "встреча длится от минуты до 24 часов, а не <code>{}</code>",
            esc_short(d, 40)
        ),
        WhenError::Unreadable(d) => {
            format!(
                "<code>{}</code> — непонятно, какой это день",
                esc_short(d, 40)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chars_ru;

    #[test]
    fn a_count_takes_the_form_its_number_wants() {
        for (n, said) in [
            (0, "0 символов"),
            (1, "1 символ"),
            (2, "2 символа"),
            (4, "4 символа"),
            (5, "5 символов"),
            (11, "11 символов"),
            (12, "12 символов"),
            (14, "14 символов"),
            (21, "21 символ"),
            (22, "22 символа"),
            (111, "111 символов"),
            (201, "201 символ"),
            (1022, "1022 символа"),
            (1025, "1025 символов"),
        ] {
            assert_eq!(chars_ru(n), said);
        }
    }
}
