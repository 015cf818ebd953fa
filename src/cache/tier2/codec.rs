//! The value stored in Redis for one render: a small, versioned, self-describing binary layout,
//! so a reader can refuse anything it does not fully understand (an older or newer layout, or
//! garbage) and treat it as a miss.
//!
//! ```text
//! magic    "KWR"                      3 bytes
//! layout   1                          1 byte
//! type     length (u8), ASCII         the Content-Type, one this app serves
//! parts    count (u8), then per part:
//!            coding   length (u8), ASCII   a content-coding: "identity", "br", "gzip", "zstd"
//!            bytes    length (u32 LE), bytes
//! ```
//!
//! The identity part is required; the others are precompressed variants of it, kept so a
//! cache holding them can store and restore them as one value. Nothing may follow the last part.

use crate::domain::OutputFormat;
use actix_web::web::Bytes;

const MAGIC: &[u8; 3] = b"KWR";
const LAYOUT: u8 = 1;
pub const IDENTITY: &str = "identity";

/// One render as stored: its Content-Type and its bytes under each content-coding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRender {
    pub content_type: &'static str,
    /// `(content-coding, bytes)`, the identity bytes first.
    pub parts: Vec<(&'static str, Bytes)>,
}

impl StoredRender {
    /// The bytes as Kroki sent them.
    pub fn identity(&self) -> Option<&Bytes> {
        self.part(IDENTITY)
    }

    pub fn part(&self, coding: &str) -> Option<&Bytes> {
        self.parts
            .iter()
            .find(|(name, _)| *name == coding)
            .map(|(_, bytes)| bytes)
    }
}

/// The content-codings a part may carry.
const CODINGS: [&str; 4] = [IDENTITY, "br", "gzip", "zstd"];

/// The encoded value; `None` if a field does not fit its length prefix (never for real renders:
/// the tier refuses entries above its size limit first).
pub fn encode(render: &StoredRender) -> Option<Vec<u8>> {
    let size = 4
        + 1
        + render.content_type.len()
        + 1
        + render
            .parts
            .iter()
            .map(|(coding, bytes)| 1 + coding.len() + 4 + bytes.len())
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(MAGIC);
    out.push(LAYOUT);
    short(&mut out, render.content_type)?;
    out.push(u8::try_from(render.parts.len()).ok()?);
    for (coding, bytes) in &render.parts {
        short(&mut out, coding)?;
        out.extend_from_slice(&u32::try_from(bytes.len()).ok()?.to_le_bytes());
        out.extend_from_slice(bytes);
    }
    Some(out)
}

fn short(out: &mut Vec<u8>, text: &str) -> Option<()> {
    out.push(u8::try_from(text.len()).ok()?);
    out.extend_from_slice(text.as_bytes());
    Some(())
}

/// Decodes a stored value; `None` for anything not written by [`encode`] in this layout: a miss.
/// The parts share `value`'s buffer (no copy).
pub fn decode(value: &Bytes) -> Option<StoredRender> {
    let mut reader = Reader { value, at: 0 };
    if reader.take(3)? != MAGIC.as_slice() || reader.byte()? != LAYOUT {
        return None;
    }
    let content_type = known_content_type(reader.short()?)?;
    let count = reader.byte()?;
    let mut parts: Vec<(&'static str, Bytes)> = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let coding = known_coding(reader.short()?)?;
        if parts.iter().any(|(seen, _)| *seen == coding) {
            return None;
        }
        let length = u32::from_le_bytes(reader.take(4)?.try_into().ok()?);
        let start = reader.at;
        reader.take(usize::try_from(length).ok()?)?;
        parts.push((coding, value.slice(start..reader.at)));
    }
    if reader.at != value.len() {
        return None;
    }
    let render = StoredRender {
        content_type,
        parts,
    };
    render.identity().filter(|bytes| !bytes.is_empty())?;
    Some(render)
}

