//! The bot's own commands: what the `Command` enum parses (routed in `schema()`), and the
//! commands that are about the chat's token and dialogue rather than a feature: `/start` and
//! `/help`, `/token` (and the token it then waits for), `/forget`, `/cancel`, and `/disconnect`
//! outside a group; and the command menu each language and kind of chat shows.
//!
//! ```text
//! user: /token y0_AgAAAA…        (deleted at once)
//! bot:  Token saved, and your message with it deleted. Now /meet creates a meeting.
//! user: /cancel
//! bot:  There is nothing to cancel.
//! ```

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::utils::command::BotCommands;

use super::core::{Ctx, HandlerResult, TgBot, lang_of, redacted};
use super::speak::texts::Lang;
use super::state::{State, TokenPrompt};
use super::store::BotDialogue;
use super::tokens;

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
    Upcoming,
    Findtime(String),
    Settings,
    Cancel,
}

/// `/help`, and `/start` without a /connect code.
pub async fn help(bot: TgBot, msg: Message) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    bot.send(msg.chat.id, t.help(), None).await?;
    Ok(())
}

/// `/disconnect` in a private chat: it is for groups.
pub async fn groups_only(bot: TgBot, msg: Message) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    bot.send(msg.chat.id, t.connect_in_groups_only(), None)
        .await?;
    Ok(())
}

/// `/token [token]`: in a private chat, saves it (or asks for it); in a group, deletes it and
/// warns.
pub async fn token(
    bot: TgBot,
    msg: Message,
    arg: String,
    dialogue: BotDialogue,
    state: State,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let chat = msg.chat.id;
    if !msg.chat.is_private() {
        if arg.trim().is_empty() {
            bot.send(chat, t.token_only_in_private(), None).await?;
            return Ok(());
        }
        let deleted = bot.delete(chat, msg.id).await;
        if let Err(e) = &deleted {
            tracing::warn!(chat_id = chat.0, error = %super::core::redacted(e), "could not delete a token posted in a group");
        }
        bot.send(chat, t.token_in_group(deleted.is_ok()), None)
            .await?;
        return Ok(());
    }
    // After a /connect link, a token sent now is the group's, while the link's time lasts.
    let awaiting = tokens::awaited_group(&state);
    let group = awaiting.group;
    let awaiting = State::AwaitingToken(awaiting);
    if arg.trim().is_empty() {
        dialogue.update(awaiting).await?;
        let prompt = match group {
            Some(_) => t.connect_prompt(),
            None => t.token_prompt(),
        };
        bot.send(chat, prompt, None).await?;
    } else if tokens::save_token(&bot, &msg, &ctx, &arg, group).await? {
        dialogue.exit().await?;
    } else {
        // Malformed: the next message is taken as the token, as after a lone /token.
        dialogue.update(awaiting).await?;
    }
    Ok(())
}

/// The next message after a lone `/token` in a private chat (or after a /connect link): the
/// token.
pub async fn receive_token(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    TokenPrompt { group, until }: TokenPrompt,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    if group.is_some() && !tokens::still_valid(until) {
        // The /connect link's time is up: this message is not the group's token.
        dialogue.exit().await?;
        bot.send(msg.chat.id, t.connect_code_expired(), None)
            .await?;
        return Ok(());
    }
    match msg.text() {
        Some(text) if text.starts_with('/') => {
            bot.send(msg.chat.id, t.unknown_command(), None).await?;
            Ok(())
        }
        Some(text) => {
            if tokens::save_token(&bot, &msg, &ctx, text, group).await? {
                dialogue.exit().await?;
            }
            Ok(())
        }
        None => {
            bot.send(msg.chat.id, t.token_prompt(), None).await?;
            Ok(())
        }
    }
}

/// `/forget` in a private chat (in a group it is `/disconnect`). A login in progress is dropped
/// too, so that no token arrives after it.
pub async fn forget(bot: TgBot, msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    ctx.db.cancel_login(msg.chat.id.0).await?;
    let text = if ctx.db.forget_token(msg.chat.id.0).await? {
        t.token_forgotten()
    } else {
        t.token_none_to_forget()
    };
    bot.send(msg.chat.id, text, None).await?;
    Ok(())
}

/// `/cancel`: the sender's own dialogue (in a group, other members' stay open), or the login
/// being polled for the chat.
pub async fn cancel(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    state: State,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    // Logins are started, and stored, in private chats only.
    let login = msg.chat.is_private() && ctx.db.cancel_login(msg.chat.id.0).await?;
    let text = match state {
        State::Idle | State::Unavailable if login => t.login_cancelled(),
        State::Idle | State::Unavailable => t.nothing_to_cancel(),
        _ => {
            dialogue.exit().await?;
            t.cancelled()
        }
    };
    bot.send(msg.chat.id, text, None).await?;
    Ok(())
}

/// Commands that make sense only in a private chat, or only in a group.
const PRIVATE_ONLY: [&str; 4] = ["token", "login", "forget", "start"];
const GROUP_ONLY: [&str; 2] = ["connect", "disconnect"];

/// setMyCommands for every language we speak and for private chats and groups apart (a group's
/// menu offers /connect, a private chat's /token); a failure only costs the menu.
/// Sets the bot's menu button in private chats to open the planner (`WEBAPP_URL`). One label
/// for everyone: Telegram keeps one default menu button, not one per language.
pub async fn register_menu_button(bot: &Bot, planner: &super::core::PlannerLink) {
    use teloxide::types::{MenuButton, WebAppInfo};
    let button = MenuButton::WebApp {
        text: Lang::En.texts().button_planner().to_owned(),
        web_app: WebAppInfo {
            url: planner.url.clone(),
        },
    };
    if let Err(e) = bot.set_chat_menu_button().menu_button(button).await {
        tracing::warn!(error = %redacted(&e), "could not set the menu button to the planner");
    }
}

pub async fn register_commands(bot: &Bot) {
    use teloxide::types::BotCommandScope;
    let scopes = [
        (BotCommandScope::AllPrivateChats, &GROUP_ONLY[..]),
        (BotCommandScope::AllGroupChats, &PRIVATE_ONLY[..]),
    ];
    for (lang, code) in [(Lang::En, None), (Lang::Ru, Some("ru"))] {
        for (scope, hidden) in &scopes {
            let list: Vec<BotCommand> = lang
                .texts()
                .commands()
                .iter()
                .filter(|(c, _)| !hidden.contains(c))
                .map(|(c, d)| BotCommand::new(*c, *d))
                .collect();
            let mut req = bot.set_my_commands(list).scope(scope.clone());
            if let Some(code) = code {
                req = req.language_code(code);
            }
            if let Err(e) = req.await {
                tracing::warn!(error = %redacted(&e), "could not register the command menu");
            }
        }
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
        assert_eq!(
            p("/findtime tue 15:00, wed 11:00"),
            Some(Command::Findtime("tue 15:00, wed 11:00".into()))
        );
        assert_eq!(p("/nope"), None);
    }
}
