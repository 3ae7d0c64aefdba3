//! Account-wide limits shared by many limiters (Workers isolates) through one coordinator
//! that leases budget: the [`Authority`] holds the account's buckets and grants leases; each
//! limiter's [`Local`] side asks ahead of need, spends what it was granted instead of refilling
//! by itself, and gives back what it did not use with its next ask.
//!
//! One exchange, either way: an isolate reports what its buckets hold (unspent capacity, or a
//! debt when usage outran its reservations) and what it wants to hold; the coordinator takes
//! the report back and answers with the isolate's new holding, which replaces the reported one.

mod authority;
mod borrower;
mod fair;
mod local;
mod wire;

pub use authority::Authority;
pub use borrower::{Borrower, FALLBACK_DIVISOR_UNKNOWN, SLOW_MS};
pub use fair::water_level;
pub use local::Local;
pub use wire::{ASK_LEN, GRANT_LEN};

/// One slot per [`LimitKind`](super::LimitKind), in its order.
pub const KINDS: usize = 6;

/// How long a lease may be spent after it was asked for, by default. Short, because a grant
/// from a full bucket pauses the coordinator's refill as long (see [`Authority`]); long
/// enough that a busy isolate asks about once a [`AHEAD_MS`].
pub const LEASE_MS: u64 = 2_000;

/// A lease covers the isolate's demand for this long (plus a round trip): at 10 jobs a second
/// or more, that is at most one ask per 10 jobs.
pub const AHEAD_MS: u64 = 1_000;

/// How much demand a lease covers, for a limit of `limit` per `window_ms` holding `capacity`:
/// [`AHEAD_MS`], or half the time the burst lasts if shorter (capacity out on leases keeps the
/// coordinator's bucket from refilling, so leases must stay well below the burst). Isolates
/// size their asks by it, and the coordinator shares this much of its flow between them.
pub fn horizon_ms(limit: u64, capacity: u64, window_ms: u64) -> u64 {
    let burst_ms = capacity as u128 * window_ms as u128 / limit.max(1) as u128;
    (AHEAD_MS as u128).min(burst_ms / 2).max(1) as u64
}

/// An isolate's side of an exchange.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ask {
    /// What each bucket holds, to be taken back: unspent (positive) or a debt (negative).
    pub held: [i64; KINDS],
    /// What the isolate would like to hold after the exchange.
    pub want: [u64; KINDS],
    /// A Retry-After the isolate met and has not reported yet: ms from now, 0 for none.
    pub pause_ms: u64,
}

/// The coordinator's answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    /// What the isolate holds now, replacing what it reported.
    pub lease: [u64; KINDS],
    /// How long after its ask the lease may be spent.
    pub lease_ms: u64,
    /// Every isolate holds back this long (a Retry-After one of them met); 0 for no pause.
    pub pause_ms: u64,
    /// Isolates the coordinator has heard from lately: the share to fall back to.
    pub isolates: u32,
}
