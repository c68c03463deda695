//! The kernel: what a running actor may ask of the VM, as a list of small op traits.
//!
//! One kernel exists per invocation. Runtimes (built-in Rust actors, the EVM, native WASM)
//! see only `dyn Kernel`, never the call manager behind it.
//!
//! Pricing rule: kernel ops are *unpriced* primitives. Each runtime prices its own surface:
//! the EVM charges Ethereum's schedule inside revm, the WASM syscall layer charges the
//! [`PriceList`](crate::gas::PriceList) per syscall, built-in actors charge explicitly with
//! [`GasOps::charge_gas`]. This keeps EVM frames at exact Ethereum gas while native code pays
//! Tandem's calibrated prices.

use std::sync::Arc;

use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::MethodNum;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::{ErrorNumber, ExitCode};
use fvm_shared::event::ActorEvent;
use tandem_state::{SlotWrite, Word};

use crate::ActorID;
use crate::gas::{Gas, OutOfGas};
use crate::store::VmStore;

/// Why a kernel op failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// The invocation's gas is exhausted; the frame must stop.
    #[error("out of gas")]
    OutOfGas,
    /// The op was refused; the actor may handle this and carry on.
    #[error("syscall error {0:?}: {1}")]
    Syscall(ErrorNumber, String),
    /// A bug or a broken store: the whole message fails.
    #[error("fatal: {0:#}")]
    Fatal(anyhow::Error),
}

impl From<OutOfGas> for ExecutionError {
    fn from(_: OutOfGas) -> Self {
        ExecutionError::OutOfGas
    }
}

impl From<anyhow::Error> for ExecutionError {
    fn from(e: anyhow::Error) -> Self {
        ExecutionError::Fatal(e)
    }
}

pub type KResult<T> = Result<T, ExecutionError>;

/// Shorthand for a refused op.
pub fn syscall_error<T>(number: ErrorNumber, msg: impl Into<String>) -> KResult<T> {
    Err(ExecutionError::Syscall(number, msg.into()))
}

/// Who called whom with what.
#[derive(Debug, Clone)]
pub struct InvocationContext {
    /// The immediate caller.
    pub caller: ActorID,
    /// The account that signed the top-level message.
    pub origin: ActorID,
    /// The actor whose state this frame runs against.
    pub receiver: ActorID,
    pub method: MethodNum,
    /// The value the caller sent (for a delegate call, the value the original call carried).
    pub value_received: TokenAmount,
    /// The top-level message's nonce.
    pub nonce: u64,
    /// No state changes, value transfers or events are allowed in this frame.
    pub read_only: bool,
    /// The code running in this frame (differs from the receiver's for delegate calls).
    pub code: Cid,
    /// Entered by a delegate call (the EVM's DELEGATECALL and CALLCODE): another actor's code
    /// runs on the receiver's state. Only the VM sets it, so a runtime can refuse its
    /// delegate method to every other caller (a message that could name the code to run
    /// would let anyone rewrite any contract's storage).
    pub delegated: bool,
    /// 0 for the top-level frame.
    pub depth: u32,
    /// In a constructor that Init runs during Exec (or Exec4, Create2): the actor that
    /// called Init, i.e. the one creating this actor (Ethereum's `msg.sender` in a
    /// constructor). `None` in every other frame. Only the VM sets it, from Init's own
    /// frame, so no message can claim it.
    pub creator: Option<ActorID>,
}

/// The Ethereum hardfork whose rules EVM contracts and Ethereum transactions follow
/// (`tandem_evm` maps it to revm's `SpecId`). Ordered: a later fork compares greater.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Hardfork {
    Cancun,
    Prague,
    #[default]
    Osaka,
}

impl Hardfork {
    pub const ALL: [Hardfork; 3] = [Hardfork::Cancun, Hardfork::Prague, Hardfork::Osaka];

    /// The lowercase name (`cancun`, `prague`, `osaka`).
    pub fn name(self) -> &'static str {
        match self {
            Hardfork::Cancun => "cancun",
            Hardfork::Prague => "prague",
            Hardfork::Osaka => "osaka",
        }
    }
}

