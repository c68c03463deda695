//! The kernel every frame gets: the op traits over the call manager, plus the frame's
//! reachable set of blocks.

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{CBOR, DAG_CBOR, IPLD_RAW};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::{ErrorNumber, ExitCode};
use fvm_shared::event::{ActorEvent, StampedEvent};
use multihash_codetable::{Code, MultihashDigest};
use rustc_hash::FxHashSet;
use tandem_state::{SlotWrite, Word};

use crate::ActorID;
use crate::builtin::{BURNT_FUNDS_ACTOR_ID, BuiltinCode, INIT_ACTOR_ID};
use crate::call_manager::CallManager;
use crate::gas::Gas;
use crate::kernel::*;
use crate::limiter::StackLimiter;
use crate::runtime::InvokeReturn;
use crate::store::VmStore;

/// Blocks larger than this are refused (as in ref-fvm).
pub const MAX_BLOCK_SIZE: usize = 1 << 20;

pub struct DefaultKernel<'a, 'm> {
    cm: &'a mut CallManager<'m>,
    ctx: InvocationContext,
    params: Option<IpldBlock>,
    /// Fx, not SipHash: touched on every state read. Its keys are CIDs (content hashes the
    /// frame paid to create or was granted), and its size is bounded by the frame's gas.
    reachable: FxHashSet<Cid>,
    /// The state root `root` last returned, reachable beside `reachable`: most frames read
    /// their root and nothing else (every EVM frame), so they never fill the set.
    own_root: Option<Cid>,
    /// The runtime is Tandem's own code (see `Runtime::trusted`).
    trusted: bool,
}

impl<'a, 'm> DefaultKernel<'a, 'm> {
    /// `granted` are the links in `params` that the sender could reach; links the sender
    /// could not reach grant nothing (top-level params grant nothing at all).
    pub(crate) fn new(
        cm: &'a mut CallManager<'m>,
        ctx: InvocationContext,
        params: Option<IpldBlock>,
        granted: Vec<Cid>,
        trusted: bool,
    ) -> Self {
        Self {
            cm,
            ctx,
            params,
            reachable: granted.into_iter().collect(),
            own_root: None,
            trusted,
        }
    }

    fn state(&mut self) -> &mut tandem_state::StateTree<VmStore> {
        &mut self.cm.machine.state
    }

    fn require_writable(&self) -> KResult<()> {
        if self.ctx.read_only {
            return syscall_error(
                ErrorNumber::ReadOnly,
                "state changes are not allowed in a read-only frame",
            );
        }
        Ok(())
    }

    fn can_reach(&self, cid: &Cid) -> bool {
        self.own_root.as_ref() == Some(cid) || self.reachable.contains(cid)
    }

    fn mark_links_reachable(&mut self, codec: u64, data: &[u8]) -> KResult<()> {
        let reachable = &mut self.reachable;
        tandem_state::links::scan_links(codec, data, |c| {
            reachable.insert(c);
        })
        .map_err(|e| ExecutionError::Syscall(ErrorNumber::Serialization, format!("{e:#}")))
    }

    /// The links of a block that this frame can reach, and whether any it cannot.
    fn reachable_links(&self, codec: u64, data: &[u8]) -> KResult<(Vec<Cid>, Option<Cid>)> {
        let mut links = Vec::new();
        let mut unreachable = None;
        tandem_state::links::scan_links(codec, data, |c| {
            if self.can_reach(&c) {
                links.push(c);
            } else if unreachable.is_none() {
                unreachable = Some(c);
            }
        })
        .map_err(|e| ExecutionError::Syscall(ErrorNumber::Serialization, format!("{e:#}")))?;
        Ok((links, unreachable))
    }

    /// Vets what the frame returns before its transaction ends, so a bad return fails the
    /// callee (and rolls it back) rather than the caller: the block must be well formed.
    /// Returns the links in it the callee could reach, which the caller may open. (No size
    /// limit here: native actors' blocks are bounded when made, and EVM return data is
    /// priced by Ethereum's memory schedule and may be larger, as on Ethereum.)
    pub(crate) fn vet_return(&mut self, ret: InvokeReturn) -> (InvokeReturn, Vec<Cid>) {
        let Some(block) = &ret.data else {
            return (ret, Vec::new());
        };
        match self.reachable_links(block.codec, &block.data) {
            Ok((links, _)) => (ret, links),
            Err(_) => (bad_return("malformed return block"), Vec::new()),
        }
    }
}

