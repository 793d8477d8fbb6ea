//! Waiting for what arrives asynchronously (reports in flight, files being written): rounds of
//! a check with a pause between them, for a number of rounds or until a deadline. No round is
//! skipped and nothing sleeps once the check has passed.

use std::time::Duration;

use tokio::time::Instant;

/// How long [`poll`] keeps trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// At most this many rounds.
    Rounds(u32),
    /// Rounds are started until this moment.
    Until(Instant),
}

impl Patience {
    /// Rounds are started for `limit` from now.
    pub fn within(limit: Duration) -> Self {
        Self::Until(Instant::now() + limit)
    }

    fn allows(self, rounds: u32) -> bool {
        match self {
            Self::Rounds(most) => rounds < most,
            Self::Until(deadline) => Instant::now() < deadline,
        }
    }
}

/// Runs `round` until it returns `true` or `patience` runs out, sleeping `pause` after every
/// round that returned `false`. Returns whether a round returned `true`.
pub async fn poll(
    patience: Patience,
    pause: Duration,
    mut round: impl AsyncFnMut() -> bool,
) -> bool {
    let mut rounds = 0;
    while patience.allows(rounds) {
        rounds += 1;
        if round().await {
            return true;
        }
        tokio::time::sleep(pause).await;
    }
    false
}