impl std::fmt::Display for Hardfork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Hardfork {
    type Err = String;
    /// Case-insensitive; `fusaka` and `pectra` are accepted as the upgrades' names.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "cancun" => Ok(Hardfork::Cancun),
            "prague" | "pectra" => Ok(Hardfork::Prague),
            "osaka" | "fusaka" => Ok(Hardfork::Osaka),
            _ => Err(format!(
                "unknown hardfork {s:?} (expected cancun, prague or osaka)"
            )),
        }
    }
}

/// The block and chain a message executes in.
#[derive(Debug, Clone)]
pub struct NetworkContext {
    pub chain_id: u64,
    pub epoch: i64,
    pub timestamp: u64,
    pub base_fee: TokenAmount,
    pub block_gas_limit: u64,
    /// Receives the gas premium (Ethereum's COINBASE).
    pub coinbase: Address,
    /// Ethereum's PREVRANDAO; also the seed of `randomness`.
    pub prev_randao: [u8; 32],
    pub blob_base_fee: TokenAmount,
    /// Blob versioned hashes of the current (Ethereum) transaction.
    pub blob_hashes: Vec<[u8; 32]>,
    /// The EVM's rules (default: Osaka).
    pub hardfork: Hardfork,
    /// Lifts EIP-170's limit on deployed code and EIP-3860's on init code (anvil's
    /// `--disable-code-size-limit`): for the language's test runner, whose test contracts may
    /// be larger than anything deployable (as forge allows), and dev chains that ask for it.
    /// Off everywhere else: a chain with it on accepts contracts Ethereum refuses.
    pub unlimited_code_size: bool,
    /// The hashes BLOCKHASH answers (the 256 blocks before this one). `None` (state tests,
    /// benches, a context without a chain): the hash of block `n` is `keccak256(decimal n)`,
    /// the convention of Ethereum's state tests.
    pub block_hashes: Option<BlockHashes>,
}

/// How many recent blocks BLOCKHASH can see (Ethereum's 256).
pub const BLOCK_HASH_HISTORY: u64 = 256;

/// The hashes of a run of consecutive blocks, oldest first: block `first`'s hash, then the
/// next one's, and so on. Shared, so a context per block or per call clones a pointer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockHashes {
    first: u64,
    hashes: Arc<[[u8; 32]]>,
}

impl BlockHashes {
    /// The hashes of blocks `first`, `first + 1`, … in order.
    pub fn new(first: u64, hashes: impl Into<Arc<[[u8; 32]]>>) -> Self {
        Self {
            first,
            hashes: hashes.into(),
        }
    }

