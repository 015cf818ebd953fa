//! The diagram domain: which types and formats exist, what a valid source and option set are, and
//! how diagrams are encoded in URLs. Pure code, no I/O.

pub mod accept;
pub mod catalog;
pub mod controls;
pub mod encoding;
pub mod examples;
pub mod format;
pub mod options;
pub mod request;
pub mod source;

pub use catalog::{Companion, DiagramKind, CATALOG};
pub use format::OutputFormat;
pub use options::{DiagramOptions, OptionValue};
pub use request::{EncodedSource, RenderRequest, ValidationError};
pub use source::{DiagramSource, SourceError};
