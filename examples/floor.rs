//! The floor for the load benchmark (examples/loadtest.rs): the least a teloxide bot can do per
//! update, answering each message or button press with one message, with no storage, no
//! dialogue and no rate limiting. Not part of the product.
//!
//! Reads `TELOXIDE_TOKEN` and `TELOXIDE_API_URL` like the bot; stopped by a signal.

use teloxide::prelude::*;
use teloxide::update_listeners::Polling;

#[tokio::main]
async fn main() {
    let token = std::env::var("TELOXIDE_TOKEN").unwrap_or_default();
    let mut bot = Bot::new(token);
    if let Some(url) = std::env::var("TELOXIDE_API_URL")
        .ok()
        .and_then(|u| reqwest::Url::parse(&u).ok())
    {
        bot = bot.set_api_url(url);
    }
    let handler = dptree::entry()
        .branch(
            Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
                bot.send_message(msg.chat.id, "ok").await?;
                Ok::<(), teloxide::RequestError>(())
            }),
        )
        .branch(Update::filter_callback_query().endpoint(
            |bot: Bot, q: CallbackQuery| async move {
                if let Some(m) = q.message {
                    bot.send_message(m.chat().id, "ok").await?;
                }
                Ok::<(), teloxide::RequestError>(())
            },
        ));
    let listener = Polling::builder(bot.clone())
        .timeout(std::time::Duration::from_secs(10))
        .build();
    Dispatcher::builder(bot, handler)
        .default_handler(|_| async {})
        .build()
        .dispatch_with_listener(
            listener,
            LoggingErrorHandler::with_custom_text("floor: getting updates failed"),
        )
        .await;
}
