//! An FRC-46-style fungible token. Metadata lives in a DAG-CBOR state block; balances and
//! allowances live in host-managed slot storage (`SlotMap`), keyed by actor ID.
//!
//! Methods (params and returns DAG-CBOR, derived structs, so arrays of their fields):
//! `Constructor({name, symbol, supply})` mints `supply` to the creator (the message's
//! origin); `Name`, `Symbol`, `TotalSupply`, `BalanceOf({owner})`,
//! `Transfer({to, amount}) -> from's balance`, `IncreaseAllowance({spender, amount}) ->
//! allowance`, `Allowance({owner, spender})`, `TransferFrom({from, to, amount}) -> allowance
//! left`. Transfers emit ERC-20's `Transfer(address indexed from, address indexed to,
//! uint256 value)`, which the node serves as an Ethereum log. The module carries its schema
//! (`tandem:schema`), so `tandem send --params-json '{"to":"f0101","amount":"5"}'` works.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    extern crate alloc;

    use alloc::string::String;
    use alloc::vec::Vec;
    use tandem_sdk::*;

    /// The constructor's params, and the state block.
    #[derive(Cbor)]
    pub struct Meta {
        pub name: String,
        pub symbol: String,
        pub supply: TokenAmount,
    }

    #[derive(Cbor)]
    pub struct BalanceOfParams {
        pub owner: Address,
    }

    #[derive(Cbor)]
    pub struct TransferParams {
        pub to: Address,
        pub amount: TokenAmount,
    }

    #[derive(Cbor)]
    pub struct IncreaseAllowanceParams {
        pub spender: Address,
        pub amount: TokenAmount,
    }

    #[derive(Cbor)]
    pub struct AllowanceParams {
        pub owner: Address,
        pub spender: Address,
    }

    #[derive(Cbor)]
    pub struct TransferFromParams {
        pub from: Address,
        pub to: Address,
        pub amount: TokenAmount,
    }

    /// ERC-20's event: topic0 = keccak("Transfer(address,address,uint256)").
    #[derive(Event)]
    pub struct Transfer {
        #[indexed]
        pub from: Address,
        #[indexed]
        pub to: Address,
        pub value: TokenAmount,
    }

    const BALANCES: SlotMap<'static> = SlotMap(b"bal");
    const ALLOWANCES: SlotMap<'static> = SlotMap(b"alw");

    fn id_of(addr: &Address) -> Result<u64, ActorError> {
        resolve(addr.as_bytes()).ok_or_else(|| ActorError::new(USR_NOT_FOUND, "unknown address"))
    }

    /// The address Ethereum tools know an actor by: its f410 address if it has one, else
    /// its ID (logged as the masked ID `0xff00…`).
    fn eth_address(id: u64) -> Address {
        lookup_delegated(id)
            .and_then(|b| Address::from_bytes(&b).ok())
            .unwrap_or_else(|| Address::id(id))
    }

    fn pair(a: u64, b: u64) -> Vec<u8> {
        let mut k = a.to_le_bytes().to_vec();
        k.extend_from_slice(&b.to_le_bytes());
        k
    }

    fn constructor(p: Meta) -> Result<(), ActorError> {
        // The constructor is called by the Init actor: mint to the account that created us.
        let creator = message().origin;
        BALANCES.set(&creator.to_le_bytes(), p.supply.0)?;
        save_state(&p)
    }

    fn name(_: ()) -> Result<String, ActorError> {
        Ok(load_state::<Meta>()?.name)
    }

    fn symbol(_: ()) -> Result<String, ActorError> {
        Ok(load_state::<Meta>()?.symbol)
    }

    fn total_supply(_: ()) -> Result<TokenAmount, ActorError> {
        Ok(load_state::<Meta>()?.supply)
    }

    fn balance_of(p: BalanceOfParams) -> Result<TokenAmount, ActorError> {
        Ok(TokenAmount(BALANCES.get(&id_of(&p.owner)?.to_le_bytes())?))
    }

    fn move_tokens(from: u64, to: u64, amount: u128) -> Result<u128, ActorError> {
        let from_balance = BALANCES.get(&from.to_le_bytes())?;
        let left = from_balance
            .checked_sub(amount)
            .ok_or_else(|| ActorError::new(USR_INSUFFICIENT_FUNDS, "insufficient balance"))?;
        BALANCES.set(&from.to_le_bytes(), left)?;
        let to_balance = BALANCES.get(&to.to_le_bytes())?;
        let credited = to_balance
            .checked_add(amount)
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_STATE, "overflow"))?;
        BALANCES.set(&to.to_le_bytes(), credited)?;
        emit(&Transfer {
            from: eth_address(from),
            to: eth_address(to),
            value: TokenAmount(amount),
        })?;
        Ok(left)
    }

    fn transfer(p: TransferParams) -> Result<TokenAmount, ActorError> {
        let to = id_of(&p.to)?;
        move_tokens(message().caller, to, p.amount.0).map(TokenAmount)
    }

    fn increase_allowance(p: IncreaseAllowanceParams) -> Result<TokenAmount, ActorError> {
        let key = pair(message().caller, id_of(&p.spender)?);
        let new = ALLOWANCES
            .get(&key)?
            .checked_add(p.amount.0)
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_STATE, "overflow"))?;
        ALLOWANCES.set(&key, new)?;
        Ok(TokenAmount(new))
    }

    fn allowance(p: AllowanceParams) -> Result<TokenAmount, ActorError> {
        Ok(TokenAmount(
            ALLOWANCES.get(&pair(id_of(&p.owner)?, id_of(&p.spender)?))?,
        ))
    }

    fn transfer_from(p: TransferFromParams) -> Result<TokenAmount, ActorError> {
        let from = id_of(&p.from)?;
        let key = pair(from, message().caller);
        let left = ALLOWANCES
            .get(&key)?
            .checked_sub(p.amount.0)
            .ok_or_else(|| ActorError::new(USR_FORBIDDEN, "allowance exceeded"))?;
        ALLOWANCES.set(&key, left)?;
        move_tokens(from, id_of(&p.to)?, p.amount.0)?;
        Ok(TokenAmount(left))
    }

    tandem_sdk::dispatch! {
        events { Transfer }
        "Constructor" => constructor,
        "Name" => name,
        "Symbol" => symbol,
        "TotalSupply" => total_supply,
        "BalanceOf" => balance_of,
        "Transfer" => transfer,
        "IncreaseAllowance" => increase_allowance,
        "Allowance" => allowance,
        "TransferFrom" => transfer_from,
    }
}
