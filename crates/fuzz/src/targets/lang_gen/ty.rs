//! The value types of generated programs: names, ABI names, normalisation, edge values
//! and literals.

use alloy_primitives::U256;
use rand::Rng;
use rand::rngs::StdRng;

/// A value type of the generated programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    U(u16),
    I(u16),
    Bool,
}

impl Ty {
    pub fn name(self) -> String {
        match self {
            Ty::U(b) => format!("u{b}"),
            Ty::I(b) => format!("i{b}"),
            Ty::Bool => "bool".into(),
        }
    }

    /// The Solidity ABI type.
    pub fn sol(self) -> String {
        match self {
            Ty::U(b) => format!("uint{b}"),
            Ty::I(b) => format!("int{b}"),
            Ty::Bool => "bool".into(),
        }
    }

    pub fn bits(self) -> u16 {
        match self {
            Ty::U(b) | Ty::I(b) => b,
            Ty::Bool => 1,
        }
    }

    /// The value of `v` (any word) as this type holds it: masked, or sign-extended from the
    /// type's width, in the 256-bit two's complement the ABI uses.
    pub fn norm(self, v: U256) -> U256 {
        match self {
            Ty::Bool => U256::from(!v.is_zero() as u8),
            Ty::U(256) | Ty::I(256) => v,
            Ty::U(b) => v & ((U256::ONE << b as usize) - U256::ONE),
            Ty::I(b) => {
                let m = v & ((U256::ONE << b as usize) - U256::ONE);
                if m.bit(b as usize - 1) {
                    m | (U256::MAX << b as usize)
                } else {
                    m
                }
            }
        }
    }

    /// Interesting values: 0, 1, max, max-1, the sign boundaries, powers of two, random.
    pub fn value(self, rng: &mut StdRng) -> U256 {
        let b = self.bits() as usize;
        if self == Ty::Bool {
            return U256::from(rng.random_bool(0.5) as u8);
        }
        let one = U256::ONE;
        let raw = match rng.random_range(0..12) {
            0 => U256::ZERO,
            1 => one,
            2 => U256::MAX,                    // all ones: max or -1
            3 => (one << b) - U256::from(2u8), // max-1 or -2
            4 => one << (b - 1),               // the sign bit: MIN or 2^(b-1)
            5 => (one << (b - 1)) - one,       // i MAX
            6 => (one << (b - 1)) + one,       // MIN+1
            7 => U256::from(rng.random_range(0..10u8)),
            8 => one << rng.random_range(0..b),
            9 => U256::MAX - U256::from(rng.random_range(0..10u8)), // small negatives
            _ => U256::from_limbs(rng.random()),
        };
        self.norm(raw)
    }

    /// A literal of this type that needs no context: its bits as a `u256` literal cast to
    /// the type (which truncates or reinterprets).
    pub fn typed_literal(self, v: U256) -> String {
        match self {
            Ty::Bool => self.literal(v),
            _ => {
                let bits = Ty::U(self.bits()).norm(v);
                format!("({bits} as {})", self.name())
            }
        }
    }

    /// A literal of this type for the value (normalised), as source text, where the
    /// context gives the type.
    pub fn literal(self, v: U256) -> String {
        match self {
            Ty::Bool => (if v.is_zero() { "false" } else { "true" }).into(),
            Ty::U(_) => format!("{v}"),
            Ty::I(b) => {
                let v = self.norm(v);
                if v.bit(255) {
                    let mag = v.wrapping_neg();
                    if mag == U256::ONE << (b as usize - 1) {
                        // MIN has no positive literal: -(MAX) - 1
                        format!("(-{} - 1)", mag - U256::ONE)
                    } else {
                        format!("(-{mag})")
                    }
                } else {
                    format!("{v}")
                }
            }
        }
    }
}

const WIDTHS: &[u16] = &[8, 16, 32, 64, 128, 256, 24, 40, 72, 160];

pub(super) fn int_ty(rng: &mut StdRng) -> Ty {
    let b = WIDTHS[rng.random_range(0..WIDTHS.len())];
    if rng.random_bool(0.5) {
        Ty::U(b)
    } else {
        Ty::I(b)
    }
}

pub(super) fn any_ty(rng: &mut StdRng) -> Ty {
    if rng.random_bool(0.15) {
        Ty::Bool
    } else {
        int_ty(rng)
    }
}
