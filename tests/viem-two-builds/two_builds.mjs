// One Tandem source, two builds, one node (issue 13). `tandem build --target all` compiled the
// ERC-20 corpus contract to EVM bytecode and to a native WASM actor. viem deploys the EVM build
// with ordinary eth_ methods; the native build is installed and created through Tandem's
// tandem_* methods. Then the same calls go to both and must get the same answers and events:
//
// - through viem (readContract / writeContract / simulateContract / getLogs): the native build
//   answers InvokeEVM with Solidity ABI calldata and its events are Ethereum logs;
// - through tandem_* with the native FRC-0042 entry (DAG-CBOR params and replies), where viem
//   has no say, compared with what viem reads from the EVM build; and the EVM build through
//   tandem_call's InvokeEVM, compared with the native build's ABI entry.
//
// Env: TANDEM_RPC (http URL), TOKEN_ARTIFACT (out/Token.tdm/Token.json), TOKEN_WASM
// (out/Token.tdm/Token.wasm). Prints "two builds: ok" at the end.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, defineChain, http, getAddress, parseEventLogs,
  encodeFunctionData, decodeFunctionResult, decodeErrorResult, BaseError, ContractFunctionRevertedError,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const url = process.env.TANDEM_RPC;
const artifact = JSON.parse(readFileSync(process.env.TOKEN_ARTIFACT, 'utf8'));
const wasm = readFileSync(process.env.TOKEN_WASM);
const { abi } = artifact;
const chain = defineChain({
  id: 31337, name: 'Tandem dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
// anvil's dev accounts 0 and 1.
const owner = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const bob = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const carol = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const pub = createPublicClient({ chain, transport: http(url) });
const asOwner = createWalletClient({ chain, transport: http(url), account: owner });
const asBob = createWalletClient({ chain, transport: http(url), account: bob });
const tandem = (method, ...params) => pub.request({ method, params });
const SUPPLY = 1_000_000n;

// ---- DAG-CBOR, just what the wire format of docs/wasm-target.md needs ----
function head(major, n) {
  const m = major << 5;
  if (n < 24) return Buffer.from([m | n]);
  if (n < 0x100) return Buffer.from([m | 24, n]);
  if (n < 0x10000) return Buffer.from([m | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5); b[0] = m | 26; b.writeUInt32BE(n, 1); return b;
}
const cbor = {
  bytes: (buf) => Buffer.concat([head(2, buf.length), buf]),
  array: (items) => Buffer.concat([head(4, items.length), ...items]),
  // Filecoin's BigInt: empty for 0, else a sign byte and the big-endian magnitude.
  bigint: (v) => {
    if (v === 0n) return cbor.bytes(Buffer.alloc(0));
    let hex = v.toString(16); if (hex.length % 2) hex = `0${hex}`;
    return cbor.bytes(Buffer.concat([Buffer.from([0]), Buffer.from(hex, 'hex')]));
  },
  // An f410 address: protocol 4, namespace 10, the 20 bytes.
  address: (eth) => cbor.bytes(Buffer.from(`040a${eth.slice(2)}`, 'hex')),
};
const hex = (buf) => `0x${buf.toString('hex')}`;
function decodeCbor(h) {
  const b = Buffer.from(h.replace(/^0x/, ''), 'hex');
  let i = 0;
  const arg = (info) => {
    if (info < 24) return info;
    const len = 1 << (info - 24);
    const v = b.readUIntBE(i, len); i += len; return v;
  };
  const item = () => {
    const first = b[i++]; const major = first >> 5; const info = first & 0x1f;
    switch (major) {
      case 0: return BigInt(arg(info));
      case 1: return -1n - BigInt(arg(info));
      case 2: { const n = arg(info); const v = b.subarray(i, i + n); i += n; return v; }
      case 3: { const n = arg(info); const v = b.subarray(i, i + n).toString('utf8'); i += n; return v; }
      case 4: { const n = arg(info); return Array.from({ length: n }, item); }
      case 7: if (info === 20) return false; if (info === 21) return true; break;
    }
    throw new Error(`unexpected CBOR at ${i - 1}: ${h}`);
  };
  const v = item();
  assert.equal(i, b.length, `trailing CBOR bytes in ${h}`);
  return v;
}
const fromBigInt = (buf) => (buf.length === 0 ? 0n
  : (buf[0] === 1 ? -1n : 1n) * BigInt(`0x${buf.subarray(1).toString('hex') || '0'}`));

// ---- 1. the two builds ----
const deployHash = await asOwner.deployContract({ abi, bytecode: artifact.bytecode.object, args: [SUPPLY] });
const deployed = await pub.waitForTransactionReceipt({ hash: deployHash });
assert.equal(deployed.status, 'success');
const evm = getAddress(deployed.contractAddress);

const installed = await tandem('tandem_installCode', owner.address, hex(wasm));
assert.equal(installed.exitCode, 0, JSON.stringify(installed));
const created = await tandem('tandem_createActor', owner.address, installed.codeCid,
  hex(cbor.array([cbor.bigint(SUPPLY)])));
assert.equal(created.exitCode, 0, JSON.stringify(created));
const native = getAddress(created.ethAddress);
const nativeId = created.idAddress;
console.log(`two builds: EVM build at ${evm}, native build ${nativeId} (${native}, code ${installed.codeCid})`);
assert.equal((await tandem('tandem_getActor', nativeId)).code, installed.codeCid);
const both = { evm, native };

// The artifact's method table is what the node hashes FRC-0042 names to.
for (const m of artifact.wasm.methods) {
  assert.equal(BigInt(await tandem('tandem_methodNumber', m.variant)), BigInt(m.method), m.variant);
}
const methodOf = (variant) => artifact.wasm.methods.find((m) => m.variant === variant).method;

// ---- 2. the same calls through viem, the same answers ----
const read = (address, functionName, args = []) => pub.readContract({ address, abi, functionName, args });
async function sameReads(what) {
  const calls = [
    ['name'], ['symbol'], ['decimals'], ['totalSupply'],
    ['balanceOf', [owner.address]], ['balanceOf', [bob.address]], ['balanceOf', [carol]],
    ['allowance', [owner.address, bob.address]],
  ];
  const out = {};
  for (const [fn, args] of calls) {
    const [a, b] = [await read(evm, fn, args), await read(native, fn, args)];
    assert.deepEqual(b, a, `${what}: ${fn}(${args ?? ''}) differs: EVM ${a}, native ${b}`);
    out[`${fn}(${(args ?? []).join(',')})`] = a;
  }
  return out;
}
let state = await sameReads('after deploy');
assert.equal(state['name()'], 'Tandem Token');
assert.equal(state['balanceOf(' + owner.address + ')'], SUPPLY);

async function sameWrite(wallet, functionName, args) {
  const out = {};
  for (const [which, address] of Object.entries(both)) {
    const hash = await wallet.writeContract({ address, abi, functionName, args });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success', `${which} ${functionName}`);
    assert.equal(receipt.logs.length > 0, true, `${which} ${functionName}: no logs`);
    for (const log of receipt.logs) assert.equal(getAddress(log.address), address, `${which}: log address`);
    out[which] = receipt.logs.map(({ topics, data }) => ({ topics, data }));
  }
  assert.deepEqual(out.native, out.evm, `${functionName}: the events differ`);
  return parseEventLogs({ abi, logs: out.evm.map((l) => ({ ...l, address: evm })) });
}
const [sent] = await sameWrite(asOwner, 'transfer', [bob.address, 250n]);
assert.equal(sent.eventName, 'Transfer');
assert.deepEqual(sent.args, { from: owner.address, to: bob.address, value: 250n });
const [approved] = await sameWrite(asOwner, 'approve', [bob.address, 100n]);
assert.equal(approved.eventName, 'Approval');
await sameWrite(asBob, 'transferFrom', [owner.address, carol, 60n]);
state = await sameReads('after transfer, approve, transferFrom');
assert.equal(state[`balanceOf(${carol})`], 60n);
assert.equal(state[`allowance(${owner.address},${bob.address})`], 40n);

// simulateContract: the same answer for a call that succeeds, the same custom error for one
// that reverts.
for (const [which, address] of Object.entries(both)) {
  const { result } = await pub.simulateContract({ account: bob, address, abi, functionName: 'transfer', args: [carol, 1n] });
  assert.equal(result, true, which);
}
async function revertOf(address, account, functionName, args) {
  try {
    await pub.simulateContract({ account, address, abi, functionName, args });
  } catch (err) {
    assert.ok(err instanceof BaseError, String(err));
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    assert.ok(revert, `not a decoded revert: ${err.message}`);
    return { name: revert.data?.errorName, args: revert.data?.args };
  }
  assert.fail(`${functionName} should revert`);
}
for (const [fn, account, args, name] of [
  ['transfer', bob, [carol, 10_000n], 'ERC20InsufficientBalance'],
  ['transferFrom', bob, [owner.address, carol, 41n], 'ERC20InsufficientAllowance'],
  ['transfer', owner, ['0x0000000000000000000000000000000000000000', 1n], 'ERC20InvalidReceiver'],
  ['approve', owner, ['0x0000000000000000000000000000000000000000', 1n], 'ERC20InvalidSpender'],
]) {
  const [a, b] = [await revertOf(evm, account, fn, args), await revertOf(native, account, fn, args)];
  assert.equal(a.name, name, `${fn}: ${JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  assert.deepEqual(b, a, `${fn}: the reverts differ`);
}

// ---- 3. the native FRC-0042 entry through tandem_* (DAG-CBOR), against the EVM build ----
const frc = async (variant, params) => {
  const r = await tandem('tandem_call', { from: owner.address, to: nativeId, method: variant, params: hex(params) });
  assert.equal(r.exitCode, 0, `${variant}: ${JSON.stringify(r)}`);
  return r.return ? decodeCbor(r.return) : undefined;
};
assert.equal(fromBigInt(await frc('BalanceOf', cbor.array([cbor.address(bob.address)]))),
  await read(evm, 'balanceOf', [bob.address]));
assert.equal(fromBigInt(await frc('Allowance', cbor.array([cbor.address(owner.address), cbor.address(bob.address)]))),
  await read(evm, 'allowance', [owner.address, bob.address]));
assert.equal(fromBigInt(await frc('TotalSupply', cbor.array([]))), await read(evm, 'totalSupply'));
assert.equal(await frc('Name', cbor.array([])), await read(evm, 'name'));
assert.equal(await frc('Decimals', cbor.array([])), BigInt(await read(evm, 'decimals')));

// A transfer as a native message (method "Send" by its FRC-0042 name), and the same transfer
// on the EVM build through viem: the same balances after, the same event, served as an
// Ethereum log under the message CID's digest.
const msg = await tandem('tandem_sendMessage', {
  from: owner.address, to: nativeId, method: 'Send', params: hex(cbor.array([cbor.address(carol), cbor.bigint(7n)])),
});
assert.equal(msg.exitCode, 0, JSON.stringify(msg));
assert.equal(decodeCbor(msg.return), true);
assert.equal(Number(msg.events), 1, JSON.stringify(msg));
const sendHash = await asOwner.writeContract({ address: evm, abi, functionName: 'transfer', args: [carol, 7n] });
const sendReceipt = await pub.waitForTransactionReceipt({ hash: sendHash });
const [nativeLog] = await pub.getLogs({ address: native, blockHash: (await pub.getBlock({ blockNumber: BigInt(msg.block) })).hash });
assert.ok(nativeLog, 'the native message\'s event is an Ethereum log');
assert.deepEqual(nativeLog.topics, sendReceipt.logs[0].topics);
assert.equal(nativeLog.data, sendReceipt.logs[0].data);
state = await sameReads('after a native message and its EVM twin');
assert.equal(state[`balanceOf(${carol})`], 67n);

// A native message that fails: the Solidity revert data of the EVM build, exit 33.
const failed = await tandem('tandem_call', {
  from: bob.address, to: nativeId, method: methodOf('Send'), params: hex(cbor.array([cbor.address(carol), cbor.bigint(1n << 100n)])),
});
assert.equal(failed.exitCode, 33, JSON.stringify(failed));
const evmFail = await pub.call({
  account: bob.address, to: evm,
  data: encodeFunctionData({ abi, functionName: 'transfer', args: [carol, 1n << 100n] }),
}).then(() => assert.fail('should revert'), (e) => e.walk((x) => x.data)?.data);
// The return block of exit 33 is IPLD_RAW: the revert data itself.
assert.equal(failed.return, evmFail, `revert data: native ${failed.return}, EVM ${evmFail}`);
assert.equal(decodeErrorResult({ abi, data: evmFail }).errorName, 'ERC20InsufficientBalance');

// The EVM build and the native build's ABI entry through tandem_call's InvokeEVM (calldata
// as a CBOR byte string) give byte-identical ABI return data.
const calldata = encodeFunctionData({ abi, functionName: 'balanceOf', args: [carol] });
const viaTandem = {};
for (const [which, to] of Object.entries({ evm, native: nativeId })) {
  const r = await tandem('tandem_call', { from: owner.address, to, method: 'InvokeEVM', params: hex(cbor.bytes(Buffer.from(calldata.slice(2), 'hex'))) });
  assert.equal(r.exitCode, 0, `${which}: ${JSON.stringify(r)}`);
  viaTandem[which] = r.return;
}
assert.equal(viaTandem.native, viaTandem.evm, `InvokeEVM replies: ${JSON.stringify(viaTandem)}`);
assert.equal(decodeFunctionResult({ abi, functionName: 'balanceOf', data: viaTandem.native }), 67n);

// ---- 4. the whole history as logs: the same events in the same order ----
const history = {};
for (const [which, address] of Object.entries(both)) {
  const logs = await pub.getLogs({ address, fromBlock: 0n, toBlock: 'latest' });
  history[which] = logs.map(({ topics, data }) => ({ topics, data }));
  const parsed = parseEventLogs({ abi, logs });
  assert.equal(parsed[0].eventName, 'Transfer', `${which}: the constructor's mint first`);
  assert.deepEqual(parsed[0].args, { from: '0x0000000000000000000000000000000000000000', to: owner.address, value: SUPPLY });
}
assert.deepEqual(history.native, history.evm, 'the logs of the two builds differ');
assert.equal(history.evm.length, 5, `mint, transfer, approve, transferFrom, the native message's twin: ${history.evm.length}`);
console.log(`two builds: ${history.evm.length} events alike; balances ${JSON.stringify(state, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
console.log('two builds: ok');
