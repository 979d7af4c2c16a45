//! The Russian words of the time grammar: "завтра в 15:00 на час", "по понедельникам и четвергам
//! в 10:00", "через полчаса".

use jiff::civil::Weekday::{self, *};

use super::{Before, List, Meanings, Names, TimeUnit, Weekdays, Which, Words};

/// `каждый`, `каждую`, `каждое`: "every", as it agrees with the word after it.
const EVERY: List = &["каждый", "каждую", "каждое"];

/// Weekdays after `по` ("по средам", "по пн, чт"): the dative plural, or the short form.
const WEEKDAYS_AFTER_PO: Meanings<Weekday> = &[
    (Monday, &["понедельникам", "пн"]),
    (Tuesday, &["вторникам", "вт"]),
    (Wednesday, &["средам", "ср"]),
    (Thursday, &["четвергам", "чт"]),
    (Friday, &["пятницам", "пт"]),
    (Saturday, &["субботам", "сб"]),
    (Sunday, &["воскресеньям", "вс"]),
];

pub(super) const WORDS: Words = Words {
    // Times of day
    at: &["в", "во"],
    meridiem: &[],
    meridiem_in_capitals: &[],

    // Days
    days_from_today: &[(0, &["сегодня"]), (1, &["завтра"]), (2, &["послезавтра"])],
    // Nominative, or accusative as after `в`: "в среду".
    weekdays: &[
        (Monday, &["пн", "понедельник"]),
        (Tuesday, &["вт", "вторник"]),
        (Wednesday, &["ср", "среда", "среду"]),
        (Thursday, &["чт", "четверг"]),
        (Friday, &["пт", "пятница", "пятницу"]),
        (Saturday, &["сб", "суббота", "субботу"]),
        (Sunday, &["вс", "воскресенье"]),
    ],
    // "этот вторник", "эту пятницу", "в этом месяце"…
    this_next: &[(
        Which::This,
        &["этот", "эту", "это", "эта", "этой", "этом", "эти", "этих"],
    )],
    // "ближайший", "ближайшую"…; "следующий", "следующую", "на следующей неделе"…
    this_next_stems: &[(Which::This, &["ближайш"]), (Which::Next, &["следующ"])],
    coming: &[],
    before_day: &[
        (Before::Weekday, &["в", "во"]),
        // "на следующий вторник"; "на" before anything else is a duration or the topic.
        (Before::ThisOrNext, &["на"]),
    ],
    // Nominative.
    months: &[
        (1, &["январь"]),
        (2, &["февраль"]),
        (3, &["март"]),
        (4, &["апрель"]),
        (5, &["май"]),
        (6, &["июнь"]),
        (7, &["июль"]),
        (8, &["август"]),
        (9, &["сентябрь"]),
        (10, &["октябрь"]),
        (11, &["ноябрь"]),
        (12, &["декабрь"]),
    ],
    // Short, and the genitive: "1 декабря".
    months_in_dates: &[
        (1, &["янв", "января"]),
        (2, &["фев", "февр", "февраля"]),
        (3, &["мар", "марта"]),
        (4, &["апр", "апреля"]),
        (5, &["мая"]),
        (6, &["июн", "июня"]),
        (7, &["июл", "июля"]),
        (8, &["авг", "августа"]),
        (9, &["сен", "сент", "сентября"]),
        (10, &["окт", "октября"]),
        (11, &["ноя", "нояб", "ноября"]),
        (12, &["дек", "декабря"]),
    ],
    ordinal_endings: &["-го", "-е"],
    after_year: &["г", "г.", "года"],
    calendar_words: &[
        "неделе",
        "неделю",
        "неделя",
        "выходные",
        "выходных",
        "месяце",
        "месяц",
        "году",
        "год",
        "день",
        "утро",
        "утром",
        "вечер",
        "вечером",
    ],

    // Recurrences
    recurrences: &[
        (Weekdays::EVERY_DAY, &[EVERY, &["день"]]),
        (
            Weekdays::WEEKDAYS,
            &[EVERY, &["будний", "рабочий"], &["день"]],
        ),
        (Weekdays::WEEKDAYS, &[&["по"], &["будням"]]),
        (
            Weekdays::WEEKDAYS,
            &[&["по"], &["будним", "рабочим"], &["дням"]],
        ),
    ],
    recurrence_words: &[(Weekdays::EVERY_DAY, &["ежедневно"])],
    every: &[
        (Names::Weekdays, EVERY),
        (Names::Own(WEEKDAYS_AFTER_PO), &["по"]),
    ],
    and: &["и"],

    // Delays and durations
    delay: &["через"],
    lasting: &["на"],
    until: &["до"],
    durations: &[
        (30, &[&["полчаса"]]),
        (90, &[&["полтора"], &["часа", "ч"]]),
        (60, &[&["час"]]),
        (1, &[&["минуту"]]),
    ],
    time_units: &[
        (TimeUnit::Hours, &["ч", "час", "часа", "часов"]),
        (
            TimeUnit::Minutes,
            &["м", "мин", "минута", "минуты", "минуту", "минут"],
        ),
    ],
};
