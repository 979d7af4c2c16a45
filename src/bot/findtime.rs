//! Finding a time: `/findtime` offers a few times, the chat votes with buttons, and the winner
//! becomes a meeting for later, as `/meet <time>` makes one.
//!
//! ```text
//! anna: /findtime tue 15:00, wed 11:00, thu 16:00 for 1h Design review
//! bot:  🗳 When shall we meet? Design review
//!       Tap every time that suits you … Anna schedules one with 📅, or at Tue 8 Dec, 13:00
//!       the time with the most votes wins. Times in Europe/Moscow.
//!       1. tomorrow, Tue 8 Dec, 15:00–16:00 · 2: Boris, Vera
//!       2. Wed 9 Dec, 11:00–12:00 · —
//!       [Tue 8 Dec 15:00 · 2] [📅]
//!       [Wed 9 Dec 11:00 · 0] [📅]
//!       [✖ Cancel the vote]
//! boris: taps [Wed 9 Dec 11:00 · 0]   → "✓ You're in for Wed 9 Dec 11:00."
//! anna:  taps [📅] beside Tue         → the vote closes; the meeting is scheduled below it
//! ```
//!
//! A vote names itself by id in its buttons; it is looked up in the chat the button was
//! pressed in, so another chat's id finds nothing. What a press changes is stored at once; the
//! message is redrawn, and the meeting made, by the votes' worker (`jobs::votes`).

use std::sync::Arc;

use teloxide::prelude::*;

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::speak::callback::VoteAction;
use super::vote::{self, Ending, Started};

/// `/findtime <time>, <time>[, …] [for <duration>] [until <time>] [topic]`.
pub async fn on_findtime(bot: TgBot, msg: Message, arg: String, ctx: Arc<Ctx>) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let t = lang_of(Some(user));
    let chat = msg.chat.id;
    if arg.trim().is_empty() {
        bot.send(chat, t.findtime_usage(), None).await?;
        return Ok(());
    }
    if let Started::Refused(why) = vote::start(&bot, &ctx, chat, user, &arg, None).await? {
        bot.send(chat, why, None).await?;
    }
    Ok(())
}

/// A press on a vote's own message: a time (in or out; in a private chat, schedule it), 📅
/// beside a time, or Cancel.
pub async fn on_press(
    bot: TgBot,
    q: CallbackQuery,
    (id, action): (i64, VoteAction),
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let Some(message) = q.message.as_ref() else {
        bot.answer(&q, Some(t.stale_button())).await;
        return Ok(());
    };
    let chat = message.chat().id;
    let notice = match action {
        VoteAction::Toggle(n) if !chat.is_user() => toggle(&ctx, chat, &q, id, n).await?,
        VoteAction::Toggle(n) | VoteAction::Schedule(n) => {
            let ending = Ending::Schedule(n.into());
            vote::end(&bot, &ctx, chat, &q.from, id, ending)
                .await?
                .to_owned()
        }
        VoteAction::Cancel => vote::end(&bot, &ctx, chat, &q.from, id, Ending::Cancel)
            .await?
            .to_owned(),
        // /upcoming's buttons, which `upcoming` answers.
        VoteAction::Close | VoteAction::CancelListed => t.stale_button().to_owned(),
    };
    bot.answer(&q, Some(&notice)).await;
    Ok(())
}

/// The presser in, or out again, for time `n` of the chat's vote `id`: the notice.
async fn toggle(
    ctx: &Ctx,
    chat: ChatId,
    q: &CallbackQuery,
    id: i64,
    n: u8,
) -> Result<String, super::core::HandlerError> {
    let t = lang_of(Some(&q.from));
    let Some(v) = ctx.db.vote(chat.0, id).await? else {
        return Ok(t.vote_gone().to_owned());
    };
    let now = ctx.clock.now();
    let Some(&start) = vote::options_of(&v).get(usize::from(n)) else {
        return Ok(t.stale_button().to_owned());
    };
    if start <= now.as_second() {
        return Ok(t.vote_time_past().to_owned());
    }
    let user = i64::try_from(q.from.id.0).unwrap_or(0);
    let name = q.from.full_name();
    let toggled = ctx
        .db
        .toggle_choice(chat.0, id, i64::from(n), user, &name, now.as_second())
        .await?;
    let label = vote::short_label(t, start, &vote::zone_of(&v, &ctx.default_zone), now);
    Ok(match toggled {
        None => t.vote_gone().to_owned(),
        Some(true) => {
            ctx.votes_due.notify_one();
            t.vote_in(&label)
        }
        Some(false) => {
            ctx.votes_due.notify_one();
            t.vote_out(&label)
        }
    })
}
