//! The value types of generated programs: names, ABI names, wire shapes, normalisation,
//! edge values, arguments and literals.

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, I256, U256};
use rand::Rng;
use rand::rngs::StdRng;
use tandem_lang_ir::{ValTy, WordTy};

/// A value type of the generated programs. Structs and enums are indices into the program's
/// [`Defs`], so the type stays `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    U(u16),
    I(u16),
    Bool,
    Addr,
    /// `bytesN`.
    Fb(u8),
    Str,
    Byt,
    /// A struct of word fields (`St{i}`).
    Struct(u8),
    /// An enum without data (`En{i}`).
    Enum(u8),
}

/// The program's structs (their field types, all words), unit enums (their variant counts)
/// and enums with payloads (`Dn{i}`, storage only: see `unions`).
#[derive(Clone, Debug, Default)]
pub struct Defs {
    pub structs: Vec<Vec<Ty>>,
    pub enums: Vec<usize>,
    pub unions: Vec<super::unions::Union>,
}

impl Ty {
    pub fn name(self) -> String {
        match self {
            Ty::U(b) => format!("u{b}"),
            Ty::I(b) => format!("i{b}"),
            Ty::Bool => "bool".into(),
            Ty::Addr => "Address".into(),
            Ty::Fb(n) => format!("bytes{n}"),
            Ty::Str => "String".into(),
            Ty::Byt => "Bytes".into(),
            Ty::Struct(i) => format!("St{i}"),
            Ty::Enum(i) => format!("En{i}"),
        }
    }

    /// The Solidity ABI type.
    pub fn sol(self, d: &Defs) -> String {
        match self {
            Ty::U(b) => format!("uint{b}"),
            Ty::I(b) => format!("int{b}"),
            Ty::Bool => "bool".into(),
            Ty::Addr => "address".into(),
            Ty::Fb(n) => format!("bytes{n}"),
            Ty::Str => "string".into(),
            Ty::Byt => "bytes".into(),
            Ty::Enum(_) => "uint8".into(),
            Ty::Struct(i) => {
                let fs: Vec<String> = d.structs[i as usize].iter().map(|t| t.sol(d)).collect();
                format!("({})", fs.join(","))
            }
        }
    }

    /// The IR's wire shape (what the harness's DAG-CBOR mapping takes).
    pub fn val_ty(self, d: &Defs) -> ValTy {
        let w = |w| ValTy::Word(w);
        match self {
            Ty::U(b) => w(WordTy::Uint(b)),
            Ty::I(b) => w(WordTy::Int(b)),
            Ty::Bool => w(WordTy::Bool),
            Ty::Addr => w(WordTy::Address),
            Ty::Fb(n) => w(WordTy::FixedBytes(n)),
            Ty::Str => ValTy::String,
            Ty::Byt => ValTy::Bytes,
            Ty::Enum(_) => w(WordTy::Uint(8)),
            Ty::Struct(i) => {
                ValTy::Tuple(d.structs[i as usize].iter().map(|t| t.val_ty(d)).collect())
            }
        }
    }

    pub fn is_int(self) -> bool {
        matches!(self, Ty::U(_) | Ty::I(_))
    }

    pub fn bits(self) -> u16 {
        match self {
            Ty::U(b) | Ty::I(b) => b,
            Ty::Addr => 160,
            Ty::Fb(n) => n as u16 * 8,
            _ => 1,
        }
    }

    /// A random argument of this type: edge values for words, short and long (past 31
    /// bytes, Solidity's long storage form) strings and bytes.
    pub fn arg(self, rng: &mut StdRng, d: &Defs) -> DynSolValue {
        match self {
            Ty::U(b) => DynSolValue::Uint(self.word_arg(rng), b as usize),
            Ty::I(b) => DynSolValue::Int(I256::from_raw(self.word_arg(rng)), b as usize),
            Ty::Bool => DynSolValue::Bool(rng.random_bool(0.5)),
            Ty::Addr => DynSolValue::Address(Address::from_word(address_word(rng).into())),
            Ty::Fb(n) => {
                let mut w = [0u8; 32];
                let v = Ty::U(n as u16 * 8).value(rng).to_be_bytes::<32>();
                w[..n as usize].copy_from_slice(&v[32 - n as usize..]);
                DynSolValue::FixedBytes(w.into(), n as usize)
            }
            Ty::Str => DynSolValue::String(text(rng)),
            Ty::Byt => {
                let n = short_or_long(rng);
                DynSolValue::Bytes((0..n).map(|_| rng.random()).collect())
            }
            Ty::Enum(i) => {
                DynSolValue::Uint(U256::from(rng.random_range(0..d.enums[i as usize])), 8)
            }
            Ty::Struct(i) => DynSolValue::Tuple(
                d.structs[i as usize]
                    .iter()
                    .map(|t| t.arg(rng, d))
                    .collect(),
            ),
        }
    }