fn bad_return(reason: &str) -> InvokeReturn {
    InvokeReturn::exit(
        ExitCode::SYS_MISSING_RETURN,
        IpldBlock::serialize_cbor(&reason).ok().flatten(),
    )
}

impl MessageOps for DefaultKernel<'_, '_> {
    fn context(&self) -> &InvocationContext {
        &self.ctx
    }

    fn network(&self) -> &NetworkContext {
        &self.cm.machine.network
    }

    fn gas_price(&self) -> &TokenAmount {
        &self.cm.origin.gas_price
    }

    fn params(&self) -> Option<&IpldBlock> {
        self.params.as_ref()
    }

    fn take_params(&mut self) -> Option<IpldBlock> {
        self.params.take()
    }
}

impl LimiterOps for DefaultKernel<'_, '_> {
    fn limiter(&mut self) -> &mut StackLimiter {
        &mut self.cm.limiter
    }
}

impl GasOps for DefaultKernel<'_, '_> {
    fn charge_gas(&mut self, name: &'static str, gas: Gas) -> KResult<()> {
        Ok(self.cm.charge_gas(name, gas)?)
    }

    fn gas_available(&self) -> Gas {
        self.cm.gas.available()
    }

    fn gas_used(&self) -> Gas {
        self.cm.gas.used()
    }
}

impl SelfOps for DefaultKernel<'_, '_> {
    fn root(&mut self) -> KResult<Cid> {
        let root = self.cm.read_actor(self.ctx.receiver, |a| a.state)?;
        // A root read before stays reachable.
        if let Some(earlier) = self.own_root.replace(root)
            && earlier != root
        {
            self.reachable.insert(earlier);
        }
        Ok(root)
    }

    fn set_root(&mut self, root: Cid) -> KResult<()> {
        self.require_writable()?;
        let allowed =
            self.can_reach(&root) || (self.trusted && self.cm.machine.store().has(&root)?);
        if !allowed {
            return syscall_error(ErrorNumber::NotFound, "new state root is not reachable");
        }
        let id = self.ctx.receiver;
        self.state().mutate_actor(id, |a| {
            a.state = root;
            Ok(())
        })?;
        Ok(())
    }

    fn current_balance(&mut self) -> KResult<TokenAmount> {
        self.cm.read_actor(self.ctx.receiver, |a| a.balance.clone())
    }

    fn nonce(&mut self) -> KResult<u64> {
        self.cm.read_actor(self.ctx.receiver, |a| a.sequence)
    }

    fn bump_nonce(&mut self) -> KResult<u64> {
        self.require_writable()?;
        let id = self.ctx.receiver;
        Ok(self.state().mutate_actor(id, |a| {
            let old = a.sequence;
            a.sequence = old.saturating_add(1);
            Ok(old)
        })?)
    }

    fn self_destruct(&mut self, beneficiary: &Address) -> KResult<SelfDestructOutcome> {
        self.require_writable()?;
        let me = self.ctx.receiver;
        let balance = self.cm.read_actor(me, |a| a.balance.clone())?;
        let deleted = self.cm.machine.state.created_in_message(me);
        // An address whose actor was deleted (self-destructed earlier) is as good as empty:
        // paying it goes through a send, which puts a placeholder there, as on Ethereum.
        let target = match self.cm.machine.state.lookup_id(beneficiary)? {
            Some(id) if self.cm.machine.state.actor_ref(id)?.is_some() => Some(id),
            _ => None,
        };
        match target {
            Some(to) if to != me => {
                self.cm.transfer(me, to, &balance)?;
            }
            Some(_) => {
                // To itself: the balance stays, unless the actor goes away, then it burns.
                if deleted {
                    self.cm.transfer(me, BURNT_FUNDS_ACTOR_ID, &balance)?;
                }
            }
            None => {
                let req = SendRequest {
                    to: *beneficiary,
                    method: crate::builtin::METHOD_SEND,
                    params: None,
                    value: balance.clone(),
                    gas_limit: None,
                    read_only: false,
                };
                let out = self.cm.send(me, req, false)?;
                if !out.is_success() {
                    return syscall_error(
                        ErrorNumber::IllegalOperation,
                        "could not pay the beneficiary",
                    );
                }
            }
        }
        if deleted {
            self.cm.machine.state.mark_destructed(me);
        }
        Ok(SelfDestructOutcome {
            moved: balance,
            deleted,
        })
    }
}

