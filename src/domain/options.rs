//! Diagram options (Kroki's `diagram_options`): lower-cased keys with scalar values, merged from
//! the query string, `Kroki-Diagram-Options-*` headers and JSON with Kroki's precedence
//! (JSON over headers over query). Kept sorted so equal options compare and hash equal.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use thiserror::Error;

/// More options than any renderer reads; a bound keeps requests and cache keys small.
pub const MAX_OPTIONS: usize = 64;
const MAX_KEY_LEN: usize = 128;
const MAX_VALUE_LEN: usize = 4096;
pub const HEADER_PREFIX: &str = "kroki-diagram-options-";

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DiagramOptions(BTreeMap<String, OptionValue>);

/// An option value keeps its JSON type (Kroki forwards numbers and booleans as they came).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum OptionValue {
    Text(String),
    Bool(bool),
    /// Numbers are kept as their JSON text, so `1.50` is forwarded as sent.
    Number(serde_json::Number),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum OptionsError {
    #[error(
        "diagram_options must be a JSON object of option names to strings, numbers or booleans."
    )]
    NotAnObject,
    #[error("The value of diagram option '{0}' must be a string, a number or a boolean.")]
    NotScalar(String),
    #[error("Too many diagram options: at most {MAX_OPTIONS} are accepted.")]
    TooMany,
    #[error("A diagram option name or value is too long.")]
    TooLong,
}

impl DiagramOptions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, key: &str) -> Option<&OptionValue> {
        self.0.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &OptionValue)> {
        self.0.iter().map(|(key, value)| (key.as_str(), value))
    }

    /// Sets an option, lower-casing the key; a later call overrides an earlier one.
    pub fn insert(&mut self, key: &str, value: OptionValue) -> Result<(), OptionsError> {
        let key = key.trim().to_ascii_lowercase();
        let too_long = match &value {
            OptionValue::Text(text) => text.len() > MAX_VALUE_LEN,
            _ => false,
        };
        if key.is_empty() || key.len() > MAX_KEY_LEN || too_long {
            return Err(OptionsError::TooLong);
        }
        if !self.0.contains_key(&key) && self.0.len() >= MAX_OPTIONS {
            return Err(OptionsError::TooMany);
        }
        self.0.insert(key, value);
        Ok(())
    }

    pub fn insert_text(&mut self, key: &str, value: &str) -> Result<(), OptionsError> {
        self.insert(key, OptionValue::Text(value.to_owned()))
    }

    /// Merges a JSON `diagram_options` object over the options already set.
    pub fn merge_json(&mut self, json: &Value) -> Result<(), OptionsError> {
        let Value::Object(map) = json else {
            return match json {
                Value::Null => Ok(()),
                _ => Err(OptionsError::NotAnObject),
            };
        };
        for (key, value) in map {
            let value = match value {
                Value::String(text) => OptionValue::Text(text.clone()),
                Value::Bool(flag) => OptionValue::Bool(*flag),
                Value::Number(number) => OptionValue::Number(number.clone()),
                _ => return Err(OptionsError::NotScalar(key.clone())),
            };
            self.insert(key, value)?;
        }
        Ok(())
    }

    /// The options as a JSON object, as sent to Kroki.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl OptionValue {
    /// The value as text, for query strings and headers.
    pub fn as_text(&self) -> String {
        match self {
            OptionValue::Text(text) => text.clone(),
            OptionValue::Bool(flag) => flag.to_string(),
            OptionValue::Number(number) => number.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_lowercased_and_later_sources_win() {
        let mut options = DiagramOptions::new();
        options.insert_text("Theme", "query").ok();
        options.insert_text("THEME", "header").ok();
        options
            .merge_json(&json!({"theme": "json", "Scale": 2, "sketch": true}))
            .ok();
        assert_eq!(
            options.to_json(),
            json!({"theme": "json", "scale": 2, "sketch": true})
        );
    }

    #[test]
    fn refuses_nested_values_and_non_objects() {
        let mut options = DiagramOptions::new();
        assert_eq!(
            options.merge_json(&json!({"a": {"b": 1}})),
            Err(OptionsError::NotScalar("a".into()))
        );
        assert_eq!(
            options.merge_json(&json!([1])),
            Err(OptionsError::NotAnObject)
        );
        assert_eq!(options.merge_json(&json!(null)), Ok(()));
    }

    #[test]
    fn bounds_count_and_length() {
        let mut options = DiagramOptions::new();
        for i in 0..MAX_OPTIONS {
            assert!(options.insert_text(&format!("k{i}"), "v").is_ok());
        }
        assert_eq!(
            options.insert_text("one-more", "v"),
            Err(OptionsError::TooMany)
        );
        assert_eq!(options.insert_text("k0", "replaced"), Ok(()));
        assert_eq!(
            DiagramOptions::new().insert_text("k", &"v".repeat(MAX_VALUE_LEN + 1)),
            Err(OptionsError::TooLong)
        );
    }

    #[test]
    fn numbers_keep_their_text() {
        let mut options = DiagramOptions::new();
        options.merge_json(&json!({"scale": 1.5})).ok();
        assert_eq!(
            options.get("scale").map(OptionValue::as_text),
            Some("1.5".into())
        );
    }
}