    /// The number of the oldest block held.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The number of the newest block held (`None` when empty).
    pub fn last(&self) -> Option<u64> {
        (self.hashes.len() as u64)
            .checked_sub(1)
            .map(|i| self.first.saturating_add(i))
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The hash of block `number`, if held.
    pub fn get(&self, number: u64) -> Option<[u8; 32]> {
        let i = usize::try_from(number.checked_sub(self.first)?).ok()?;
        self.hashes.get(i).copied()
    }

    /// The hashes, oldest first.
    pub fn hashes(&self) -> &[[u8; 32]] {
        &self.hashes
    }

    /// These hashes up to block `number` exclusive, then `hash` as block `number`'s, keeping
    /// only the [`BLOCK_HASH_HISTORY`] blocks before it: what the block after `number`
    /// sees (a simulated chain extended by one block).
    pub fn extended(&self, number: u64, hash: [u8; 32]) -> Self {
        let from = number.saturating_sub(BLOCK_HASH_HISTORY).max(self.first);
        let mut hashes: Vec<[u8; 32]> = (from..number).map_while(|n| self.get(n)).collect();
        // Held blocks must run up to `number` without a gap; otherwise only the new block
        // is known.
        let first = if from <= number && hashes.len() as u64 == number - from {
            from
        } else {
            hashes.clear();
            number
        };
        hashes.push(hash);
        Self::new(first, hashes)
    }
}

impl Default for NetworkContext {
    fn default() -> Self {
        Self {
            chain_id: 31337,
            epoch: 0,
            timestamp: 0,
            base_fee: TokenAmount::from_atto(1_000_000_000u64),
            block_gas_limit: 30_000_000,
            coinbase: Address::new_id(crate::builtin::REWARD_ACTOR_ID),
            prev_randao: [0; 32],
            blob_base_fee: TokenAmount::from_atto(1u64),
            blob_hashes: Vec::new(),
            hardfork: Hardfork::default(),
            unlimited_code_size: false,
            block_hashes: None,
        }
    }
}

/// What the kernel knows of another actor.
#[derive(Debug, Clone)]
pub struct ActorInfo {
    pub id: ActorID,
    pub code: Cid,
    pub state: Cid,
    pub sequence: u64,
    pub balance: TokenAmount,
    pub delegated_address: Option<Address>,
}

/// A send to another actor.
#[derive(Debug, Clone)]
pub struct SendRequest {
    pub to: Address,
    pub method: MethodNum,
    pub params: Option<IpldBlock>,
    pub value: TokenAmount,
    /// At most this much gas for the callee; `None` means all that is left.
    pub gas_limit: Option<Gas>,
    pub read_only: bool,
}

/// An asynchronous message to queue (docs/async.md).
#[derive(Debug, Clone)]
pub struct AsyncRequest {
    pub to: Address,
    pub method: MethodNum,
    pub params: Option<IpldBlock>,
    pub value: TokenAmount,
    /// Gas for the delivery (its own top-level call).
    pub gas_limit: u64,
    /// Where the reply goes, if the sender wants one.
    pub reply: Option<crate::async_queue::ReplyTo>,
}

/// Runs another actor's code against the current receiver's state (EVM DELEGATECALL and
/// CALLCODE). No value moves.
#[derive(Debug, Clone)]
pub struct DelegateRequest {
    pub code: Cid,
    /// The caller the code sees.
    pub caller: ActorID,
    /// The value the code sees.
    pub apparent_value: TokenAmount,
    pub method: MethodNum,
    pub params: Option<IpldBlock>,
    pub gas_limit: Option<Gas>,
    pub read_only: bool,
}

/// Creates an actor at a delegated (f410) address and runs its constructor in one frame.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub delegated_address: Address,
    pub code: Cid,
    /// Constructor parameters (for the EVM: the init code).
    pub params: Option<IpldBlock>,
    pub value: TokenAmount,
    pub gas_limit: Option<Gas>,
    /// The caller the constructor sees, when it is not the sender. Only the Ethereum address
    /// manager may set it (it creates on behalf of the account that called it).
    pub on_behalf_of: Option<ActorID>,
}

/// The outcome of a send, delegate call or create.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub exit_code: ExitCode,
    pub return_data: Option<IpldBlock>,
    /// Links in `return_data` that the callee could reach: the caller may open them.
    pub return_links: Vec<Cid>,
    pub gas_used: Gas,
    /// The created actor (creates only, on success).
    pub created: Option<ActorID>,
}

impl CallOutcome {
    pub fn is_success(&self) -> bool {
        self.exit_code.is_success()
    }

    /// An outcome with `exit_code` and nothing else: no return data, no gas counted yet.
    pub fn exit(exit_code: ExitCode) -> Self {
        Self {
            exit_code,
            return_data: None,
            return_links: Vec::new(),
            gas_used: Gas::ZERO,
            created: None,
        }
    }

    /// A send refused before any code ran: `exit_code`, with `reason` as CBOR return data.
    pub fn refused(exit_code: ExitCode, reason: &str) -> Self {
        Self {
            return_data: IpldBlock::serialize_cbor(&reason).ok().flatten(),
            ..Self::exit(exit_code)
        }
    }
}

/// Result of a self-destruct (EIP-6780 semantics).
#[derive(Debug, Clone)]
pub struct SelfDestructOutcome {
    /// The balance moved (or burnt).
    pub moved: TokenAmount,
    /// The actor was created in this message and will be deleted when it ends.
    pub deleted: bool,
}

/// Message and invocation context.
pub trait MessageOps {
    fn context(&self) -> &InvocationContext;
    fn network(&self) -> &NetworkContext;
    /// The gas price the origin pays (Ethereum's GASPRICE): the message's, not the frame's,
    /// so frames do not each copy it (a big integer on the heap).
    fn gas_price(&self) -> &TokenAmount;
    /// The parameters this invocation received.
    fn params(&self) -> Option<&IpldBlock>;
    /// Takes the parameters out of the kernel, so a runtime that keeps its own copy does not
    /// hold two (later calls to `params` see `None`).
    fn take_params(&mut self) -> Option<IpldBlock>;
}

