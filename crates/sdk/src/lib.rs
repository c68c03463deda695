//! The SDK for native WASM actors on Tandem (`no_std`, `wasm32-unknown-unknown`).
//!
//! - [`cbor`]: a small DAG-CBOR codec for params, returns and state (`Cbor` trait).
//! - [`dispatch!`]: maps FRC-0042 method names to numbers at compile time and decodes and
//!   encodes params and returns; method 1 is `"Constructor"`.
//! - typed wrappers for every `tandem_v1` syscall (docs/syscalls.md), on wasm32 only.
//! - a bump allocator: an instance lives for one invocation, so nothing needs freeing
//!   (feature `system-alloc`: std's freeing allocator instead).
//! - [`ipld`] (feature `ipld`): HAMT and AMT state over the IPLD syscalls, `no_std`, in the
//!   block format of fvm_ipld_hamt / fvm_ipld_amt, as typed [`ipld::StateMap`] and
//!   [`ipld::StateArray`].
//!
//! On other targets only the codec and the method-number macro are available, so a
//! workspace build on the host compiles actor crates as empty libraries (with `ipld`, the
//! helpers also work on the host over any blockstore, for tests).
//!
//! Features: `std` links std (panics still abort with their message, through a hook);
//! `system-alloc` (implies `std`); `ipld`. See docs/sdk.md.
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;
// `#[derive(Cbor)]` expands to `::tandem_sdk::…` paths; this makes them resolve here too.
extern crate self as tandem_sdk;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
pub mod address;
pub mod async_msg;
pub mod cbor;
pub mod event;
#[cfg(feature = "ipld")]
pub mod ipld;
#[cfg(target_arch = "wasm32")]
mod runtime;
pub mod schema;
#[cfg(feature = "sol")]
pub mod sol;
#[cfg(target_arch = "wasm32")]
pub mod sys;
mod types;

#[cfg(target_arch = "wasm32")]
pub use runtime::*;

#[cfg(target_arch = "wasm32")]
pub use address::transfer;
pub use address::{ActorId, Address, AddressError, TokenAmount};
#[cfg(target_arch = "wasm32")]
pub use async_msg::send_async_to;
pub use async_msg::{ASYNC_QUEUE_ACTOR_ID, AsyncReply};
pub use cbor::{Cbor, CborError, Raw};
#[cfg(target_arch = "wasm32")]
pub use event::emit;
pub use event::{Event, SolType};
pub use frc42_macros::method_hash;
pub use schema::Schema;
/// The syscall ABI: names, out-structs and constants shared with the VM.
pub use tandem_abi as abi;
/// `#[derive(Cbor)]`: structs as arrays of their fields, enums as `[index, fields…]`
/// (docs/sdk.md, "Types and derives").
pub use tandem_sdk_derive::Cbor;
/// `#[derive(Event)]`: a typed event emitted as an Ethereum log (`#[indexed]` fields are
/// topics; docs/sdk.md, "Typed events").
pub use tandem_sdk_derive::Event;

/// Multicodecs of blocks.
pub const DAG_CBOR: u64 = 0x71;
pub const CBOR: u64 = 0x51;
pub const IPLD_RAW: u64 = 0x55;

/// Exit codes an actor commonly uses (fvm_shared's user codes).
pub const USR_ILLEGAL_ARGUMENT: u32 = 16;
pub const USR_NOT_FOUND: u32 = 17;
pub const USR_FORBIDDEN: u32 = 18;
pub const USR_INSUFFICIENT_FUNDS: u32 = 19;
pub const USR_ILLEGAL_STATE: u32 = 20;
pub const USR_SERIALIZATION: u32 = 21;
pub const USR_UNHANDLED_MESSAGE: u32 = 22;
pub const USR_ASSERTION_FAILED: u32 = 24;

/// FRC-42 number of "InvokeEVM": how EVM contracts call native actors with Solidity-ABI
/// calldata (IPLD_RAW in, IPLD_RAW out).
pub const INVOKE_EVM: u64 = 3_844_450_837;

/// An actor-level failure: exit code (>= 16) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorError {
    pub code: u32,
    pub message: alloc::string::String,
}

impl ActorError {
    pub fn new(code: u32, message: &str) -> Self {
        Self {
            code,
            message: alloc::string::String::from(message),
        }
    }
}

/// Filecoin ID-address bytes (protocol 0, then the ID as an unsigned varint).
pub fn id_address(id: u64) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec![0u8];
    address::varint(&mut out, id);
    out
}

/// Maps method names to handlers and exports the `invoke` entry point.
///
/// ```ignore
/// tandem_sdk::dispatch! {
///     events { Incremented }          // optional: the actor's #[derive(Event)] types
///     "Constructor" => constructor,   // fn(P) -> Result<R, ActorError>
///     "Increment" => increment,
/// }
/// ```
/// `P` is decoded from the params block (`()` for none) and `R` encoded as the return
/// block (`()` for none; [`Raw`] for IPLD_RAW, e.g. Solidity ABI under `"InvokeEVM"`).
///
/// It also writes the actor's schema (every method's name, number, params and return type,
/// and the events) as JSON into the module's `tandem:schema` custom section, at compile
/// time (`P`, `R` and the events need [`Schema`]; `#[derive(Cbor)]` gives it). The same
/// value is `TANDEM_SCHEMA` (a [`schema::Actor`]) for host code.
#[macro_export]
macro_rules! dispatch {
    ($(events { $($event:ty),* $(,)? })? $($name:literal => $handler:path),* $(,)?) => {
        /// This actor's methods and events (what the `tandem:schema` section holds).
        pub const TANDEM_SCHEMA: $crate::schema::Actor = $crate::schema::Actor {
            methods: &[$($crate::schema::method($name, $crate::method_hash!($name), $handler)),*],
            events: &[$($(<$event as $crate::event::Event>::SCHEMA),*)?],
        };

        // No `#[used]`: on wasm32 a `link_section` static is kept as a custom section
        // anyway, and `#[used]` also put a copy of its bytes into the data segment, which
        // every instantiation writes into memory (and pays for by the byte).
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "tandem:schema")]
        static __TANDEM_SCHEMA_SECTION: [u8; $crate::schema::json_len(&TANDEM_SCHEMA)] =
            $crate::schema::json_bytes(&TANDEM_SCHEMA);

        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn invoke(params: u32) -> u32 {
            let method = $crate::message().method;
            $(
                if method == $crate::method_hash!($name) {
                    return $crate::run_method(params, $handler);
                }
            )*
            $crate::__private::unhandled_method(method)
        }
    };
}
