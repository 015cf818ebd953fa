//! Kroki's GET encoding (UTF-8, zlib level 9, URL-safe base64) and the decoders a Kroki server
//! accepts, including PlantUML's own encodings for the plantuml types.
//!
//! The implementation is the workspace crate `kroki-encoding` (encoding/), which the stand-in
//! Kroki and the benchmark scripts (through `kroki-standin encode`) use too, so that there is
//! one encoder to trust; its tests hold the protocol page's vectors. The app passes its limit
//! (`MAX_SOURCE_SIZE`) to every decode: inflation stops there, and a source over it is a 413.

pub use kroki_encoding::{decode, decode_plantuml, encode, java_trim, DecodeError};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_reads_what_it_writes_within_its_limit() {
        let source = "digraph { a -> b }";
        assert_eq!(decode(&encode(source), source.len()).as_deref(), Ok(source));
        assert_eq!(
            decode(&encode(source), source.len() - 1),
            Err(DecodeError::TooLarge {
                limit: source.len() - 1
            })
        );
        assert_eq!(
            decode_plantuml(&encode(source), 1024).as_deref(),
            Ok(source)
        );
    }
}