impl IpldOps for DefaultKernel<'_, '_> {
    fn block_get(&mut self, cid: &Cid) -> KResult<Vec<u8>> {
        if !self.can_reach(cid) {
            return syscall_error(
                ErrorNumber::NotFound,
                format!("block {cid} is not reachable"),
            );
        }
        let data = self.cm.machine.store().get(cid)?.ok_or_else(|| {
            ExecutionError::Fatal(anyhow::anyhow!("reachable block {cid} is missing"))
        })?;
        self.mark_links_reachable(cid.codec(), &data)?;
        Ok(data)
    }

    fn block_put(&mut self, codec: u64, data: &[u8]) -> KResult<Cid> {
        self.check_block(codec, data)?;
        let cid = Cid::new_v1(codec, Code::Blake2b256.digest(data));
        self.cm.machine.store().put_keyed(&cid, data)?;
        self.reachable.insert(cid);
        Ok(cid)
    }

    fn check_block(&mut self, codec: u64, data: &[u8]) -> KResult<()> {
        if !matches!(codec, DAG_CBOR | CBOR | IPLD_RAW) {
            return syscall_error(
                ErrorNumber::IllegalCodec,
                format!("codec {codec:#x} is not allowed"),
            );
        }
        if data.len() > MAX_BLOCK_SIZE {
            return syscall_error(ErrorNumber::LimitExceeded, "block too large");
        }
        if let (_, Some(c)) = self.reachable_links(codec, data)? {
            return syscall_error(
                ErrorNumber::NotFound,
                format!("block links to {c}, which this actor cannot reach"),
            );
        }
        Ok(())
    }

    fn store(&self) -> &VmStore {
        self.cm.machine.store()
    }
}

impl SlotOps for DefaultKernel<'_, '_> {
    fn slot_get(&mut self, key: &Word) -> KResult<(Word, bool)> {
        let id = self.ctx.receiver;
        Ok(self.state().slot_get(id, key)?)
    }

    fn slot_set(&mut self, key: &Word, value: &Word) -> KResult<SlotWrite> {
        self.require_writable()?;
        let id = self.ctx.receiver;
        Ok(self.state().slot_set(id, key, value)?)
    }

    fn transient_get(&mut self, key: &Word) -> KResult<Word> {
        let id = self.ctx.receiver;
        Ok(self.state().transient_get(id, key))
    }

    fn transient_set(&mut self, key: &Word, value: &Word) -> KResult<()> {
        self.require_writable()?;
        let id = self.ctx.receiver;
        self.state().transient_set(id, key, value);
        Ok(())
    }

    fn warm_address(&mut self, addr: [u8; 20]) -> bool {
        self.state().warm_address(addr)
    }

    fn add_refund(&mut self, delta: i64) {
        self.state().add_refund(delta);
    }
}

impl ActorOps for DefaultKernel<'_, '_> {
    fn resolve_address(&mut self, addr: &Address) -> KResult<Option<ActorID>> {
        let Some(id) = self.state().lookup_id(addr)? else {
            return Ok(None);
        };
        Ok(self.state().actor_ref(id)?.map(|_| id))
    }

    fn actor_info(&mut self, id: ActorID) -> KResult<Option<ActorInfo>> {
        Ok(self.state().get_actor(id)?.map(|a| ActorInfo {
            id,
            code: a.code,
            state: a.state,
            sequence: a.sequence,
            balance: a.balance,
            delegated_address: a.delegated_address,
        }))
    }

    fn delegated_address(&mut self, id: ActorID) -> KResult<Option<Address>> {
        Ok(self.state().delegated_address(id)?)
    }

    fn actor_code(&mut self, id: ActorID) -> KResult<Option<Cid>> {
        Ok(self.state().actor_ref(id)?.map(|a| a.code))
    }

    fn touch_actor(&mut self, id: ActorID) -> bool {
        self.state().warm_actor(id)
    }

