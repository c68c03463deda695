"""web3.py against a Tandem node: constructor().transact() with only `from` (the node fills
gas, nonce and fees and signs), wait_for_transaction_receipt, events, a revert, and a
locally signed transaction. Env: TANDEM_RPC (http URL), TANDEM_ARTIFACTS."""

import json
import os
import sys

from web3 import Web3
from web3.exceptions import ContractLogicError

url = os.environ["TANDEM_RPC"]
artifact_path = os.path.join(
    os.environ["TANDEM_ARTIFACTS"], "openzeppelin-contracts-4.9.6", "ERC20PresetFixedSupply.json"
)
with open(artifact_path) as f:
    artifact = json.load(f)

w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
assert w3.is_connected()
assert w3.eth.chain_id == 31337
alice, bob = w3.eth.accounts[0], w3.eth.accounts[1]
assert alice == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", alice

Token = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
tx_hash = Token.constructor("Tandem", "TDM", Web3.to_wei(1000, "ether"), alice).transact({"from": alice})
receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.1)
assert receipt.status == 1
token = w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])
print(f"web3.py: deployed ERC20 at {receipt.contractAddress}")

transfer_filter = token.events.Transfer.create_filter(from_block="latest")
tx_hash = token.functions.transfer(bob, Web3.to_wei(3, "ether")).transact({"from": alice})
receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.1)
assert receipt.status == 1
assert token.functions.balanceOf(bob).call() == Web3.to_wei(3, "ether")

events = token.events.Transfer().process_receipt(receipt)
assert len(events) == 1 and events[0]["args"]["to"] == bob
logs = token.events.Transfer.get_logs(from_block=0)
assert len(logs) == 2, logs
changes = transfer_filter.get_new_entries()
assert any(e["transactionHash"] == tx_hash for e in changes), changes

try:
    token.functions.transfer(bob, Web3.to_wei(10**6, "ether")).call({"from": alice})
    raise AssertionError("the transfer should revert")
except ContractLogicError as err:
    assert "ERC20: transfer amount exceeds balance" in str(err), err

# A locally signed transaction through eth_sendRawTransaction.
key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # dev account 1
tx = token.functions.transfer(alice, 7).build_transaction(
    {"from": bob, "nonce": w3.eth.get_transaction_count(bob, "pending")}
)
signed = w3.eth.account.sign_transaction(tx, key)
raw = getattr(signed, "raw_transaction", None) or signed.rawTransaction
tx_hash = w3.eth.send_raw_transaction(raw)
receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.1)
assert receipt.status == 1
assert token.functions.balanceOf(bob).call() == Web3.to_wei(3, "ether") - 7

block = w3.eth.get_block("latest", full_transactions=True)
assert block["transactions"][0]["hash"] == tx_hash
print("web3.py: ok")
sys.exit(0)
