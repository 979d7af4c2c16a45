//! The slash commands. Each works in any dialogue state; `/meet` and `/stream` start a new
//! dialogue, replacing the sender's unfinished one (in a group, other members' stay).

use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::utils::command::BotCommands;

use super::dialogue;
use super::state::{Draft, State};
use super::topic::{Topic, TopicTooLong};
use super::{BotDialogue, Ctx, HandlerResult, TgBot, lang_of};
use super::{groups, login, tokens};
use crate::telemost::model::Title;
use std::sync::Arc;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Start(String),
    Help,
    Token(String),
    Login,
    Connect,
    Disconnect,
    Forget,
    Meet(String),
    Stream(String),
    History,
    Settings,
    Cancel,
}

pub async fn on_command(
    bot: TgBot,
    msg: Message,
    cmd: Command,
    me: Me,
    dialogue: BotDialogue,
    state: State,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let chat = msg.chat.id;
    let private = msg.chat.is_private();
    // After a /connect link, a token sent now is the group's, while the link's time lasts.
    let (awaited_group, awaited_until) = match state {
        State::AwaitingToken {
            group: Some(group),
            until,
        } if tokens::still_valid(until) => (Some(group), until),
        _ => (None, None),
    };
    // The commands' work is boxed: this future then holds only the command being run, not room
    // for the largest of them (a thousand /meet in flight at once each kept ~9 KB otherwise).
    match cmd {
        Command::Start(code) if private && groups::looks_like_code(code.trim()) => {
            Box::pin(groups::redeem(&bot, &msg, &dialogue, &ctx, code.trim())).await?;
        }
        Command::Start(_) | Command::Help => {
            bot.send(chat, t.help(), None).await?;
        }
        Command::Connect => Box::pin(groups::connect(&bot, &msg, &me, &ctx)).await?,
        Command::Disconnect | Command::Forget if !private => {
            Box::pin(groups::disconnect(&bot, &msg, &ctx)).await?
        }
        Command::Disconnect => {
            bot.send(chat, t.connect_in_groups_only(), None).await?;
        }
        Command::Login => {
            Box::pin(login::start(&bot, &msg, &dialogue, &ctx, awaited_group)).await?;
        }
        Command::Token(arg) if !private => {
            if !arg.trim().is_empty() {
                let deleted = bot.delete(chat, msg.id).await;
                if let Err(e) = &deleted {
                    tracing::warn!(chat_id = chat.0, error = %super::redacted(e), "could not delete a token posted in a group");
                }
                bot.send(chat, t.token_in_group(deleted.is_ok()), None)
                    .await?;
            } else {
                bot.send(chat, t.token_only_in_private(), None).await?;
            }
        }
        Command::Token(arg) if arg.trim().is_empty() => {
            dialogue
                .update(State::AwaitingToken {
                    group: awaited_group,
                    until: awaited_until,
                })
                .await?;
            let prompt = match awaited_group {
                Some(_) => t.connect_prompt(),
                None => t.token_prompt(),
            };
            bot.send(chat, prompt, None).await?;
        }
        Command::Token(arg) => {
            if Box::pin(tokens::save_token(&bot, &msg, &ctx, &arg, awaited_group)).await? {
                dialogue.exit().await?;
            } else {
                // Malformed: the next message is taken as the token, as after a lone /token.
                dialogue
                    .update(State::AwaitingToken {
                        group: awaited_group,
                        until: awaited_until,
                    })
                    .await?;
            }
        }
        Command::Forget => {
            let text = if ctx.db.forget_token(chat.0).await? {
                t.token_forgotten()
            } else {
                t.token_none_to_forget()
            };
            bot.send(chat, text, None).await?;
        }
        Command::Cancel => {
            // The sender's own dialogue: in a group, other members' stay open.
            let login = login::cancel(&ctx, chat);
            let text = match state {
                State::Idle | State::Unavailable if login => t.login_cancelled(),
                State::Idle | State::Unavailable => t.nothing_to_cancel(),
                _ => {
                    dialogue.exit().await?;
                    t.cancelled()
                }
            };
            bot.send(chat, text, None).await?;
        }
        Command::Meet(arg) => {
            let Some(user) = msg.from.as_ref() else {
                return Ok(());
            };
            let (now, topic) = meet_args(&arg);
            let (topic, note) = match topic {
                Ok(topic) => (topic, None),
                Err(e) => (None, Some(t.topic_too_long(e.chars))),
            };
            let draft = Draft {
                topic,
                ..Draft::meeting(user.id.0)
            };
            Box::pin(dialogue::start(bot, dialogue, &ctx, user, draft, note, now)).await?;
        }
        Command::History => Box::pin(super::history::show(&bot, &msg, &ctx)).await?,
        Command::Settings => Box::pin(super::settings::show(&bot, &msg, &ctx)).await?,
        Command::Stream(arg) => {
            let Some(user) = msg.from.as_ref() else {
                return Ok(());
            };
            let (title, note) = if arg.trim().is_empty() {
                (None, None)
            } else {
                match Title::parse(&arg) {
                    Ok(title) => (Some(title), None),
                    Err(e) => (None, Some(t.invalid_input(&e))),
                }
            };
            let draft = Draft::stream(user.id.0, title);
            Box::pin(dialogue::start(
                bot, dialogue, &ctx, user, draft, note, false,
            ))
            .await?;
        }
    }
    Ok(())
}

/// `/meet [now] [topic]`: whether to create at once, and the topic.
pub fn meet_args(arg: &str) -> (bool, Result<Option<Topic>, TopicTooLong>) {
    let arg = arg.trim();
    let (first, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    if matches!(first.to_lowercase().as_str(), "now" | "сейчас") {
        (true, Topic::parse(rest))
    } else {
        (false, Topic::parse(arg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_and_without_arguments() {
        let p = |s: &str| Command::parse(s, "TelemostBot").ok();
        assert_eq!(p("/meet"), Some(Command::Meet(String::new())));
        assert_eq!(p("/meet@TelemostBot"), Some(Command::Meet(String::new())));
        assert_eq!(p("/meet@OtherBot"), None);
        assert_eq!(p("/token"), Some(Command::Token(String::new())));
        assert_eq!(p("/token y0_abc"), Some(Command::Token("y0_abc".into())));
        assert_eq!(
            p("/stream Квартальные итоги"),
            Some(Command::Stream("Квартальные итоги".into()))
        );
        assert_eq!(p("/stream"), Some(Command::Stream(String::new())));
        assert_eq!(p("/cancel"), Some(Command::Cancel));
        assert_eq!(p("/nope"), None);
    }

    #[test]
    fn meet_takes_now_and_a_topic() {
        let topic = |s: &str| Topic::parse(s).unwrap();
        assert_eq!(meet_args(""), (false, Ok(None)));
        assert_eq!(meet_args(" now "), (true, Ok(None)));
        assert_eq!(meet_args("Сейчас"), (true, Ok(None)));
        assert_eq!(
            meet_args("Standup with design"),
            (false, Ok(topic("Standup with design")))
        );
        assert_eq!(meet_args("now Standup"), (true, Ok(topic("Standup"))));
        assert_eq!(
            meet_args("nowhere near"),
            (false, Ok(topic("nowhere near")))
        );
        let long = "x".repeat(super::super::topic::TOPIC_MAX_CHARS + 5);
        assert_eq!(
            meet_args(&long).1,
            Err(TopicTooLong {
                chars: super::super::topic::TOPIC_MAX_CHARS + 5
            })
        );
    }
}
