//! The encoding's tests: the vectors of the protocol page, once for every user of the crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const LIMIT: usize = 1024 * 1024;

/// The vectors of the protocol page, section 9: (source, reference encoding, Go's encoding).
const VECTORS: &[(&str, &str, &str)] = &[
    (
        "@startuml\nAlice -> Bob: Hello\nBob --> Alice: Hi\n@enduml",
        "eNpzKC5JLCopzc3hcszJTE5V0LVTcMpPslLwSM3JyecCMhV0gUJgOaBgJpdDal4KUDUA728RXg==",
        "eNpyKC5JLCopzc3hcszJTE5V0LVTcMpPslLwSM3Jyedyyk9S0NW1UwDLWSl4ZHI5pOallObmAAIAAP__728RXg==",
    ),
    (
        "graph TD\n  A[Start] --> B{Ok?}\n  B -->|Yes| C[Done]\n  B -->|No| A",
        "eNpLL0osyFAIceFSUHCMDi5JLCqJVdDVtVNwqvbPtq8FijqBuDWRqcU1Cs7RLvl5qbFwQb_8GgVHAG98Eo8=",
        "eNpKL0osyFAIceFSUHCMDi5JLCqJVdDVtVNwqvbPtq_lUlBwAnFrIlOLaxSco13y81Jj4YJ--TUKjoAAAAD__298Eo8=",
    ),
    (
        "digraph G {\n  Hello -> World\n}",
        "eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo=",
        "eNpKyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFBAAA__-T2Ala",
    ),
    (
        "digraph G {\n  a [label=\"é→日本\"]\n  a -> \"日本\"\n}",
        "eNpLyUwvSizIUHBXqOZSUEhUiM5JTErNsVU6vPJR26Rn05c-m7NGKRYso2unoAQV4KoFAEq_Fg0=",
        "eNpKyUwvSizIUHBXqOZSUEhUiM5JTErNsVU6vPJR26Rn05c-m7NGKRYso2unoAQV4KoFBAAA__9KvxYN",
    ),
    ("", "eNoDAAAAAAE=", "eNoBAAD__wAAAAE="),
    ("\n", "eNrjAgAACwAL", "eNriAgQAAP__AAsACw=="),
];

#[test]
fn decodes_the_reference_and_go_encodings() {
    for (source, reference, go) in VECTORS {
        assert_eq!(
            decode(reference, LIMIT).as_deref(),
            Ok(*source),
            "{reference}"
        );
        assert_eq!(decode(go, LIMIT).as_deref(), Ok(*source), "{go}");
    }
}

#[test]
fn decodes_padded_and_unpadded_alike() {
    for (source, reference, go) in VECTORS {
        for encoded in [reference, go] {
            let unpadded = encoded.trim_end_matches('=');
            assert_eq!(decode(unpadded, LIMIT).as_deref(), Ok(*source));
        }
    }
    assert_eq!(
        decode("eNpLyUwvSizIUHBXqPZIzcnJ17ULzy_KSanlAgB1EAjQ", LIMIT).as_deref(),
        Ok("digraph G {Hello->World}\n")
    );
    assert_eq!(
        decode("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY=", LIMIT).as_deref(),
        Ok("digraph { a -> b }")
    );
}

#[test]
fn encoding_round_trips_and_starts_like_zlib_level_9() {
    for (source, _, _) in VECTORS {
        let encoded = encode(source);
        assert!(encoded.starts_with("eN"), "{encoded}");
        assert!(!encoded.contains(['=', '+', '/']));
        assert_eq!(decode(&encoded, LIMIT).as_deref(), Ok(*source));
    }
    let big = "x -> y\n".repeat(20_000);
    assert!(
        decode(&encode(&big), LIMIT) == Ok(big),
        "a 140 KB source does not round-trip"
    );
}

