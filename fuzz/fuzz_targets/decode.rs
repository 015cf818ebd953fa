//! Kroki's GET decoders (`decode`, and `decode_plantuml` for the plantuml types) on arbitrary
//! text. Checked: they never panic; their output never exceeds the limit, however far the input
//! would inflate and however many invalid bytes become U+FFFD; the limit is exact (a decoded
//! source of n bytes decodes again with the limit n and is refused as too large with n - 1);
//! and whatever decodes round-trips through the encoder.

#![no_main]

use kroki_web::domain::encoding::{decode, decode_plantuml, encode, DecodeError};
use libfuzzer_sys::fuzz_target;

/// Small, so that inputs reaching the limit are common.
const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(source) = decode(text, LIMIT) {
        let size = source.len();
        assert!(size <= LIMIT, "decode exceeded the limit");
        assert_eq!(
            decode(text, size).as_ref(),
            Ok(&source),
            "limit not inclusive"
        );
        if let Some(smaller) = size.checked_sub(1) {
            assert_eq!(
                decode(text, smaller),
                Err(DecodeError::TooLarge { limit: smaller }),
                "limit not exact"
            );
        }
        let again = decode(&encode(&source), LIMIT).expect("an encoded source decodes");
        assert_eq!(again, source, "encode then decode changed the source");
    }
    if let Ok(source) = decode_plantuml(text, LIMIT) {
        assert!(source.len() <= LIMIT, "decode_plantuml exceeded the limit");
        assert_eq!(
            decode_plantuml(text, source.len()).as_ref(),
            Ok(&source),
            "decode_plantuml: limit not inclusive"
        );
    }
});
