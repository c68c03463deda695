// Compiles Coin.sol with solc-js (viaIR + optimizer) and prints init/runtime code as JSON.
const solc = require('solc');
const fs = require('fs');
const input = {
  language: 'Solidity',
  sources: { 'Coin.sol': { content: fs.readFileSync(__dirname + '/Coin.sol', 'utf8') } },
  settings: { viaIR: true, optimizer: { enabled: true, runs: 200 }, evmVersion: 'prague',
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
if (out.errors && out.errors.some(e => e.severity === 'error')) { console.error(out.errors); process.exit(1); }
const c = out.contracts['Coin.sol'].Coin;
console.log(JSON.stringify({ init: c.evm.bytecode.object, runtime: c.evm.deployedBytecode.object }));
