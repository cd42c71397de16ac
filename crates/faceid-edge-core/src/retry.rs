//! When to try again: backoff for busy codes, polls for files that lag.

/// The client's timing rules. All durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Per-request deadline, body included.
    pub timeout_ms: u32,
    /// Retries after a busy code (`999999`/`999998`/`999997`).
    pub retries: u32,
    /// First backoff delay; doubles on every retry.
    pub base_delay_ms: u32,
    /// Largest backoff delay.
    pub max_delay_ms: u32,
    /// Extra queries when the verdict is there but requested files are not.
    pub file_polls: u32,
    /// Delay between those queries.
    pub file_poll_interval_ms: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            timeout_ms: 10_000,
            retries: 2,
            base_delay_ms: 200,
            max_delay_ms: 2_000,
            file_polls: 3,
            file_poll_interval_ms: 2_000,
        }
    }
}

impl Policy {
    /// The delay before retry number `retry` (1-based): exponential, capped,
    /// with "equal jitter" (half fixed, half from `random`) so that many
    /// clients that failed together do not retry together.
    pub fn backoff_ms(&self, retry: u32, random: u32) -> u32 {
        let shift = retry.saturating_sub(1).min(16);
        let exp = self
            .base_delay_ms
            .saturating_mul(1u32 << shift)
            .min(self.max_delay_ms);
        let half = exp / 2;
        half + random % (exp - half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = Policy::default();
        for r in 0..1000 {
            let d1 = p.backoff_ms(1, r);
            assert!((100..=200).contains(&d1), "{d1}");
            let d2 = p.backoff_ms(2, r);
            assert!((200..=400).contains(&d2), "{d2}");
            let d9 = p.backoff_ms(9, r);
            assert!((1000..=2000).contains(&d9), "{d9}");
        }
        assert_eq!(p.backoff_ms(40, u32::MAX), p.backoff_ms(40, u32::MAX));
        let zero = Policy {
            base_delay_ms: 0,
            ..p
        };
        assert_eq!(zero.backoff_ms(3, 12345), 0);
    }
}
