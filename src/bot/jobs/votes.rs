//! Votes on when to meet, in the background: redrawing a vote's message after presses (many
//! presses, one edit), closing it at its deadline, and, once closed, making its meeting for
//! later as `/meet <time>` would (see `bot::vote` for a vote's life).
//!
//! Durable and once: a vote is a row, and whichever process claims it when it is due acts on
//! it under a lease (`claim_votes`). A press only stores the choice and makes the row due; the
//! holder draws what it reads, so presses coming faster than Telegram lets a message be edited
//! become one edit, within the chat's flood limits. Closing is a state change made once in the
//! database (`close_vote`); making the meeting is the holder's, who renews its lease just
//! before, and checks then that the organiser may still create meetings in the chat and whose
//! token will make it (the chat's, or the organiser's own while they are in the group).

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{MessageId, ThreadId, User};
use tokio::sync::watch;

use super::schedules::{NoLink, make_link};
use super::{Job, Worker};
use crate::bot::core::{Ctx, TgBot};
use crate::bot::schedule::{self, Creator};
use crate::bot::speak::outbox::Outbox;
use crate::bot::speak::texts::Texts;
use crate::bot::state::Planned;
use crate::bot::vote::{self, NoWinner, Outcome};
use crate::clock::unix_now_ms;
use crate::storage::{Choice, Leased, Settled, StorageError, Vote};
use crate::telemost::model::{Conference, CreateConference};

/// How long a process holds a vote it took: enough to make a meeting and post.
const LEASE: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_secs(15);
const LEAST_WAIT: Duration = Duration::from_millis(100);
const AT_ONCE: usize = 16;
const STOP_GRACE: Duration = Duration::from_secs(5);
/// `next_at` of a vote with nothing left to do (see `storage::votes`).
const NEVER: i64 = i64::MAX;
/// How soon a vote's meeting is tried again after Telemost (or Telegram) failed to answer.
const RETRY_AFTER_SECS: i64 = 60;
/// A scheduled vote is looked at again this much later, for a last drawing of its message in
/// case the process that closed it stopped before drawing it.
const REDRAW_AFTER_SECS: i64 = 60;
/// A vote being closed (`state`).
const CLOSING: &str = "closing";

/// Starts the worker for process `taker`.
pub fn spawn(bot: TgBot, ctx: Arc<Ctx>, taker: i64) -> Worker {
    let moves = ctx.clock.moves();
    super::spawn(Votes { bot, ctx, moves }, taker)
}

struct Votes {
    bot: TgBot,
    ctx: Arc<Ctx>,
    moves: Option<watch::Receiver<u64>>,
}

impl Job for Votes {
    type Item = Vote;
    const NAME: &'static str = "votes";
    const AT_ONCE: usize = AT_ONCE;
    const LEASE: Duration = LEASE;
    const TICK: Duration = TICK;
    const LEAST_WAIT: Duration = LEAST_WAIT;
    const STOP_GRACE: Duration = STOP_GRACE;

    async fn until_due(&self) -> Result<Option<Duration>, StorageError> {
        let due = self.ctx.db.next_due(Leased::Votes, unix_now_ms()).await?;
        Ok(due
            .filter(|&at| at != NEVER)
            .map(|at| Duration::from_secs(u64::try_from(at - self.ctx.clock.unix()).unwrap_or(0))))
    }

    async fn claim(
        &self,
        taker: i64,
        wall_now_ms: i64,
        lease_until: i64,
        room: usize,
    ) -> Result<Vec<Vote>, StorageError> {
        self.ctx
            .db
            .claim_votes(taker, self.ctx.clock.unix(), wall_now_ms, lease_until, room)
            .await
    }

    fn run(&mut self, taker: i64, v: Vote) -> impl Future<Output = ()> + Send + 'static + use<> {
        let (bot, ctx) = (Arc::clone(&self.bot), Arc::clone(&self.ctx));
        async move {
            let (chat, id) = (v.plan.chat_id, v.id);
            let thread = v
                .plan
                .thread_id
                .and_then(|t| i32::try_from(t).ok())
                .map(|t| ThreadId(MessageId(t)));
            let acting = act(&bot, &ctx, taker, v);
            if let Err(e) = Outbox::in_topic(ChatId(chat), thread, acting).await {
                // The lease runs out and the vote is taken again.
                tracing::warn!(chat_id = chat, vote = id, error = %e, "a vote's step failed");
            }
        }
    }

    async fn release(&self, taker: i64) -> Result<(), StorageError> {
        self.ctx.db.release(Leased::Votes, taker).await
    }

    async fn woken(&mut self) {
        tokio::select! {
            _ = self.ctx.votes_due.notified() => {}
            () = super::clock_moved(&mut self.moves) => {}
        }
    }
}

