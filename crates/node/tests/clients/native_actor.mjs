// A native WASM actor and an EVM contract on one node: viem deploys an OpenZeppelin ERC20
// and funds the actor's Ethereum address; the actor (examples/actors/evm-caller) is
// installed and created over `tandem_*` RPC, then a native message makes it call the
// ERC20's `transfer`. viem reads the balances and finds the Transfer log, emitted inside the
// native message, through eth_getLogs. A failing inner call rolls back and reports its exit
// code; a read-only `tandem_call` sees the new balance.
// Env: TANDEM_RPC (http URL), TANDEM_ARTIFACTS (the evm-artifacts folder),
//      TANDEM_ACTOR_WASM (the evm-caller module).
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, defineChain, http, parseEther, encodeFunctionData,
  decodeFunctionResult, parseEventLogs, getAddress,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const url = process.env.TANDEM_RPC;
const artifact = JSON.parse(readFileSync(
  `${process.env.TANDEM_ARTIFACTS}/openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json`, 'utf8'));
const abi = artifact.abi;
const wasm = readFileSync(process.env.TANDEM_ACTOR_WASM);
const chain = defineChain({
  id: 31337, name: 'Tandem dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const pub = createPublicClient({ chain, transport: http(url) });
const wallet = createWalletClient({ chain, transport: http(url), account });
const tandem = (method, ...params) => pub.request({ method, params });

// CBOR: a byte string header (major type 2) and a two-element array of byte strings.
function cborBytes(hex) {
  const b = Buffer.from(hex.replace(/^0x/, ''), 'hex');
  let head;
  if (b.length < 24) head = Buffer.from([0x40 | b.length]);
  else if (b.length < 256) head = Buffer.from([0x58, b.length]);
  else head = Buffer.from([0x59, b.length >> 8, b.length & 0xff]);
  return Buffer.concat([head, b]);
}
function callEvmParams(contract, calldata) {
  // The callee as an f410 address: protocol 4, namespace 10 (the EAM), then 20 bytes.
  const f410 = `0x040a${contract.slice(2).toLowerCase()}`;
  return '0x' + Buffer.concat([Buffer.from([0x82]), cborBytes(f410), cborBytes(calldata)]).toString('hex');
}
// The CBOR byte string returned by CallEvm, as hex.
function cborBytesValue(hex) {
  const b = Buffer.from(hex.replace(/^0x/, ''), 'hex');
  const info = b[0] & 0x1f;
  const [start, len] = info < 24 ? [1, info] : info === 24 ? [2, b[1]] : [3, (b[1] << 8) | b[2]];
  return '0x' + b.subarray(start, start + len).toString('hex');
}

// 1. viem deploys the ERC20.
const deployHash = await wallet.deployContract({
  abi, bytecode: artifact.bytecode, args: ['Tandem', 'TDM', parseEther('1000'), account.address],
});
const deployed = await pub.waitForTransactionReceipt({ hash: deployHash });
assert.equal(deployed.status, 'success');
const token = deployed.contractAddress;
console.log(`native: viem deployed ERC20 at ${token}`);

// 2. The native actor is installed and created over RPC.
const installed = await tandem('tandem_installCode', account.address, `0x${wasm.toString('hex')}`);
assert.equal(installed.exitCode, 0, JSON.stringify(installed));
assert.ok(installed.codeCid, 'InstallCode returns the code CID');
const created = await tandem('tandem_createActor', account.address, installed.codeCid);
assert.equal(created.exitCode, 0, JSON.stringify(created));
const actor = getAddress(created.ethAddress);
console.log(`native: actor ${created.idAddress} (${actor}) from code ${installed.codeCid}`);
const info = await tandem('tandem_getActor', created.idAddress);
assert.equal(info.code, installed.codeCid);

// 3. viem funds the actor's Ethereum address with tokens.
const fund = await wallet.writeContract({
  address: token, abi, functionName: 'transfer', args: [actor, parseEther('100')],
});
assert.equal((await pub.waitForTransactionReceipt({ hash: fund })).status, 'success');

// 4. A native message: the actor calls transfer(bob, 40) on the ERC20.
const transfer = encodeFunctionData({ abi, functionName: 'transfer', args: [bob, parseEther('40')] });
const sent = await tandem('tandem_sendMessage', {
  from: account.address, to: created.idAddress, method: 'CallEvm',
  params: callEvmParams(token, transfer),
});
assert.equal(sent.exitCode, 0, JSON.stringify(sent));
const ok = decodeFunctionResult({ abi, functionName: 'transfer', data: cborBytesValue(sent.return) });
assert.equal(ok, true, 'the ERC20 answered true through the actor');
const waited = await tandem('tandem_waitMessage', sent.cid, 5000);
assert.equal(waited.block, sent.block);

const read = (who) => pub.readContract({ address: token, abi, functionName: 'balanceOf', args: [who] });
assert.equal(await read(bob), parseEther('40'));
assert.equal(await read(actor), parseEther('60'));

// The Transfer log emitted inside the native message, through eth_getLogs.
const block = BigInt(sent.block);
const logs = parseEventLogs({
  abi, eventName: 'Transfer',
  logs: await pub.getLogs({ address: token, fromBlock: block, toBlock: block }),
});
assert.equal(logs.length, 1, 'one Transfer log in the message block');
assert.equal(getAddress(logs[0].args.from), actor);
assert.equal(getAddress(logs[0].args.to), bob);
assert.equal(logs[0].args.value, parseEther('40'));
console.log(`native: Transfer log ${logs[0].transactionHash} in block ${block}`);

// 5. A failing inner call (more than the actor holds) aborts the message; nothing changes.
const tooMuch = encodeFunctionData({ abi, functionName: 'transfer', args: [bob, parseEther('61')] });
const failed = await tandem('tandem_sendMessage', {
  from: account.address, to: created.idAddress, method: 'CallEvm',
  params: callEvmParams(token, tooMuch),
});
assert.notEqual(failed.exitCode, 0, 'a reverted ERC20 call fails the message');
assert.equal(await read(bob), parseEther('40'));
assert.equal(await read(actor), parseEther('60'));

// 6. A read-only call through the actor sees the balance; nothing is mined.
const before = await pub.getBlockNumber();
const balanceOf = encodeFunctionData({ abi, functionName: 'balanceOf', args: [bob] });
const call = await tandem('tandem_call', {
  from: account.address, to: created.idAddress, method: 'CallEvm',
  params: callEvmParams(token, balanceOf),
});
assert.equal(call.exitCode, 0, JSON.stringify(call));
assert.equal(
  decodeFunctionResult({ abi, functionName: 'balanceOf', data: cborBytesValue(call.return) }),
  parseEther('40'));
assert.equal(await pub.getBlockNumber(), before);

console.log('native: ok');
