//! The encoding between the core and the JS wrapper, in plain Rust so that native tests reach
//! it; the `wasm` module is only its shell. Every number that crosses is defined here once, and
//! `js::modules()` writes them as `js/src/codes.js` and `names.js` (scripts/build.sh runs
//! `cargo run --example codes-js -- --write`): JS never keeps a copy by hand.

#[cfg(not(target_arch = "wasm32"))]
pub mod js;
pub mod rows;
pub mod settings;
pub mod stats;

pub use rows::{decision_row, event_row, rejection_row, verdict_code, Row};
pub use settings::{config, limit_at, millis, optional, reconfigure, Setting, LIMITS_AT, SETTINGS_LEN};
pub use stats::{stats_row, STATS_FIELDS, STATS_LIMIT_ROW};