/// Acts on a vote the worker holds: closes it if its deadline came, makes the meeting of one
/// closing, and draws its message as it then stands.
async fn act(bot: &TgBot, ctx: &Ctx, taker: i64, mut v: Vote) -> Result<(), StorageError> {
    let now = ctx.clock.unix();
    if v.is_open() && now >= v.plan.close_at {
        // The deadline: closed once, by whichever process gets here first.
        if ctx
            .db
            .close_vote(v.plan.chat_id, v.id, None, 0, now)
            .await?
        {
            v.set_closing();
        }
    }
    let choices = ctx.db.choices(v.id).await?;
    if v.is_closing() {
        return close(bot, ctx, taker, v, &choices, now).await;
    }
    let version = v.version;
    if v.drawn < version {
        draw(bot, ctx, &v, &choices).await;
    }
    if v.is_open() {
        ctx.db
            .drawn_vote(v.id, taker, v.lease_until, version, ctx.clock.unix())
            .await?;
    } else {
        // Ended (cancelled, or settled and due for its last drawing): nothing left to do.
        let to = Settled {
            state: &v.state,
            winner: v.winner,
            drawn: version,
            next_at: None,
        };
        ctx.db
            .settle_vote(v.id, taker, v.lease_until, &v.state, &to)
            .await?;
    }
    Ok(())
}

/// A closing vote: its winner (chosen, or by the rule now) scheduled, or why not said; its
/// message drawn with the outcome.
async fn close(
    bot: &TgBot,
    ctx: &Ctx,
    taker: i64,
    mut v: Vote,
    choices: &[Choice],
    now: i64,
) -> Result<(), StorageError> {
    let starts = vote::options_of(&v);
    let counts = vote::counts(starts.len(), choices);
    let chosen = match v.winner.and_then(|w| usize::try_from(w).ok()) {
        Some(w) if starts.get(w).is_some_and(|&s| s > now) => Ok(w),
        Some(_) => Err(NoWinner::AllPast),
        None => vote::winner(&starts, &counts, now),
    };
    let Ok(w) = chosen else {
        return finish(bot, ctx, taker, v, choices, Outcome::Missed, None).await;
    };
    let winner = i64::try_from(w).ok();
    if !hold(ctx, taker, &mut v).await? {
        return Ok(());
    }
    // Closed, on this time: said before the meeting is made (which may take a while).
    if v.winner != winner || v.drawn < v.version {
        v.winner = winner;
        draw(bot, ctx, &v, choices).await;
    }
    let t = Creator::parse(&v.plan.creator).texts();
    let made = make(bot, ctx, &v, t).await?;
    let (conference, request, user) = match made {
        Ok(made) => made,
        Err(NoLink::Transient(_)) if ctx.clock.unix() + RETRY_AFTER_SECS < starts[w] => {
            tracing::warn!(
                chat_id = v.plan.chat_id,
                vote = v.id,
                "a vote's meeting could not be made yet; trying again in a minute"
            );
            let at = ctx.clock.unix() + RETRY_AFTER_SECS;
            ctx.db.postpone_vote(v.id, taker, v.lease_until, at).await?;
            return Ok(());
        }
        Err(no) => {
            let creator = Creator::parse(&v.plan.creator);
            let reason = match no {
                NoLink::NotAllowed => t.admins_only().to_owned(),
                NoLink::MemberGone => {
                    t.member_gone(Some(creator.name.as_str()).filter(|n| !n.is_empty()))
                }
                NoLink::Transient(reason) | NoLink::Failed(reason) => reason,
            };
            tracing::warn!(
                chat_id = v.plan.chat_id,
                vote = v.id,
                "a vote's meeting could not be made"
            );
            let chat = ChatId(v.plan.chat_id);
            // The vote's message first, pointing below, then why.
            finish(bot, ctx, taker, v, choices, Outcome::Failed, winner).await?;
            if let Err(e) = bot.send(chat, t.vote_not_made(&reason), None).await {
                tracing::warn!(chat_id = chat.0, error = %crate::bot::core::redacted(&e), "could not say why a vote's meeting was not made");
            }
            return Ok(());
        }
    };
    // The outcome is recorded before anything is posted: a lease that runs out while posting
    // (a slow Telegram, a stop) must not make the meeting a second time. Due again a little
    // later for a last drawing, in case this process stops before its own.
    let to = Settled {
        state: Outcome::Scheduled.as_str(),
        winner,
        drawn: v.drawn,
        next_at: Some(ctx.clock.unix() + REDRAW_AFTER_SECS),
    };
    if !ctx
        .db
        .settle_vote(v.id, taker, v.lease_until, CLOSING, &to)
        .await?
    {
        tracing::warn!(
            chat_id = v.plan.chat_id,
            vote = v.id,
            "a vote's lease ran out while its meeting was made"
        );
        return Ok(());
    }
    tracing::info!(
        chat_id = v.plan.chat_id,
        vote = v.id,
        "vote closed: meeting scheduled"
    );
    let chat = ChatId(v.plan.chat_id);
    let planned = Planned {
        start: starts[w],
        duration_secs: v.plan.duration_secs,
        repeat: None,
        zone: v.plan.zone.clone(),
    };
    let named = vote::mentions(choices, w);
    let (text, keyboard) = schedule::announce(
        ctx,
        chat,
        &user,
        t,
        &request,
        &conference,
        v.plan.topic.as_deref(),
        Some(&planned),
        Some(named).filter(|n| !n.is_empty()),
    )
    .await;
    if let Err(e) = bot.send(chat, text, Some(keyboard)).await {
        tracing::warn!(chat_id = chat.0, error = %crate::bot::core::redacted(&e), "could not post a vote's meeting");
    }
    v.state = Outcome::Scheduled.as_str().to_owned();
    v.winner = winner;
    draw(bot, ctx, &v, choices).await;
    Ok(())
}