    fn create_actor(
        &mut self,
        code: Cid,
        robust: Option<Address>,
        delegated: Option<Address>,
    ) -> KResult<ActorID> {
        if BuiltinCode::from_cid(&self.ctx.code) != Some(BuiltinCode::Init)
            || self.ctx.receiver != INIT_ACTOR_ID
        {
            return syscall_error(ErrorNumber::Forbidden, "only the Init actor creates actors");
        }
        self.require_writable()?;
        self.cm.new_actor(code, robust, delegated)
    }

    fn created_in_message(&self, id: ActorID) -> bool {
        self.cm.machine.state.created_in_message(id)
    }

    fn install_code(&mut self, code: &[u8]) -> KResult<Cid> {
        if BuiltinCode::from_cid(&self.ctx.code) != Some(BuiltinCode::Init)
            || self.ctx.receiver != INIT_ACTOR_ID
        {
            return syscall_error(ErrorNumber::Forbidden, "only the Init actor installs code");
        }
        self.require_writable()?;
        let runtimes = self.cm.machine.runtimes.clone();
        for runtime in runtimes.iter() {
            if let Some(cid) = runtime.install(self, code)? {
                return Ok(cid);
            }
        }
        syscall_error(
            ErrorNumber::IllegalArgument,
            "no runtime installs code (is the WASM runtime registered?)",
        )
    }
}

impl SendOps for DefaultKernel<'_, '_> {
    fn send(&mut self, req: SendRequest) -> KResult<CallOutcome> {
        let mut from = self.ctx.receiver;
        let by = from;
        if let Some(c) = self.cm.machine.cheats.as_deref_mut() {
            from = c.sender_for(by, &req.to);
        }
        let to = req.to;
        let read_only = self.ctx.read_only;
        // The callee may open only what the sender could: other links pass as plain data.
        let granted = match &req.params {
            Some(p) => self.reachable_links(p.codec, &p.data)?.0,
            None => Vec::new(),
        };
        // Init alone sends constructors: the actor that called it is the one creating.
        let creator = (self.ctx.receiver == crate::builtin::INIT_ACTOR_ID
            && req.method == crate::builtin::METHOD_CONSTRUCTOR)
            .then_some(self.ctx.caller);
        let out = self
            .cm
            .send_granting(from, req, read_only, granted, creator)?;
        if let Some(c) = self.cm.machine.cheats.as_deref_mut() {
            c.after_send(by, &to, &out);
        }
        self.reachable.extend(out.return_links.iter().copied());
        Ok(out)
    }

    fn delegate_call(&mut self, req: DelegateRequest) -> KResult<CallOutcome> {
        let receiver = self.ctx.receiver;
        let read_only = self.ctx.read_only;
        self.cm.delegate_call(receiver, req, read_only)
    }

    fn create(&mut self, req: CreateRequest) -> KResult<CallOutcome> {
        if req.on_behalf_of.is_some() && self.ctx.receiver != crate::builtin::EAM_ACTOR_ID {
            return syscall_error(
                ErrorNumber::Forbidden,
                "only the EAM creates on behalf of another actor",
            );
        }
        let from = self.ctx.receiver;
        let read_only = self.ctx.read_only;
        self.cm.create(from, req, read_only)
    }

