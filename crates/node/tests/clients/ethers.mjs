// ethers v6 against a Tandem node: deploy with a Wallet (waitForDeployment), transfer,
// contract.on over HTTP filters and over WebSocket, a JsonRpcSigner from
// provider.getSigner() (eth_sendTransaction), and a revert decoded by ethers.
// Env: TANDEM_RPC (http URL), TANDEM_ARTIFACTS (the evm-artifacts folder).
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { ethers } from 'ethers';

const url = process.env.TANDEM_RPC;
const wsUrl = url.replace(/^http/, 'ws');
const artifact = JSON.parse(readFileSync(
  `${process.env.TANDEM_ARTIFACTS}/openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json`, 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, what, ms = 15000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const provider = new ethers.JsonRpcProvider(url, undefined, { pollingInterval: 100 });
const network = await provider.getNetwork();
assert.equal(network.chainId, 31337n);
const wallet = new ethers.Wallet(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', provider);
const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, wallet);
const token = await factory.deploy('Tandem', 'TDM', ethers.parseEther('1000'), wallet.address);
await token.waitForDeployment();
const address = await token.getAddress();
console.log(`ethers: deployed ERC20 at ${address}`);

const seenHttp = [];
await token.on('Transfer', (from, to, value) => seenHttp.push({ from, to, value }));
const wsProvider = new ethers.WebSocketProvider(wsUrl);
const tokenWs = new ethers.Contract(address, artifact.abi, wsProvider);
const seenWs = [];
await tokenWs.on('Transfer', (from, to, value) => seenWs.push({ from, to, value }));
await sleep(500);

const tx = await token.transfer(bob, ethers.parseEther('5'));
const receipt = await tx.wait();
assert.equal(receipt.status, 1);
assert.equal(receipt.logs.length, 1);
assert.equal(await token.balanceOf(bob), ethers.parseEther('5'));
await until(() => seenHttp.some((e) => e.to === bob), 'contract.on over HTTP');
await until(() => seenWs.some((e) => e.to === bob), 'contract.on over WebSocket');
await token.removeAllListeners();
await tokenWs.removeAllListeners();
console.log('ethers: contract.on saw the transfer over HTTP filters and WebSocket');

// provider.getSigner(): the node fills, signs and sends (eth_sendTransaction).
const signer = await provider.getSigner(1);
assert.equal(await signer.getAddress(), bob);
const back = await token.connect(signer).transfer(wallet.address, 1n);
const backReceipt = await back.wait();
assert.equal(backReceipt.status, 1);
assert.equal(await token.balanceOf(bob), ethers.parseEther('5') - 1n);
const plain = await signer.sendTransaction({ to: wallet.address, value: 1234n });
assert.equal((await plain.wait()).status, 1);

// A revert, decoded.
try {
  await token.transfer.staticCall(bob, ethers.parseEther('1000000'));
  assert.fail('the transfer should revert');
} catch (err) {
  assert.equal(err.code, 'CALL_EXCEPTION', String(err));
  assert.equal(err.reason, 'ERC20: transfer amount exceeds balance');
}
try {
  await token.transfer(bob, ethers.parseEther('1000000'));
  assert.fail('estimating a reverting transfer should fail');
} catch (err) {
  assert.equal(err.code, 'CALL_EXCEPTION', String(err));
  assert.equal(err.reason, 'ERC20: transfer amount exceeds balance');
}

const block = await provider.getBlock('latest', true);
assert.equal(block.prefetchedTransactions[0].hash, plain.hash);
provider.destroy();
await wsProvider.destroy();
console.log('ethers: ok');
process.exit(0);