#[test]
fn rejects_what_kroki_rejects() {
    assert_eq!(decode("", LIMIT), Err(DecodeError::Empty));
    assert_eq!(decode("   ", LIMIT), Err(DecodeError::Empty));
    // Standard base64 characters, whitespace and bad padding are not URL-safe base64.
    assert_eq!(
        decode("eNpL+UwvSizIUKhWSFTQtVNIUqgFADrsBaY=", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
    assert_eq!(
        decode("eNpL/UwvSizIUKhWSFTQtVNIUqgFADrsBaY=", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
    assert_eq!(
        decode("eNpL UwvSizIUKhWSFTQtVNIUqgFADrsBaY", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
    assert_eq!(
        decode("eNoDAAAAAAE==", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
    // Valid base64 of something that is not a zlib stream.
    assert_eq!(
        decode("aGVsbG8gd29ybGQ=", LIMIT),
        Err(DecodeError::InvalidCompression)
    );
    // A truncated zlib stream and a stream with a broken checksum.
    let good = URL_SAFE_UNPADDED
        .decode("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY")
        .unwrap_or_default();
    let truncated = URL_SAFE_UNPADDED.encode(&good[..good.len() - 6]);
    assert_eq!(
        decode(&truncated, LIMIT),
        Err(DecodeError::InvalidCompression)
    );
    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    assert_eq!(
        decode(&URL_SAFE_UNPADDED.encode(&corrupt), LIMIT),
        Err(DecodeError::InvalidCompression)
    );
    // Raw deflate (no zlib header) is refused, as Java's InflaterInputStream refuses it.
    let raw = URL_SAFE_UNPADDED.encode(deflate(b"digraph { a -> b }", false));
    assert_eq!(decode(&raw, LIMIT), Err(DecodeError::InvalidCompression));
}

#[test]
fn invalid_utf8_is_replaced_not_rejected() {
    let encoded = URL_SAFE_UNPADDED.encode(deflate(b"a \xff b", true));
    assert_eq!(decode(&encoded, LIMIT).as_deref(), Ok("a \u{fffd} b"));
}

#[test]
fn replacement_characters_count_against_the_limit() {
    // 100 invalid bytes inflate within a limit of 150 but become 300 bytes of U+FFFD.
    let kroki = URL_SAFE_UNPADDED.encode(deflate(&[0xff; 100], true));
    assert_eq!(decode(&kroki, 300).map(|s| s.len()), Ok(300));
    assert_eq!(
        decode(&kroki, 150),
        Err(DecodeError::TooLarge { limit: 150 })
    );
    let hex = format!("~h{}", "ff".repeat(100));
    assert_eq!(decode_plantuml(&hex, 300).map(|s| s.len()), Ok(300));
    assert_eq!(
        decode_plantuml(&hex, 150),
        Err(DecodeError::TooLarge { limit: 150 })
    );
}

#[test]
fn a_decompression_bomb_stops_at_the_limit() {
    // 64 MiB of zeros compresses to about 64 KiB of zlib; the limit is 1 MiB.
    let bomb = URL_SAFE_UNPADDED.encode(deflate(&vec![0u8; 64 * 1024 * 1024], true));
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let started = std::time::Instant::now();
    assert_eq!(
        decode(&bomb, LIMIT),
        Err(DecodeError::TooLarge { limit: LIMIT })
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // Exactly at the limit is fine, one byte over is not.
    let exact = URL_SAFE_UNPADDED.encode(deflate(&vec![b'a'; 1000], true));
    assert_eq!(decode(&exact, 1000).map(|s| s.len()), Ok(1000));
    assert_eq!(
        decode(&exact, 999),
        Err(DecodeError::TooLarge { limit: 999 })
    );
}

#[test]
fn plantuml_native_encodings_decode() {
    assert_eq!(
        decode_plantuml("SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", LIMIT).as_deref(),
        Ok("Bob -> Alice : hello")
    );
    assert_eq!(
        decode_plantuml("~0SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", LIMIT).as_deref(),
        Ok("Bob -> Alice : hello")
    );
    assert_eq!(decode_plantuml("~h426f62", LIMIT).as_deref(), Ok("Bob"));
    // Kroki's own encoding is the fallback.
    assert_eq!(
        decode_plantuml(
            "eNrjciguSSwqKc3N4XLKT1LQtVNwzMlMTlWwUshIzcnJ53JIzUsBSQIABnMM1A==",
            LIMIT
        )
        .as_deref(),
        Ok("\n@startuml\nBob -> Alice : hello\n@enduml\n")
    );
    assert_eq!(
        decode_plantuml("!!!", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
}

#[test]
fn java_trim_strips_control_characters_too() {
    assert_eq!(java_trim("\n\t a -> b \r\n\u{1}"), "a -> b");
    assert_eq!(java_trim("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
}

#[test]
fn percent_decoding_keeps_malformed_escapes() {
    // Form and query semantics: `+` is a space.
    assert_eq!(percent_decode("a+b%41%zz", true), "a bA%zz");
    assert_eq!(percent_decode("%E2%86%92", true), "→");
    assert_eq!(percent_decode("%2", true), "%2");
    assert_eq!(percent_decode("%+f", true), "% f");
    // A path segment: `+` stays.
    assert_eq!(percent_decode("a+b%20c%zz", false), "a+b c%zz");
    assert_eq!(percent_decode("plain", false), "plain");
}

#[test]
fn padding_follows_the_jdk() {
    // "YQ" is "a": unpadded and correctly padded are read alike.
    let read = |s: &str| decode_base64(s).ok();
    assert_eq!(read("YQ"), Some(b"a".to_vec()));
    assert_eq!(read("YQ=="), Some(b"a".to_vec()));
    assert_eq!(read("YWI="), Some(b"ab".to_vec()));
    assert_eq!(read("YWJj"), Some(b"abc".to_vec()));
    // Incomplete padding, extra padding, data after the padding, a lone character, only padding.
    for bad in ["YQ=", "YWI==", "YQ==YQ", "YQ===", "YWJj=", "Y", "=", "=YQ"] {
        assert_eq!(decode_base64(bad), Err(DecodeError::InvalidBase64), "{bad}");
    }
    // Non-zero trailing bits are tolerated by the JDK.
    assert_eq!(read("YR"), Some(b"a".to_vec()));
    assert_eq!(
        decode("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY", LIMIT).as_deref(),
        Ok("digraph { a -> b }")
    );
    // A vector with its padding cut short is refused, as Kroki refuses it.
    assert_eq!(
        decode(
            "eNpLyUwvSizIUHBXqOZSUPBIzcnJV9C1UwjPL8pJ4aoFAJPYCVo==",
            LIMIT
        ),
        Err(DecodeError::InvalidBase64)
    );
    assert_eq!(
        decode("eNriAgQAAP__AAsACw=", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
}

#[test]
fn blank_is_java_blank() {
    // Java's trim() strips control characters, and not U+00A0 (which is no base64 either).
    assert_eq!(decode("\u{1}\t \n", LIMIT), Err(DecodeError::Empty));
    assert_eq!(decode("\u{a0}", LIMIT), Err(DecodeError::InvalidBase64));
}

#[test]
fn other_streams_than_zlib_are_refused_and_trailing_bytes_ignored() {
    use std::io::Write;
    let gzip = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(b"digraph { a -> b }").unwrap();
        gz.finish().unwrap()
    };
    for stream in [gzip, b"digraph { a -> b }".to_vec()] {
        assert_eq!(
            decode(&URL_SAFE_UNPADDED.encode(stream), LIMIT),
            Err(DecodeError::InvalidCompression)
        );
    }
    let mut trailing = deflate(b"digraph G {\n  Hello -> World\n}", true);
    trailing.extend_from_slice(b"garbage");
    assert_eq!(
        decode(&URL_SAFE_UNPADDED.encode(trailing), LIMIT).as_deref(),
        Ok("digraph G {\n  Hello -> World\n}")
    );
}

#[test]
fn plantuml_encoding_round_trips() {
    let source = "@startuml\nAlice -> Bob: é\n@enduml";
    let encoded = encode_plantuml(source);
    assert!(
        encoded.bytes().all(|b| PLANTUML_ALPHABET.contains(&b)),
        "{encoded}"
    );
    assert_eq!(decode_plantuml(&encoded, LIMIT).as_deref(), Ok(source));
    assert_eq!(
        decode_plantuml(&format!("~0{encoded}"), LIMIT).as_deref(),
        Ok(source)
    );
    assert_eq!(plantuml_ascii_encode(&[0u8; 16]).len(), 24);
    assert_eq!(plantuml_ascii_encode(&[0xff, 0xff, 0xff]), "____");
    assert_eq!(plantuml_ascii_encode(&[0, 0, 0]), "0000");
    assert_eq!(plantuml_ascii_encode(&[0xff]), "_m00");
}

#[test]
fn plantuml_native_reads_as_plantuml_does() {
    // An odd last hex digit is ignored.
    assert_eq!(
        decode_plantuml("~h426f62202d3e20416c6963655", LIMIT).as_deref(),
        Ok("Bob -> Alice")
    );
    // ASCII outside the alphabet reads as 0 (PlantUML's zero-initialised table): trailing `=`
    // after a complete raw deflate stream changes nothing.
    assert_eq!(
        decode_plantuml("SyfFKj2rKt3CoKnELR1Io4ZDoSa70000==", LIMIT).as_deref(),
        Ok("Bob -> Alice : hello")
    );
    // Beyond ASCII it is not PlantUML's encoding, nor Kroki's.
    assert_eq!(
        decode_plantuml("SyfFKj2rKt3CoKnELR1Io4ZDoSa7000é", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
    // The legacy `~1` and `~zip~` encodings are not read: Kroki's encoding is tried instead.
    assert_eq!(
        decode_plantuml_native("~1SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", LIMIT),
        None
    );
    assert_eq!(
        decode_plantuml_native("~zip~SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", LIMIT),
        None
    );
    // `+` is a space and `%XX` a byte before anything else.
    assert_eq!(
        decode_plantuml("eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY%3D", LIMIT).as_deref(),
        Ok("digraph { a -> b }")
    );
    assert_eq!(
        decode_plantuml("eNpLyUwv+SizIUKhWSFTQtVNIUqgFADrsBaY=", LIMIT),
        Err(DecodeError::InvalidBase64)
    );
    // A Kroki-encoded source is decoded untrimmed; trimming is the caller's.
    for (source, reference, go) in VECTORS {
        assert_eq!(decode_plantuml(reference, LIMIT).as_deref(), Ok(*source));
        assert_eq!(decode_plantuml(go, LIMIT).as_deref(), Ok(*source));
    }
}

#[test]
fn errors_read_as_krokis_messages() {
    assert_eq!(
        DecodeError::Empty.to_string(),
        "Unable to decode the source. Source must not be null or empty."
    );
    assert_eq!(
        DecodeError::InvalidBase64.to_string(),
        "Unable to decode the source. The source is not in valid Base64 scheme."
    );
    assert_eq!(
        DecodeError::InvalidCompression.to_string(),
        "Unable to decode the source."
    );
    assert_eq!(
        DecodeError::TooLarge { limit: 10 }.to_string(),
        "The decoded diagram source is larger than the limit of 10 bytes."
    );
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_text_round_trips(source in "\\PC{0,2000}") {
            prop_assert_eq!(decode(&encode(&source), 1 << 20), Ok(source));
        }

        #[test]
        fn decoding_never_panics_on_any_string(input in "\\PC{0,400}") {
            let _ = decode(&input, 1 << 16);
            let _ = decode_plantuml(&input, 1 << 16);
        }

        #[test]
        fn decoding_never_panics_on_any_base64_of_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let encoded = URL_SAFE_UNPADDED.encode(&bytes);
            let _ = decode(&encoded, 1 << 16);
            let _ = decode_plantuml(&encoded, 1 << 16);
        }

        #[test]
        fn output_never_exceeds_the_limit(source in "[a-c]{0,5000}", limit in 0usize..3000) {
            match decode(&encode(&source), limit) {
                Ok(decoded) => prop_assert!(decoded.len() <= limit),
                Err(error) => prop_assert_eq!(error, DecodeError::TooLarge { limit }),
            }
        }
    }
}
