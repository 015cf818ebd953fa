//! Everything that talks to the Kroki server: the client, the transports under it (a pool per
//! worker thread), and the mapping of Kroki's answers to this app's errors.

mod client;
mod error;
mod transport;
pub mod versions;

pub use client::{KrokiClient, KrokiInfo, Rendered};
pub use error::{affected_types, logged_under, KrokiError};
pub use versions::KrokiVersions;
