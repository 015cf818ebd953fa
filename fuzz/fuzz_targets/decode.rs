//! Kroki's GET decoders on arbitrary input: they never panic, their output never exceeds the
//! limit (however far the input would inflate), and whatever decodes round-trips through the
//! encoder.

#![no_main]

use kroki_web::domain::encoding::{decode, decode_plantuml, encode};
use libfuzzer_sys::fuzz_target;

/// Small, so that inputs reaching the limit are common.
const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(source) = decode(text, LIMIT) {
        assert!(source.len() <= LIMIT, "decode exceeded the limit");
        let again = decode(&encode(&source), LIMIT).expect("an encoded source decodes");
        assert_eq!(again, source, "encode then decode changed the source");
    }
    if let Ok(source) = decode_plantuml(text, LIMIT) {
        assert!(source.len() <= LIMIT, "decode_plantuml exceeded the limit");
    }
});