/// Gas accounting.
pub trait GasOps {
    fn charge_gas(&mut self, name: &'static str, gas: Gas) -> KResult<()>;
    fn gas_available(&self) -> Gas;
    fn gas_used(&self) -> Gas;
}

/// The receiver's own record.
pub trait SelfOps {
    fn root(&mut self) -> KResult<Cid>;
    fn set_root(&mut self, root: Cid) -> KResult<()>;
    fn current_balance(&mut self) -> KResult<TokenAmount>;
    /// The receiver's sequence (an EVM contract's nonce).
    fn nonce(&mut self) -> KResult<u64>;
    /// Increments the receiver's sequence and returns the old value.
    fn bump_nonce(&mut self) -> KResult<u64>;
    fn self_destruct(&mut self, beneficiary: &Address) -> KResult<SelfDestructOutcome>;
}

/// IPLD blocks, with the per-invocation reachability rule: an actor may only open blocks
/// reachable from its state root, its parameters or blocks it created.
pub trait IpldOps {
    fn block_get(&mut self, cid: &Cid) -> KResult<Vec<u8>>;
    /// Stores a block; every link in it must be reachable. Returns its CID (blake2b-256).
    fn block_put(&mut self, codec: u64, data: &[u8]) -> KResult<Cid>;
    /// Checks a block this frame is creating in memory: an allowed codec, within the size
    /// limit, well formed, and every link reachable by this frame (refused otherwise).
    fn check_block(&mut self, codec: u64, data: &[u8]) -> KResult<()>;
    /// The raw store, for trusted Rust runtimes only (built-ins, the EVM). No reachability
    /// checks and no gas.
    fn store(&self) -> &VmStore;
}

/// The receiver's slot storage and transient storage, plus per-message access tracking.
pub trait SlotOps {
    /// Returns the value and whether the slot was cold (first access in this message).
    fn slot_get(&mut self, key: &Word) -> KResult<(Word, bool)>;
    fn slot_set(&mut self, key: &Word, value: &Word) -> KResult<SlotWrite>;
    fn transient_get(&mut self, key: &Word) -> KResult<Word>;
    fn transient_set(&mut self, key: &Word, value: &Word) -> KResult<()>;
    /// Marks a 20-byte address warm (EIP-2929); true if it was cold.
    fn warm_address(&mut self, addr: [u8; 20]) -> bool;
    /// Adds to the message's gas refund counter (undone if this frame reverts).
    fn add_refund(&mut self, delta: i64);
}

/// Other actors.
pub trait ActorOps {
    fn resolve_address(&mut self, addr: &Address) -> KResult<Option<ActorID>>;
    fn actor_info(&mut self, id: ActorID) -> KResult<Option<ActorInfo>>;
    /// An actor's delegated (f4) address (`None` when it has none or does not exist); a
    /// cheaper `actor_info(id)?.delegated_address` for the EVM's per-frame address lookups.
    fn delegated_address(&mut self, id: ActorID) -> KResult<Option<Address>>;
    /// An actor's code CID (`None` when it does not exist): `actor_info(id)?.code` without
    /// copying the rest of the record.
    fn actor_code(&mut self, id: ActorID) -> KResult<Option<Cid>> {
        Ok(self.actor_info(id)?.map(|info| info.code))
    }
    /// Marks an actor as accessed in this message and says whether this was the first access
    /// (a cold lookup, EIP-2929's rule for accounts). Journaled: a reverted frame forgets its
    /// accesses. Runtimes price lookups by it; the kernel itself charges nothing.
    fn touch_actor(&mut self, id: ActorID) -> bool {
        let _ = id;
        true
    }
    /// Creates an actor record (Init actor only). Registers `robust` and `delegated` if given.
    fn create_actor(
        &mut self,
        code: Cid,
        robust: Option<Address>,
        delegated: Option<Address>,
    ) -> KResult<ActorID>;
    /// Whether an actor was created by the current message.
    fn created_in_message(&self, id: ActorID) -> bool;
    /// Installs user code with the first runtime that accepts it (Init actor only) and
    /// returns its code CID. The runtime validates and charges; see `Runtime::install`.
    fn install_code(&mut self, code: &[u8]) -> KResult<Cid> {
        let _ = code;
        syscall_error(
            ErrorNumber::IllegalOperation,
            "this kernel cannot install code",
        )
    }
}

/// Calls into other frames.
pub trait SendOps {
    fn send(&mut self, req: SendRequest) -> KResult<CallOutcome>;
    fn delegate_call(&mut self, req: DelegateRequest) -> KResult<CallOutcome>;
    fn create(&mut self, req: CreateRequest) -> KResult<CallOutcome>;
    /// Queues an asynchronous message (docs/async.md) and returns its id. Moves the value
    /// from the current actor to the queue. Unpriced like every op: the runtime charges
    /// `async_queue::reservation` first.
    fn send_async(&mut self, req: AsyncRequest) -> KResult<u64>;
}

pub trait EventOps {
    fn emit_event(&mut self, event: ActorEvent) -> KResult<()>;
}

pub trait CryptoOps {
    fn hash_blake2b256(&self, data: &[u8]) -> [u8; 32];
    fn hash_sha256(&self, data: &[u8]) -> [u8; 32];
    fn hash_keccak256(&self, data: &[u8]) -> [u8; 32];
    /// Recovers the uncompressed public key (65 bytes) from a hash and a 65-byte signature.
    fn recover_secp256k1(&self, hash: &[u8; 32], sig: &[u8; 65]) -> KResult<[u8; 65]>;
}

pub trait RandomnessOps {
    /// Deterministic randomness for `epoch`, separated by `tag` and `entropy`.
    fn randomness(&mut self, tag: i64, epoch: i64, entropy: &[u8]) -> KResult<[u8; 32]>;
}

/// The per-message bound on what a runtime's frames hold across the stack.
pub trait LimiterOps {
    fn limiter(&mut self) -> &mut crate::limiter::StackLimiter;
}

pub trait DebugOps {
    fn debug_enabled(&self) -> bool;
    fn debug_log(&mut self, msg: &str);
    /// The call trace being taken, if any (the EVM records opcode steps in it).
    fn tracer(&mut self) -> Option<&mut crate::trace::Tracer> {
        None
    }
    /// The test runner's hooks, when it installed them (never on a chain; see `cheats.rs`).
    fn cheats(&mut self) -> Option<crate::cheats::CheatAccess<'_>> {
        None
    }
}

