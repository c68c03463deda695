// viem against a Tandem node: deploy an OpenZeppelin ERC20, transfer, wait for receipts,
// read, query logs, watch events (HTTP filters and WebSocket subscriptions), decode a
// revert, send through a JSON-RPC account (eth_sendTransaction), and sign with one
// (personal_sign, eth_signTypedData_v4), checked against viem's own verification.
// Env: TANDEM_RPC (http URL), TANDEM_ARTIFACTS (the evm-artifacts folder).
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, defineChain, http, webSocket, parseEther,
  BaseError, ContractFunctionRevertedError, verifyMessage, verifyTypedData,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const url = process.env.TANDEM_RPC;
const wsUrl = url.replace(/^http/, 'ws');
const artifact = JSON.parse(readFileSync(
  `${process.env.TANDEM_ARTIFACTS}/openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json`, 'utf8'));
const abi = artifact.abi;
const chain = defineChain({
  id: 31337, name: 'Tandem dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url], webSocket: [wsUrl] } },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, what, ms = 15000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const pub = createPublicClient({ chain, transport: http(url), pollingInterval: 100 });
const wallet = createWalletClient({ chain, transport: http(url), account });

assert.equal(await pub.getChainId(), 31337);
const deployHash = await wallet.deployContract({
  abi, bytecode: artifact.bytecode, args: ['Tandem', 'TDM', parseEther('1000'), account.address],
});
const deployed = await pub.waitForTransactionReceipt({ hash: deployHash });
assert.equal(deployed.status, 'success');
const token = deployed.contractAddress;
assert.ok(token, 'a deploy receipt names the contract');
console.log(`viem: deployed ERC20 at ${token} in block ${deployed.blockNumber}`);

// Watchers: HTTP polls filters (eth_newFilter / eth_getFilterChanges); WS subscribes.
const seenHttp = [];
const unwatchHttp = pub.watchContractEvent({
  address: token, abi, eventName: 'Transfer', pollingInterval: 100,
  onLogs: (logs) => seenHttp.push(...logs),
});
const wsClient = createPublicClient({ chain, transport: webSocket(wsUrl) });
const seenWs = [];
const unwatchWs = wsClient.watchContractEvent({
  address: token, abi, eventName: 'Transfer', onLogs: (logs) => seenWs.push(...logs),
});
await sleep(500);

const { request } = await pub.simulateContract({
  account, address: token, abi, functionName: 'transfer', args: [bob, parseEther('10')],
});
const transferHash = await wallet.writeContract(request);
const transferred = await pub.waitForTransactionReceipt({ hash: transferHash });
assert.equal(transferred.status, 'success');
assert.equal(transferred.logs.length, 1);

const bobBalance = await pub.readContract({ address: token, abi, functionName: 'balanceOf', args: [bob] });
assert.equal(bobBalance, parseEther('10'));
assert.equal(await pub.readContract({ address: token, abi, functionName: 'symbol' }), 'TDM');

const events = await pub.getContractEvents({ address: token, abi, eventName: 'Transfer', fromBlock: 0n });
assert.equal(events.length, 2, 'the mint and the transfer');
assert.equal(events[1].args.to, bob);
assert.equal(events[1].args.value, parseEther('10'));
const rawLogs = await pub.getLogs({ address: token, fromBlock: deployed.blockNumber, toBlock: 'latest' });
assert.equal(rawLogs.length, 2);

await until(() => seenHttp.some((l) => l.transactionHash === transferHash), 'the HTTP watcher');
await until(() => seenWs.some((l) => l.transactionHash === transferHash), 'the WebSocket watcher');
unwatchHttp();
unwatchWs();
console.log('viem: watchers saw the transfer over HTTP filters and WebSocket');

// An expected revert, decoded by viem.
try {
  await pub.simulateContract({
    account, address: token, abi, functionName: 'transfer', args: [bob, parseEther('1000000')],
  });
  assert.fail('the transfer should revert');
} catch (err) {
  assert.ok(err instanceof BaseError, String(err));
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
  assert.ok(revert, `not a decoded revert: ${err.message}`);
  assert.equal(revert.reason, 'ERC20: transfer amount exceeds balance');
}

// A JSON-RPC account: the node fills and signs (eth_sendTransaction).
const rpcWallet = createWalletClient({ chain, transport: http(url), account: bob });
const back = await rpcWallet.writeContract({
  address: token, abi, functionName: 'transfer', args: [account.address, 1n],
});
assert.equal((await pub.waitForTransactionReceipt({ hash: back })).status, 'success');
assert.equal(await pub.readContract({ address: token, abi, functionName: 'balanceOf', args: [bob] }),
  parseEther('10') - 1n);

const block = await pub.getBlock({ blockTag: 'latest', includeTransactions: true });
assert.equal(block.transactions[0].hash, back);
// The node signs for its dev accounts: EIP-191 messages and EIP-712 typed data.
const signed = await rpcWallet.signMessage({ message: 'hello Tandem' });
assert.ok(await verifyMessage({ address: bob, message: 'hello Tandem', signature: signed }));
assert.equal(signed, await privateKeyToAccount(
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
).signMessage({ message: 'hello Tandem' }), 'the same signature as the key itself gives');
const typed = {
  domain: { name: 'Tandem', version: '1', chainId: 31337, verifyingContract: token },
  types: { Permit: [{ name: 'owner', type: 'address' }, { name: 'value', type: 'uint256' },
    { name: 'note', type: 'string' }] },
  primaryType: 'Permit',
  message: { owner: bob, value: 5n, note: 'typed' },
};
const typedSig = await rpcWallet.signTypedData(typed);
assert.ok(await verifyTypedData({ address: bob, signature: typedSig, ...typed }));

await wsClient.transport.getRpcClient?.().then((c) => c.close()).catch(() => {});
console.log('viem: ok');
process.exit(0);
