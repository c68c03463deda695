// Shared by differential.rs and fixtures.rs (included).

struct Built {
    evm_init: Vec<u8>,
    wasm: Vec<u8>,
    ir: tandem_lang_ir::Contract,
}

fn build(files: &[(String, String)]) -> Result<Vec<Built>, String> {
    let evm = tandem_lang_driver::compile_sources(files)?;
    let wasm = tandem_lang_driver::compile_wasm(files)?;
    Ok(evm
        .into_iter()
        .zip(wasm)
        .map(|(e, w)| Built {
            evm_init: e.init_code,
            wasm: w.wasm,
            ir: e.contract,
        })
        .collect())
}

struct Pair<'a> {
    evm: Address,
    native: u64,
    c: &'a Built,
}

fn deploy<'a>(d: &mut Dual, c: &'a Built, from: Address, args: &[DynSolValue], value: U256) -> Result<Option<Pair<'a>>, String> {
    let mut data = c.evm_init.clone();
    data.extend(DynSolValue::Tuple(args.to_vec()).abi_encode_params());
    let (a, created) = d.eth(from, None, data, value);
    let tys: Vec<_> = c.ir.init.params.iter().map(|p| p.ty.clone()).collect();
    let ctor = cbor::params(d, args, &tys)?;
    let b = d.deploy_native(from, &c.wasm, ctor, value);
    if a.success != b.is_ok() {
        return Err(format!("deploy of {}: EVM success {}, WASM {:?}", c.ir.name, a.success, b.err()));
    }
    let Ok((id, _)) = b else { return Ok(None) };
    let evm = created.ok_or("no created address")?;
    d.twins.insert(evm, id);
    Ok(Some(Pair { evm, native: id, c }))
}

/// Sends the call to both builds; their outcomes (the WASM one in Ethereum terms).
fn call(d: &mut Dual, p: &Pair<'_>, from: Address, sig: &str, args: &[DynSolValue], value: U256) -> Result<(Seen, Seen), String> {
    let sel = &keccak256(sig.as_bytes())[..4];
    let i = p.c.ir.meta.handlers.iter().position(|h| h.selector[..] == *sel);
    let i = i.ok_or_else(|| format!("no handler `{sig}`"))?;
    let (h, meta) = (&p.c.ir.handlers[i], &p.c.ir.meta.handlers[i]);
    let mut data = sel.to_vec();
    data.extend(DynSolValue::Tuple(args.to_vec()).abi_encode_params());
    let (a, _) = d.eth(from, Some(p.evm), data, value);
    let tys: Vec<_> = h.params.iter().map(|p| p.ty.clone()).collect();
    let params = cbor::params(d, args, &tys)?;
    let to = fvm_shared::address::Address::new_id(p.native);
    let (exit, ret, events, gas, time) = d.native(from, to, meta.method_number, params, value);
    let output = match exit {
        0 => Some(cbor::reply_to_abi(d, &ret, &h.returns).map_err(|e| format!("{sig}: reply: {e}"))?),
        33 => {
            let mut r = ret.clone();
            d.map_words(&mut r);
            Some(r)
        }
        _ => None,
    };
    let logs = events
        .into_iter()
        .map(|(mut t, mut data)| {
            for w in &mut t {
                d.map_words(w.as_mut_slice());
            }
            d.map_words(&mut data);
            (t, data)
        })
        .collect();
    let b = Seen { success: exit == 0, output, logs, gas, time };
    let outputs_agree = match (&a.output, &b.output) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    if a.success != b.success || !outputs_agree || a.logs != b.logs {
        return Err(format!(
            "{sig}: the targets differ:\n  EVM:  {:?} {:?} {:?}\n  WASM: exit {exit} {:?} {:?} (raw 0x{})",
            a.success, a.output.as_deref().map(hex), a.logs, b.output.as_deref().map(hex), b.logs, hex(&ret)
        ));
    }
    Ok((a, b))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

