//! Gas: one unit for every runtime.
//!
//! The unit is Ethereum gas, so EVM frames run on Ethereum's own schedule with no conversion
//! and Ethereum tools (estimates, stipends, literals such as 2300) work unchanged. Inside, the
//! VM counts milligas so that native code can be charged fractions of a gas per instruction.
//! See docs/gas.md for the calibration target.

mod price_list;
mod tracker;

pub use price_list::{PRICE_LIST, PriceList};
pub use tracker::{GasTracker, OutOfGas};

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// Milligas per gas.
pub const MILLIGAS_PER_GAS: i64 = 1000;

/// An amount of gas, kept in milligas.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gas(i64);

impl Gas {
    pub const ZERO: Gas = Gas(0);

    /// Whole gas units. Saturates instead of overflowing.
    pub const fn new(gas: u64) -> Self {
        let gas = if gas > (i64::MAX / MILLIGAS_PER_GAS) as u64 {
            i64::MAX / MILLIGAS_PER_GAS
        } else {
            gas as i64
        };
        Gas(gas * MILLIGAS_PER_GAS)
    }

    pub const fn from_milligas(milligas: i64) -> Self {
        Gas(milligas)
    }

    pub const fn as_milligas(self) -> i64 {
        self.0
    }

    /// Whole gas, rounded up (a partly used unit is a used unit).
    pub const fn round_up(self) -> u64 {
        if self.0 <= 0 {
            0
        } else {
            ((self.0 + MILLIGAS_PER_GAS - 1) / MILLIGAS_PER_GAS) as u64
        }
    }

    /// Whole gas, rounded down (what is left to hand out).
    pub const fn round_down(self) -> u64 {
        if self.0 <= 0 {
            0
        } else {
            (self.0 / MILLIGAS_PER_GAS) as u64
        }
    }

    pub fn saturating_mul(self, n: u64) -> Self {
        Gas(self.0.saturating_mul(i64::try_from(n).unwrap_or(i64::MAX)))
    }

    pub fn min(self, other: Gas) -> Gas {
        Gas(self.0.min(other.0))
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl Add for Gas {
    type Output = Gas;
    fn add(self, rhs: Gas) -> Gas {
        Gas(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Gas {
    fn add_assign(&mut self, rhs: Gas) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sub for Gas {
    type Output = Gas;
    fn sub(self, rhs: Gas) -> Gas {
        Gas(self.0.saturating_sub(rhs.0))
    }
}

impl SubAssign for Gas {
    fn sub_assign(&mut self, rhs: Gas) {
        self.0 = self.0.saturating_sub(rhs.0);
    }
}

impl fmt::Debug for Gas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Gas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The sign apart, so that -0.5 gas shows as "-0.500", not "0.500".
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = MILLIGAS_PER_GAS as u64;
        if abs.is_multiple_of(per) {
            write!(f, "{sign}{}", abs / per)
        } else {
            write!(f, "{sign}{}.{:03}", abs / per, abs % per)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Gas;

    #[test]
    fn gas_displays_with_milligas_and_its_sign() {
        let shown = |m: i64| Gas::from_milligas(m).to_string();
        assert_eq!(shown(0), "0");
        assert_eq!(shown(21_000_000), "21000");
        assert_eq!(shown(1_500), "1.500");
        assert_eq!(shown(40), "0.040");
        assert_eq!(shown(-500), "-0.500");
        assert_eq!(shown(-2_000), "-2");
    }
}
