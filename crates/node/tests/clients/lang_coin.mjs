// The new-user path: `tandem init coin && tandem build` wrote a Foundry-shaped artifact;
// viem deploys it on a Tandem node as it would any solc artifact, calls it, reads the
// event, and decodes the custom error of a failing transfer.
// Env: TANDEM_RPC (http URL), TANDEM_COIN_ARTIFACT (out/Coin.tdm/Coin.json).
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, defineChain, http, parseEventLogs,
  BaseError, ContractFunctionRevertedError,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const url = process.env.TANDEM_RPC;
const artifact = JSON.parse(readFileSync(process.env.TANDEM_COIN_ARTIFACT, 'utf8'));
const { abi } = artifact;
const chain = defineChain({
  id: 31337, name: 'Tandem dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const pub = createPublicClient({ chain, transport: http(url) });
const wallet = createWalletClient({ chain, transport: http(url), account });

const hash = await wallet.deployContract({ abi, bytecode: artifact.bytecode.object, args: [1000n] });
const deployed = await pub.waitForTransactionReceipt({ hash });
assert.equal(deployed.status, 'success');
const coin = deployed.contractAddress;
console.log(`lang: Tandem Coin deployed at ${coin}`);
assert.equal(await pub.getCode({ address: coin }), artifact.deployedBytecode.object);

const read = (functionName, args = []) => pub.readContract({ address: coin, abi, functionName, args });
assert.equal(await read('totalSupply'), 1000n);
assert.equal(await read('balanceOf', [account.address]), 1000n);

const tx = await wallet.writeContract({ address: coin, abi, functionName: 'transfer', args: [bob, 250n] });
const receipt = await pub.waitForTransactionReceipt({ hash: tx });
assert.equal(receipt.status, 'success');
const [event] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Transferred' });
assert.equal(event.args.to, bob);
assert.equal(event.args.value, 250n);
assert.equal(await read('balanceOf', [bob]), 250n);

try {
  await pub.simulateContract({ account: bob, address: coin, abi, functionName: 'transfer', args: [account.address, 251n] });
  assert.fail('the transfer should revert');
} catch (err) {
  assert.ok(err instanceof BaseError, String(err));
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
  assert.ok(revert, `not a decoded revert: ${err.message}`);
  assert.equal(revert.data.errorName, 'InsufficientBalance');
  assert.deepEqual(revert.data.args, [250n, 251n]);
}
console.log('lang: ok');
