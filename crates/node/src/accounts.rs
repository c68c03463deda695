//! The dev accounts: the ten keys anvil and Hardhat derive from the `test … junk` mnemonic
//! (BIP-44 path m/44'/60'/0'/0/i), each an Ethereum account funded at genesis.

use alloy_primitives::{Address, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};
use fvm_shared::econ::TokenAmount;
use tandem_actors::genesis::{Genesis, GenesisAccount};
use tandem_vm::eth::EthAddress;
use tandem_vm::message::secp256k1_address;

pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
pub const DEV_ACCOUNTS: u32 = 10;
/// 10,000 ETH in wei.
pub const DEV_BALANCE_WEI: u128 = 10_000 * 1_000_000_000_000_000_000;

/// A dev account the node signs for (`eth_sendTransaction`).
#[derive(Clone)]
pub struct DevAccount {
    pub address: Address,
    pub signer: PrivateKeySigner,
}

impl DevAccount {
    /// The private key as 0x-hex (for the start-up banner).
    pub fn private_key_hex(&self) -> String {
        format!("0x{}", hex::encode(self.signer.credential().to_bytes()))
    }

    pub fn sign_hash(&self, hash: &B256) -> anyhow::Result<alloy_primitives::Signature> {
        Ok(self.signer.sign_hash_sync(hash)?)
    }
}

/// Derives the first `count` dev accounts of the mnemonic.
pub fn dev_accounts(count: u32) -> anyhow::Result<Vec<DevAccount>> {
    (0..count)
        .map(|i| {
            let signer = MnemonicBuilder::english()
                .phrase(DEV_MNEMONIC)
                .index(i)?
                .build()?;
            Ok(DevAccount {
                address: signer.address(),
                signer,
            })
        })
        .collect()
}

/// The node's genesis: the Ethereum dev accounts, plus the f1 dev keys of `tandem chain
/// init` so that native messages can be signed with `tandem send` on the same data dir.
pub fn genesis(accounts: &[DevAccount], f1_keys: &[k256::ecdsa::SigningKey]) -> Genesis {
    let balance = TokenAmount::from_atto(DEV_BALANCE_WEI);
    let eth = accounts.iter().map(|a| GenesisAccount {
        address: EthAddress(a.address.into_array()).to_filecoin(),
        balance: balance.clone(),
    });
    let f1 = f1_keys.iter().map(|k| GenesisAccount {
        address: secp256k1_address(k),
        balance: balance.clone(),
    });
    Genesis {
        network_name: "tandem-dev".into(),
        accounts: eth.chain(f1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_anvil_and_hardhat() {
        let accounts = dev_accounts(2).unwrap();
        assert_eq!(
            accounts[0].address.to_checksum(None),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
        assert_eq!(
            accounts[0].private_key_hex(),
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        );
        assert_eq!(
            accounts[1].address.to_checksum(None),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        );
    }
}
