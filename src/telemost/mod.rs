//! The Telemost REST API client. Knows nothing of Telegram or of the database.

mod client;
mod error;
pub mod model;

pub use client::{DEFAULT_BASE_URL, RetryPolicy, TelemostClient};
pub use error::TelemostError;
