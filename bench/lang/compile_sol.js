// Compiles the Solidity twins (Coin.sol, Token.sol, ERC721.sol, Auction.sol, Vault.sol) with
// solc-js (viaIR + optimizer, 200 runs, Prague) and prints one JSON line: `<Contract>_init`
// and `<Contract>_runtime` (hex) for each, and `solc` (the compiler's version).
const solc = require('solc');
const fs = require('fs');
const twins = { 'Coin.sol': 'Coin', 'Token.sol': 'Token', 'ERC721.sol': 'ERC721',
  'Auction.sol': 'Auction', 'Vault.sol': 'Vault' };
const sources = {};
for (const f of Object.keys(twins)) sources[f] = { content: fs.readFileSync(__dirname + '/' + f, 'utf8') };
const input = {
  language: 'Solidity',
  sources,
  settings: { viaIR: true, optimizer: { enabled: true, runs: 200 }, evmVersion: 'prague',
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
if (out.errors && out.errors.some(e => e.severity === 'error')) { console.error(out.errors); process.exit(1); }
const result = { solc: solc.version() };
for (const [file, name] of Object.entries(twins)) {
  const c = out.contracts[file][name];
  result[name + '_init'] = c.evm.bytecode.object;
  result[name + '_runtime'] = c.evm.deployedBytecode.object;
}
console.log(JSON.stringify(result));
