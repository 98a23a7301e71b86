//! Per-field validation errors, collected so one response can name every problem.

use std::fmt;

use serde::Serialize;

/// One violated rule on one input field, e.g. `user.email`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every rule an input violated. Never empty when returned as an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// A single error on one field.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Records a violation; a second one on the same field joins the first's
    /// message, so that a response names each field once.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let (field, message) = (field.into(), message.into());
        match self.0.iter_mut().find(|e| e.field == field) {
            Some(error) => {
                error.message.push_str("; ");
                error.message.push_str(&message);
            }
            None => self.0.push(FieldError { field, message }),
        }
    }

    /// Records the error of `result` under `field` and returns its value, if any.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    /// Merges errors of a nested input, prefixing their fields (`user` + `email`).
    pub fn merge_prefixed(&mut self, prefix: &str, other: ValidationErrors) {
        for error in other.0 {
            self.add(format!("{prefix}.{}", error.field), error.message);
        }
    }

    /// Adds all of `other`'s errors as they are.
    pub fn extend(&mut self, other: ValidationErrors) {
        for error in other.0 {
            self.add(error.field, error.message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(value)` when no rule was violated.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Trims `raw` and checks its length in characters (not bytes: Vietnamese text
/// carries many multi-byte letters).
pub fn bounded_text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let trimmed = trim_blank(raw);
    let len = trimmed.chars().count();
    if len < min {
        if min == 1 {
            return Err("must not be empty".into());
        }
        return Err(format!("must be at least {min} characters"));
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// Characters that take no room: zero-width spaces and joiners, direction marks,
/// the word joiner, the byte-order mark, the soft hyphen. A title of nothing but
/// these looks empty in every list it appears in.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
    )
}

/// The text without leading and trailing whitespace or invisible characters.
pub fn trim_blank(raw: &str) -> &str {
    raw.trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
}

/// Whether the text shows nothing: only whitespace and invisible characters.
pub fn is_blank(raw: &str) -> bool {
    trim_blank(raw).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_invisible_characters_is_blank() {
        assert!(is_blank(" \u{200B}\u{FEFF}\u{2060} "));
        assert!(bounded_text("\u{200B}\u{200C}", 1, 10).is_err());
        assert_eq!(
            bounded_text("\u{200B}Máy lọc\u{200D}", 1, 10).unwrap(),
            "Máy lọc"
        );
        // Inside a word a joiner stays: it may be part of the writing.
        assert_eq!(trim_blank("a\u{200D}b"), "a\u{200D}b");
        assert!(!is_blank("·"));
    }

    #[test]
    fn bounded_text_counts_characters_not_bytes() {
        // 5 characters, 11 bytes.
        assert_eq!(bounded_text("Công ", 4, 4).unwrap(), "Công");
        assert!(bounded_text("Công nghệ", 1, 8).is_err());
        assert!(bounded_text("   ", 1, 10).is_err());
        assert!(bounded_text("a\u{0}b", 1, 10).is_err());
    }

    #[test]
    fn a_field_is_named_once_with_all_its_violations() {
        let mut errors = ValidationErrors::new();
        errors.add("price.max", "must not be negative");
        errors.add("title", "is required");
        errors.add("price.max", "must not be less than price.min");
        assert_eq!(errors.errors().len(), 2);
        assert_eq!(
            errors.errors()[0].message,
            "must not be negative; must not be less than price.min"
        );
    }

    #[test]
    fn nested_errors_carry_their_path() {
        let mut outer = ValidationErrors::new();
        outer.merge_prefixed("user", ValidationErrors::single("email", "bad"));
        assert_eq!(outer.errors()[0].field, "user.email");
        assert_eq!(outer.to_string(), "user.email: bad");
    }
}
