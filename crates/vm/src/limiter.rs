//! What the frames of one message's call stack hold at once.
//!
//! A runtime that keeps memory per frame (the WASM runtime: linear memory and the blocks an
//! instance holds) bounds the total across the stack, not only per frame, or a recursion
//! could hold `depth × per-frame` bytes. The call manager keeps one limiter per message, so
//! the bound belongs to the message, whichever thread runs it. The VM only counts; each
//! runtime passes its own caps.

/// Memory and frames held by the live frames of one message (only runtimes that count them).
#[derive(Debug, Default)]
pub struct StackLimiter {
    memory: u64,
    frames: u32,
}

impl StackLimiter {
    /// Enters a frame unless `max` frames are live already.
    pub fn enter_frame(&mut self, max: u32) -> bool {
        if self.frames >= max {
            return false;
        }
        self.frames += 1;
        true
    }

    pub fn exit_frame(&mut self) {
        self.frames = self.frames.saturating_sub(1);
    }

    /// Whether `bytes` more would stay within `cap`, without taking them.
    pub fn fits(&self, bytes: u64, cap: u64) -> bool {
        self.memory.saturating_add(bytes) <= cap
    }

    /// Takes `bytes` unless the stack would then hold more than `cap`.
    pub fn reserve(&mut self, bytes: u64, cap: u64) -> bool {
        if !self.fits(bytes, cap) {
            return false;
        }
        self.memory += bytes;
        true
    }

    /// Gives back what a frame held when it ends.
    pub fn release(&mut self, bytes: u64) {
        self.memory = self.memory.saturating_sub(bytes);
    }

    pub fn memory(&self) -> u64 {
        self.memory
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_memory_are_bounded_and_given_back() {
        let mut l = StackLimiter::default();
        assert!(l.enter_frame(2) && l.enter_frame(2));
        assert!(!l.enter_frame(2));
        l.exit_frame();
        assert!(l.enter_frame(2));
        assert!(l.reserve(60, 100));
        assert!(!l.reserve(41, 100));
        assert!(l.fits(40, 100));
        l.release(60);
        assert_eq!(l.memory(), 0);
        assert!(l.reserve(100, 100));
    }
}