    fn send_async(&mut self, req: AsyncRequest) -> KResult<u64> {
        use crate::async_queue::{self, AsyncEntry, MAX_GAS, MAX_PARAMS};
        self.require_writable()?;
        let reply_gas = req.reply.as_ref().map_or(0, |r| r.gas_limit);
        if req.gas_limit.saturating_add(reply_gas) > MAX_GAS {
            return syscall_error(
                ErrorNumber::LimitExceeded,
                format!("an async message and its reply may reserve at most {MAX_GAS} gas"),
            );
        }
        let (params_codec, params) = match req.params {
            Some(p) => (p.codec, p.data),
            None => (0, Vec::new()),
        };
        if params.len() > MAX_PARAMS {
            return syscall_error(
                ErrorNumber::LimitExceeded,
                format!("async params are at most {MAX_PARAMS} bytes"),
            );
        }
        if params_codec != 0 && ![CBOR, DAG_CBOR, IPLD_RAW].contains(&params_codec) {
            return syscall_error(
                ErrorNumber::IllegalCodec,
                format!("async params codec {params_codec:#x} is not CBOR, DAG-CBOR or raw"),
            );
        }
        if let Some(reply) = &req.reply
            && !(reply.evm_selector.is_empty() || reply.evm_selector.len() == 4)
        {
            return syscall_error(ErrorNumber::IllegalArgument, "a reply selector is 4 bytes");
        }
        let from = self.ctx.receiver;
        let balance = self.cm.read_actor(from, |a| a.balance.clone())?;
        if balance < req.value {
            return syscall_error(
                ErrorNumber::InsufficientFunds,
                format!(
                    "balance {} cannot send {}",
                    balance.atto(),
                    req.value.atto()
                ),
            );
        }
        let entry = AsyncEntry {
            id: 0,
            from,
            origin: self.ctx.origin,
            to: req.to,
            method: req.method,
            params_codec,
            params: params.into(),
            value: req.value.clone(),
            gas_limit: req.gas_limit,
            reply: req.reply,
            sent_epoch: self.cm.machine.network.epoch,
        };
        let id = match async_queue::enqueue(self.state(), entry)? {
            Ok(id) => id,
            Err(async_queue::QueueFull) => {
                return syscall_error(
                    ErrorNumber::LimitExceeded,
                    format!(
                        "the async queue is full ({} messages)",
                        async_queue::MAX_PENDING
                    ),
                );
            }
        };
        self.cm
            .transfer(from, crate::builtin::ASYNC_QUEUE_ACTOR_ID, &req.value)?;
        Ok(id)
    }
}

impl EventOps for DefaultKernel<'_, '_> {
    fn emit_event(&mut self, event: ActorEvent) -> KResult<()> {
        self.require_writable()?;
        let stamped = StampedEvent::new(self.ctx.receiver, event);
        if let Some(t) = self.cm.machine.tracer.as_mut() {
            t.event(&stamped);
        }
        self.cm.events.push(stamped);
        Ok(())
    }
}

impl CryptoOps for DefaultKernel<'_, '_> {
    fn hash_blake2b256(&self, data: &[u8]) -> [u8; 32] {
        digest32(Code::Blake2b256, data)
    }

    fn hash_sha256(&self, data: &[u8]) -> [u8; 32] {
        digest32(Code::Sha2_256, data)
    }

    fn hash_keccak256(&self, data: &[u8]) -> [u8; 32] {
        // alloy's keccak (the assembly backend), as revm's KECCAK256 uses.
        alloy_primitives::keccak256(data).0
    }

    fn recover_secp256k1(&self, hash: &[u8; 32], sig: &[u8; 65]) -> KResult<[u8; 65]> {
        crate::crypto::recover_secp256k1(hash, sig)
            .map_err(|e| ExecutionError::Syscall(ErrorNumber::IllegalArgument, e.to_string()))
    }
}

fn digest32(code: Code, data: &[u8]) -> [u8; 32] {
    let mh = code.digest(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mh.digest()[..32]);
    out
}

impl RandomnessOps for DefaultKernel<'_, '_> {
    fn randomness(&mut self, tag: i64, epoch: i64, entropy: &[u8]) -> KResult<[u8; 32]> {
        if epoch > self.cm.machine.network.epoch {
            return syscall_error(ErrorNumber::IllegalArgument, "randomness from the future");
        }
        let mut input = Vec::with_capacity(48 + entropy.len());
        input.extend_from_slice(&self.cm.machine.network.prev_randao);
        input.extend_from_slice(&tag.to_be_bytes());
        input.extend_from_slice(&epoch.to_be_bytes());
        input.extend_from_slice(entropy);
        Ok(digest32(Code::Blake2b256, &input))
    }
}

impl DebugOps for DefaultKernel<'_, '_> {
    fn debug_enabled(&self) -> bool {
        self.cm.machine.debug
    }

    fn debug_log(&mut self, msg: &str) {
        if self.cm.machine.debug {
            tracing::info!(target: "tandem::actor", actor = self.ctx.receiver, "{msg}");
        }
    }

    fn tracer(&mut self) -> Option<&mut crate::trace::Tracer> {
        self.cm.machine.tracer.as_deref_mut()
    }

    fn cheats(&mut self) -> Option<crate::cheats::CheatAccess<'_>> {
        let m = &mut *self.cm.machine;
        Some(crate::cheats::CheatAccess {
            cheats: m.cheats.as_deref_mut()?,
            network: &mut m.network,
            state: &mut m.state,
        })
    }
}
