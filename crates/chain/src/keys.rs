//! Dev keys: deterministic secp256k1 keys for local chains, kept in the data dir so that
//! `tandem send --from` can sign.

use std::path::Path;

use anyhow::Context;
use fvm_shared::address::Address;
use k256::ecdsa::SigningKey;
use multihash_codetable::{Code, MultihashDigest};
use serde::{Deserialize, Serialize};
use tandem_vm::message::secp256k1_address;

/// The n-th dev key: the same on every machine, like anvil's and Hardhat's dev accounts.
pub fn dev_key(index: u32) -> SigningKey {
    let mut counter = 0u32;
    loop {
        let mut seed = b"tandem/dev-key/".to_vec();
        seed.extend_from_slice(&index.to_be_bytes());
        seed.extend_from_slice(&counter.to_be_bytes());
        let digest = Code::Blake2b256.digest(&seed);
        if let Ok(key) = SigningKey::from_slice(digest.digest()) {
            return key;
        }
        counter += 1;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    pub address: String,
    pub private_key: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KeyFile {
    pub keys: Vec<StoredKey>,
}

impl KeyFile {
    pub fn from_keys(keys: &[SigningKey]) -> Self {
        Self {
            keys: keys
                .iter()
                .map(|k| StoredKey {
                    address: secp256k1_address(k).to_string(),
                    private_key: hex::encode(k.to_bytes()),
                })
                .collect(),
        }
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a Tandem key file", path.display()))
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// The signing key of an address, if this file has it.
    pub fn key_for(&self, addr: &Address) -> anyhow::Result<Option<SigningKey>> {
        let wanted = addr.to_string();
        for k in &self.keys {
            if k.address == wanted {
                let bytes = hex::decode(&k.private_key).context("a stored key is not hex")?;
                return Ok(Some(
                    SigningKey::from_slice(&bytes).context("a stored key is invalid")?,
                ));
            }
        }
        Ok(None)
    }
}