/// Ends a closing vote without a meeting (`outcome`), drawn so.
async fn finish(
    bot: &TgBot,
    ctx: &Ctx,
    taker: i64,
    mut v: Vote,
    choices: &[Choice],
    outcome: Outcome,
    winner: Option<i64>,
) -> Result<(), StorageError> {
    v.state = outcome.as_str().to_owned();
    v.winner = winner;
    draw(bot, ctx, &v, choices).await;
    let to = Settled {
        state: outcome.as_str(),
        winner,
        drawn: v.version,
        next_at: None,
    };
    ctx.db
        .settle_vote(v.id, taker, v.lease_until, CLOSING, &to)
        .await?;
    tracing::info!(
        chat_id = v.plan.chat_id,
        vote = v.id,
        outcome = outcome.as_str(),
        "vote closed"
    );
    Ok(())
}

/// Renews the vote's lease just before acting on it: false when it is no longer this
/// process's.
async fn hold(ctx: &Ctx, taker: i64, v: &mut Vote) -> Result<bool, StorageError> {
    super::hold(ctx, Leased::Votes, v.id, taker, &mut v.lease_until, LEASE).await
}

/// Edits the vote's message to what it shows now (a message gone, or unchanged, is left so).
async fn draw(bot: &TgBot, ctx: &Ctx, v: &Vote, choices: &[Choice]) {
    let Some(message) = v.message_id.and_then(|m| i32::try_from(m).ok()) else {
        return;
    };
    let t = Creator::parse(&v.plan.creator).texts();
    let (text, keyboard) = vote::view(t, v, choices, &ctx.default_zone, ctx.clock.now());
    let chat = ChatId(v.plan.chat_id);
    if let Err(e) = bot.edit(chat, MessageId(message), text, keyboard).await {
        tracing::debug!(chat_id = chat.0, vote = v.id, error = %crate::bot::core::redacted(&e), "vote message not edited");
    }
}

/// Makes the vote's meeting as its organiser would with `/meet` now (if they may still create
/// meetings here, with the chat's token or their own): the meeting, its request and the
/// organiser, or why not.
async fn make(
    bot: &TgBot,
    ctx: &Ctx,
    v: &Vote,
    t: &'static dyn Texts,
) -> Result<Result<(Conference, CreateConference, User), NoLink>, StorageError> {
    let chat = ChatId(v.plan.chat_id);
    let creator = Creator::parse(&v.plan.creator);
    let request: Option<CreateConference> = serde_json::from_str(&v.plan.request).ok();
    let (Some(request), Some(user)) = (request, creator.user(v.plan.created_by)) else {
        return Ok(Err(NoLink::Failed(t.internal_error().to_owned())));
    };
    let topic = v.plan.topic.as_deref();
    Ok(make_link(bot, ctx, chat, &user, &request, topic, t)
        .await?
        .map(|conference| (conference, request, user)))
}