    /// An integer argument: edge values, or small ones (which overflow less).
    fn word_arg(self, rng: &mut StdRng) -> U256 {
        if rng.random_bool(0.6) {
            self.value(rng)
        } else {
            self.norm(U256::from(rng.random_range(0..100u8)))
        }
    }

    /// The value of `v` (any word) as this type holds it: masked, or sign-extended from the
    /// type's width, in the 256-bit two's complement the ABI uses.
    pub fn norm(self, v: U256) -> U256 {
        match self {
            Ty::Bool => U256::from(!v.is_zero() as u8),
            Ty::U(256) | Ty::I(256) => v,
            Ty::U(_) | Ty::Addr | Ty::Fb(_) => {
                v & ((U256::ONE << self.bits() as usize) - U256::ONE)
            }
            Ty::Enum(_) => v & U256::from(0xffu8),
            Ty::Str | Ty::Byt | Ty::Struct(_) => v,
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
            // an integer literal of at most N bytes (20 for an address) where one is expected
            Ty::Addr | Ty::Fb(_) => {
                let digits = if let Ty::Fb(n) = self {
                    n as usize * 2
                } else {
                    40
                };
                format!("0x{:0digits$x}", self.norm(v))
            }
            Ty::Str | Ty::Byt | Ty::Struct(_) | Ty::Enum(_) => format!("{v}"),
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

/// A word type: an integer, `bool`, `Address`, `bytesN` or a unit enum.
pub(super) fn word_ty(rng: &mut StdRng, d: &Defs) -> Ty {
    match rng.random_range(0..10) {
        0 => Ty::Addr,
        1 => Ty::Fb(FB_WIDTHS[rng.random_range(0..FB_WIDTHS.len())]),
        2 if !d.enums.is_empty() => Ty::Enum(rng.random_range(0..d.enums.len()) as u8),
        _ => any_ty(rng),
    }
}

/// A type that crosses the ABI: a word, `String`, `Bytes` or a struct.
pub(super) fn value_ty(rng: &mut StdRng, d: &Defs) -> Ty {
    match rng.random_range(0..12) {
        0 => Ty::Str,
        1 => Ty::Byt,
        2 if !d.structs.is_empty() => Ty::Struct(rng.random_range(0..d.structs.len()) as u8),
        _ => word_ty(rng, d),
    }
}

/// A `Map` key type.
pub(super) fn key_ty(rng: &mut StdRng) -> Ty {
    match rng.random_range(0..8) {
        0 => Ty::Addr,
        1 => Ty::Fb(FB_WIDTHS[rng.random_range(0..FB_WIDTHS.len())]),
        2 => Ty::Str,
        3 => Ty::Byt,
        _ => int_ty(rng),
    }
}

const FB_WIDTHS: &[u8] = &[1, 2, 4, 8, 20, 31, 32, 3, 16];

/// An address: zero, the sender, masked IDs (built-ins, the contracts), random, all ones.
pub(super) fn address_word(rng: &mut StdRng) -> U256 {
    let masked = |id: u64| (U256::from(0xffu8) << 152) | U256::from(id);
    match rng.random_range(0..6) {
        0 => U256::ZERO,
        1 => U256::from(0xa11ceu64),
        2 => masked(rng.random_range(0..1200)),
        3 => (U256::ONE << 160) - U256::ONE,
        _ => Ty::Addr.norm(U256::from_limbs(rng.random())),
    }
}

/// Text of 0 to 40 printable ASCII characters (past 31 bytes a storage string is long).
pub(super) fn text(rng: &mut StdRng) -> String {
    let n = short_or_long(rng);
    (0..n)
        .map(|_| rng.random_range(0x20u8..0x7f) as char)
        .collect()
}

pub(super) fn short_or_long(rng: &mut StdRng) -> usize {
    match rng.random_range(0..4) {
        0 => 0,
        1 => rng.random_range(31..70),
        _ => rng.random_range(1..31),
    }
}