/// Everything a runtime may ask of the VM.
pub trait Kernel:
    MessageOps
    + GasOps
    + SelfOps
    + IpldOps
    + SlotOps
    + ActorOps
    + SendOps
    + EventOps
    + CryptoOps
    + RandomnessOps
    + DebugOps
    + LimiterOps
{
}

impl<T> Kernel for T where
    T: MessageOps
        + GasOps
        + SelfOps
        + IpldOps
        + SlotOps
        + ActorOps
        + SendOps
        + EventOps
        + CryptoOps
        + RandomnessOps
        + DebugOps
        + LimiterOps
{
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn block_hashes_answer_only_what_they_hold() {
        let b = BlockHashes::new(10, vec![h(10), h(11), h(12)]);
        assert_eq!((b.first(), b.last(), b.len()), (10, Some(12), 3));
        assert_eq!(b.get(9), None);
        assert_eq!(b.get(10), Some(h(10)));
        assert_eq!(b.get(12), Some(h(12)));
        assert_eq!(b.get(13), None);
        assert_eq!(b.get(u64::MAX), None);
        assert_eq!(BlockHashes::default().last(), None);
    }

    #[test]
    fn extending_keeps_the_256_blocks_before() {
        let all: Vec<[u8; 32]> = (0..=255u8).map(h).collect();
        let b = BlockHashes::new(0, all.clone());
        // Block 256 follows block 255: all 256 before it stay.
        let next = b.extended(256, h(0xAA));
        assert_eq!((next.first(), next.last()), (0, Some(256)));
        // Block 257: block 0 falls out of the window.
        let after = next.extended(257, h(0xBB));
        assert_eq!((after.first(), after.last()), (1, Some(257)));
        assert_eq!(after.get(256), Some(h(0xAA)));
        // Replacing a held block drops what came after it.
        let replaced = after.extended(100, h(0xCC));
        assert_eq!((replaced.first(), replaced.last()), (1, Some(100)));
        assert_eq!(replaced.get(100), Some(h(0xCC)));
        assert_eq!(replaced.get(99), Some(h(99)));
        // A gap (or a block before the first) keeps only the new block.
        let gap = b.extended(300, h(1));
        assert_eq!((gap.first(), gap.last()), (300, Some(300)));
        let before = BlockHashes::new(10, vec![h(10)]).extended(5, h(5));
        assert_eq!((before.first(), before.last()), (5, Some(5)));
    }
}
