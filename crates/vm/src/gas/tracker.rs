//! The gas tracker: one counter for the whole message, with a stack of nested limits so a
//! call can be given less gas than its caller has.

use super::Gas;

/// Gas ran out. The tracker has already marked all gas up to the limit as used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("out of gas")]
pub struct OutOfGas;

#[derive(Debug, Clone)]
pub struct GasTracker {
    used: Gas,
    /// The `used` value at which each nested limit runs out; the last is the innermost.
    /// Each entry is at most the one before it.
    ends: Vec<Gas>,
}

impl GasTracker {
    pub fn new(limit: Gas) -> Self {
        Self {
            used: Gas::ZERO,
            ends: vec![limit],
        }
    }

    /// Charges gas. On failure all gas up to the innermost limit counts as used.
    pub fn charge(&mut self, gas: Gas) -> Result<(), OutOfGas> {
        let end = self.current_end();
        let after = self.used + gas;
        if after > end {
            self.used = end;
            return Err(OutOfGas);
        }
        self.used = after;
        Ok(())
    }

    /// Gives back gas charged earlier (never below zero).
    pub fn refund(&mut self, gas: Gas) {
        self.used -= gas.min(self.used);
    }

    pub fn used(&self) -> Gas {
        self.used
    }

    pub fn available(&self) -> Gas {
        self.current_end() - self.used
    }

    /// Limits the gas of what runs until the matching `pop_limit` to `limit` (or less, if
    /// the caller has less).
    pub fn push_limit(&mut self, limit: Gas) {
        let end = (self.used + limit).min(self.current_end());
        self.ends.push(end);
    }

    pub fn pop_limit(&mut self) {
        if self.ends.len() > 1 {
            self.ends.pop();
        }
    }

    fn current_end(&self) -> Gas {
        *self
            .ends
            .last()
            .expect("the outermost limit is never popped")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_limit_runs_out_before_the_outer_one() {
        let mut t = GasTracker::new(Gas::new(100));
        t.charge(Gas::new(10)).unwrap();
        t.push_limit(Gas::new(20));
        assert_eq!(t.available(), Gas::new(20));
        assert_eq!(t.charge(Gas::new(25)), Err(OutOfGas));
        assert_eq!(t.used(), Gas::new(30));
        t.pop_limit();
        assert_eq!(t.available(), Gas::new(70));
    }

    #[test]
    fn nested_limit_cannot_exceed_the_outer_one() {
        let mut t = GasTracker::new(Gas::new(50));
        t.push_limit(Gas::new(1_000));
        assert_eq!(t.available(), Gas::new(50));
    }
}