fn known_content_type(text: &[u8]) -> Option<&'static str> {
    OutputFormat::ALL
        .iter()
        .map(|format| format.content_type())
        .find(|known| known.as_bytes() == text)
}

fn known_coding(text: &[u8]) -> Option<&'static str> {
    CODINGS
        .iter()
        .copied()
        .find(|known| known.as_bytes() == text)
}

struct Reader<'a> {
    value: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.value.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn short(&mut self) -> Option<&'a [u8]> {
        let n = self.byte()?;
        self.take(usize::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> StoredRender {
        StoredRender {
            content_type: "image/svg+xml",
            parts: vec![
                (IDENTITY, Bytes::from_static(b"<svg>hello</svg>")),
                ("br", Bytes::from_static(b"\x0b\x07\x80")),
                ("gzip", Bytes::from_static(b"\x1f\x8b\x08")),
            ],
        }
    }

    #[test]
    fn round_trips_every_part() {
        let render = sample();
        let encoded = encode(&render).unwrap();
        assert_eq!(&encoded[..4], b"KWR\x01");
        let decoded = decode(&Bytes::from(encoded)).unwrap();
        assert_eq!(decoded, render);
        assert_eq!(decoded.identity().unwrap().as_ref(), b"<svg>hello</svg>");
        assert_eq!(decoded.part("gzip").unwrap().as_ref(), b"\x1f\x8b\x08");
        assert!(decoded.part("zstd").is_none());
    }

    #[test]
    fn the_layout_is_as_documented() {
        let render = StoredRender {
            content_type: "image/png",
            parts: vec![(IDENTITY, Bytes::from_static(b"PNG"))],
        };
        let mut expected = b"KWR\x01\x09image/png\x01\x08identity".to_vec();
        expected.extend_from_slice(&3u32.to_le_bytes());
        expected.extend_from_slice(b"PNG");
        assert_eq!(encode(&render).unwrap(), expected);
    }

    #[test]
    fn every_truncation_and_any_extra_byte_is_a_miss() {
        let encoded = encode(&sample()).unwrap();
        for end in 0..encoded.len() {
            assert!(
                decode(&Bytes::copy_from_slice(&encoded[..end])).is_none(),
                "{end}"
            );
        }
        let mut longer = encoded.clone();
        longer.push(0);
        assert!(decode(&Bytes::from(longer)).is_none());
    }

    #[test]
    fn unknown_layouts_types_codings_and_missing_identity_are_misses() {
        let encoded = encode(&sample()).unwrap();
        let mut newer = encoded.clone();
        newer[3] = 2;
        assert!(decode(&Bytes::from(newer)).is_none());
        let mut odd_type = encoded.clone();
        odd_type[5] = b'X';
        assert!(decode(&Bytes::from(odd_type)).is_none());
        let no_identity = StoredRender {
            content_type: "image/svg+xml",
            parts: vec![("br", Bytes::from_static(b"x"))],
        };
        assert!(decode(&Bytes::from(encode(&no_identity).unwrap())).is_none());
        let twice = StoredRender {
            content_type: "image/svg+xml",
            parts: vec![
                (IDENTITY, Bytes::from_static(b"a")),
                (IDENTITY, Bytes::from_static(b"b")),
            ],
        };
        assert!(decode(&Bytes::from(encode(&twice).unwrap())).is_none());
        let mut odd_coding = encode(&sample()).unwrap();
        let at = odd_coding.windows(2).position(|w| w == b"br").unwrap();
        odd_coding[at] = b'x';
        assert!(decode(&Bytes::from(odd_coding)).is_none());
        assert!(decode(&Bytes::from_static(b"<svg>a render stored raw</svg>")).is_none());
        assert!(decode(&Bytes::new()).is_none());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(value in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&Bytes::from(value));
        }

        #[test]
        fn garbage_after_a_valid_header_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut value = b"KWR\x01\x0dimage/svg+xml".to_vec();
            value.extend_from_slice(&tail);
            let _ = decode(&Bytes::from(value));
        }
    }
}
