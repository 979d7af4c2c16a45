//! The Mini App's server side (issue 24, in progress): what the planner page sends is checked
//! here before anything in it is believed. So far: `init_data`, verifying Telegram's signed
//! `initData`. The page itself and its API come next.

pub mod init_data;
