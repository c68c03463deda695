//! The event block of `event_emit`, decoded without serde.
//!
//! An event block is fvm_shared's `ActorEvent` in DAG-CBOR: an array of entries, each
//! `[flags, key, codec, value]` (unsigned, text, unsigned, bytes). This reads exactly that
//! shape straight into `ActorEvent`, and accepts what the serde decoder (`fvm_ipld_encoding`)
//! accepted, which a test holds it to on valid blocks and on every single-byte corruption and
//! truncation of them: integer heads of any width, definite lengths only, text that is UTF-8,
//! no bytes after the array. Going through serde cost about a tenth of a token `Transfer`.

use fvm_shared::event::{ActorEvent, Entry, Flags};

/// Why a block is not an event (the syscall reports `Serialization` for all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAnEvent;

/// Decodes an event block.
pub fn decode_event(data: &[u8]) -> Result<ActorEvent, NotAnEvent> {
    let mut r = Reader { data, at: 0 };
    let n = r.head(4)?;
    // Every entry takes at least 5 bytes: a cap that never pre-allocates more than the block.
    let mut entries = Vec::with_capacity((n as usize).min(data.len() / 5));
    for _ in 0..n {
        if r.head(4)? != 4 {
            return Err(NotAnEvent);
        }
        let flags = Flags::from_bits_retain(r.head(0)?);
        let key = std::str::from_utf8(r.bytes(3)?).map_err(|_| NotAnEvent)?;
        let key = key.to_owned();
        let codec = r.head(0)?;
        let value = r.bytes(2)?.to_vec();
        entries.push(Entry {
            flags,
            key,
            codec,
            value,
        });
    }
    if r.at != data.len() {
        return Err(NotAnEvent);
    }
    Ok(ActorEvent { entries })
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], NotAnEvent> {
        let end = self.at.checked_add(n).ok_or(NotAnEvent)?;
        let s = self.data.get(self.at..end).ok_or(NotAnEvent)?;
        self.at = end;
        Ok(s)
    }

    /// An item head of major type `major`: its argument. Indefinite lengths (and the
    /// reserved additional values) are refused.
    fn head(&mut self, major: u8) -> Result<u64, NotAnEvent> {
        let b = self.take(1)?[0];
        if b >> 5 != major {
            return Err(NotAnEvent);
        }
        let width = match b & 0x1f {
            n @ 0..24 => return Ok(u64::from(n)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(NotAnEvent),
        };
        let mut word = [0u8; 8];
        word[8 - width..].copy_from_slice(self.take(width)?);
        Ok(u64::from_be_bytes(word))
    }

    /// A byte or text string of major type `major`.
    fn bytes(&mut self, major: u8) -> Result<&'a [u8], NotAnEvent> {
        let len = self.head(major)?;
        self.take(usize::try_from(len).map_err(|_| NotAnEvent)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(flags: u64, key: &str, codec: u64, value: &[u8]) -> Entry {
        Entry {
            flags: Flags::from_bits_retain(flags),
            key: key.into(),
            codec,
            value: value.to_vec(),
        }
    }

    fn serde(data: &[u8]) -> Option<ActorEvent> {
        fvm_ipld_encoding::from_slice::<ActorEvent>(data).ok()
    }

    fn samples() -> Vec<ActorEvent> {
        vec![
            ActorEvent::from(vec![]),
            ActorEvent::from(vec![entry(3, "t1", 0x55, &[7; 32])]),
            ActorEvent::from(vec![
                entry(3, "t1", 0x55, &[1; 32]),
                entry(3, "t2", 0x55, &[2; 32]),
                entry(3, "t3", 0x55, &[3; 32]),
                entry(3, "d", 0x55, &[4; 300]),
            ]),
            ActorEvent::from(vec![
                entry(u64::MAX, &"k".repeat(30), u64::MAX, &[]),
                entry(0, "", 0x71, &[0; 24]),
                entry(1 << 40, "ключ", 1 << 20, &[9; 70_000]),
            ]),
        ]
    }

    #[test]
    fn decodes_what_serde_encodes() {
        for ev in samples() {
            let bytes = fvm_ipld_encoding::to_vec(&ev).unwrap();
            assert_eq!(decode_event(&bytes), Ok(ev));
        }
    }

    /// Whatever this accepts, serde accepts as the same event. Where serde accepts and this
    /// does not, the block is not the event's encoding: serde reads some heads without
    /// checking their major type (an unsigned integer as an array or byte-string length, a
    /// byte string as text), so it takes blocks that are not DAG-CBOR of an event at all.
    fn agree(b: &[u8], what: &str) {
        match (decode_event(b).ok(), serde(b)) {
            (Some(ours), theirs) => assert_eq!(Some(ours), theirs, "{what}"),
            (None, None) => {}
            (None, Some(theirs)) => {
                let canonical = fvm_ipld_encoding::to_vec(&theirs).unwrap();
                assert_ne!(canonical, b, "{what}: refused an event's own encoding");
                let mut heads = Reader { data: b, at: 0 };
                assert!(
                    mistyped_head(&mut heads),
                    "{what}: serde-only block without a mistyped head"
                );
            }
        }
    }

    /// Walks the event shape reading heads of any major type; true if one has the wrong one.
    fn mistyped_head(r: &mut Reader<'_>) -> bool {
        let major = |r: &mut Reader<'_>, want: u8| -> Option<bool> {
            let b = *r.data.get(r.at)?;
            let wrong = b >> 5 != want;
            let len = r.head(b >> 5).ok()?;
            if want == 2 || want == 3 {
                r.take(usize::try_from(len).ok()?).ok()?;
            }
            Some(wrong)
        };
        let Some(top) = r.data.first().map(|b| b >> 5) else {
            return false;
        };
        if top != 4 {
            return true;
        }
        let Ok(n) = r.head(4) else { return false };
        for _ in 0..n {
            for want in [4, 0, 3, 0, 2] {
                match major(r, want) {
                    Some(true) => return true,
                    Some(false) => {}
                    None => return false,
                }
            }
        }
        false
    }

    /// Every truncation and every single-byte change of valid blocks.
    #[test]
    fn agrees_with_serde_on_corruptions() {
        let mut checked = 0;
        for ev in samples().into_iter().take(3) {
            let bytes = fvm_ipld_encoding::to_vec(&ev).unwrap();
            for cut in 0..bytes.len() {
                agree(&bytes[..cut], &format!("cut at {cut}"));
            }
            let mut longer = bytes.clone();
            longer.push(0);
            agree(&longer, "a byte more");
            for i in 0..bytes.len().min(200) {
                for v in [
                    0x00, 0x01, 0x17, 0x18, 0x1b, 0x1f, 0x20, 0x40, 0x5f, 0x60, 0x7f, 0x80,
                ]
                .into_iter()
                .chain([0x84, 0x9f, 0xa0, 0xc0, 0xd8, 0xf4, 0xf6, 0xff, 0xe0, 0x41])
                {
                    let mut b = bytes.clone();
                    b[i] = v;
                    agree(&b, &format!("byte {i} := {v:#x}"));
                    checked += 1;
                }
            }
        }
        assert!(checked > 1_000);
    }

    /// Heads wider than they need to be (serde accepts them) and bad UTF-8 (refused).
    #[test]
    fn wide_heads_and_bad_text() {
        // [[1, "a", 0x55, h'07']] with every integer in an 8-byte head.
        let mut b = vec![
            0x9b, 0, 0, 0, 0, 0, 0, 0, 1, 0x84, 0x1b, 0, 0, 0, 0, 0, 0, 0, 1,
        ];
        b.extend_from_slice(&[0x7b, 0, 0, 0, 0, 0, 0, 0, 1, b'a']);
        b.extend_from_slice(&[
            0x1b, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x5b, 0, 0, 0, 0, 0, 0, 0, 1, 7,
        ]);
        let ours = decode_event(&b).unwrap();
        assert_eq!(Some(ours.clone()), serde(&b));
        assert_eq!(ours, ActorEvent::from(vec![entry(1, "a", 0x55, &[7])]));
        let bad = [0x81, 0x84, 0x01, 0x61, 0xff, 0x18, 0x55, 0x40];
        assert_eq!(decode_event(&bad), Err(NotAnEvent));
        assert_eq!(serde(&bad), None);
        // A length that does not fit the block.
        let huge = [0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode_event(&huge), Err(NotAnEvent));
    }
}
