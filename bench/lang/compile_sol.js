// Compiles the Solidity twins (Coin.sol, Token.sol) with solc-js (viaIR + optimizer) and prints
// their init/runtime code as JSON: `init`/`runtime` for the Coin, `token_init`/`token_runtime`
// for the ERC-20.
const solc = require('solc');
const fs = require('fs');
const src = (f) => ({ content: fs.readFileSync(__dirname + '/' + f, 'utf8') });
const input = {
  language: 'Solidity',
  sources: { 'Coin.sol': src('Coin.sol'), 'Token.sol': src('Token.sol') },
  settings: { viaIR: true, optimizer: { enabled: true, runs: 200 }, evmVersion: 'prague',
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
if (out.errors && out.errors.some(e => e.severity === 'error')) { console.error(out.errors); process.exit(1); }
const coin = out.contracts['Coin.sol'].Coin;
const token = out.contracts['Token.sol'].Token;
console.log(JSON.stringify({
  init: coin.evm.bytecode.object, runtime: coin.evm.deployedBytecode.object,
  token_init: token.evm.bytecode.object, token_runtime: token.evm.deployedBytecode.object,
  solc: solc.version(),
}));
