//! A diagram source that has passed the size and emptiness rules, so nothing downstream checks
//! them again.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiagramSource(String);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SourceError {
    #[error("The diagram source is empty.")]
    Empty,
    #[error("The diagram source is {size} bytes, more than the limit of {limit} bytes.")]
    TooLarge { size: usize, limit: usize },
}

impl DiagramSource {
    /// Accepts a source that has any non-whitespace text and at most `limit` bytes of UTF-8.
    /// The text is kept exactly as given: whitespace matters to ASCII-art types.
    pub fn parse(text: String, limit: usize) -> Result<DiagramSource, SourceError> {
        if text.len() > limit {
            return Err(SourceError::TooLarge {
                size: text.len(),
                limit,
            });
        }
        if text.trim().is_empty() {
            return Err(SourceError::Empty);
        }
        Ok(DiagramSource(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_exactly() {
        let source = DiagramSource::parse("  a\n".into(), 10);
        assert_eq!(source.map(|s| s.as_str().to_owned()), Ok("  a\n".into()));
    }

    #[test]
    fn refuses_blank_sources() {
        assert_eq!(
            DiagramSource::parse(String::new(), 10),
            Err(SourceError::Empty)
        );
        assert_eq!(
            DiagramSource::parse(" \n\t".into(), 10),
            Err(SourceError::Empty)
        );
    }

    #[test]
    fn limit_counts_utf8_bytes_and_is_inclusive() {
        assert!(DiagramSource::parse("é".repeat(5), 10).is_ok());
        assert_eq!(
            DiagramSource::parse("é".repeat(6), 10),
            Err(SourceError::TooLarge {
                size: 12,
                limit: 10
            })
        );
    }
}
