//! Per-field validation errors, collected so one response can name every problem.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use unicode_normalization::char::is_combining_mark;

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

/// A calendar date written `YYYY-MM-DD` and nothing else: four-digit years
/// 0001–9999, no sign, no time, no surrounding spaces. (chrono's `%Y` alone also
/// reads `+12027-01-01`.)
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    if raw.trim().is_empty() {
        return Err("must not be blank: a date YYYY-MM-DD, such as 2027-06-30".into());
    }
    let well_formed = raw.len() == 10
        && raw.bytes().enumerate().all(|(index, byte)| match index {
            4 | 7 => byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .filter(|date| date.year() >= 1)
        .ok_or_else(|| "must be a date YYYY-MM-DD, such as 2027-06-30".into())
}

/// Trims `raw` and checks a single-line text: its length in characters (not bytes:
/// Vietnamese text carries many multi-byte letters), no control characters, no
/// bidirectional overrides. The minimum counts only what shows ([`visible_len`]),
/// so that zero-width characters or lone accents cannot make up a title; the
/// maximum counts the composed (NFC) form, so decomposed Vietnamese is as long as
/// precomposed.
pub fn bounded_text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    if raw.chars().any(is_bidi_control) {
        return Err(
            "must not contain bidirectional override or isolate characters \
             (U+202A–U+202E, U+2066–U+2069): they make text display in another order than it reads"
                .into(),
        );
    }
    let trimmed = trim_blank(raw);
    if visible_len(trimmed) < min {
        if min == 1 {
            return Err("must not be empty".into());
        }
        return Err(format!(
            "must be at least {min} characters, not counting invisible ones"
        ));
    }
    if crate::text::nfc(trimmed).chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// How many characters of `text` show: whitespace counts (it separates words),
/// invisible characters and blank fillers do not, nor do modifiers — an accent
/// belongs to the letter before it (`a` + U+0301 is one character, `á`), and
/// accents alone show as nothing readable.
pub fn visible_len(text: &str) -> usize {
    text.chars()
        .filter(|&c| !is_invisible(c) && !is_modifier(c))
        .count()
}

/// Characters that only modify the one before them: combining marks (accents,
/// variation selectors) and tag characters (emoji flag sequences). They stay in
/// the text, but never count as a character of their own.
fn is_modifier(c: char) -> bool {
    is_combining_mark(c) || matches!(c, '\u{E0000}'..='\u{E007F}')
}

/// Characters that take no room, or show as an empty cell: zero-width spaces and
/// joiners, direction marks and controls, the word joiner and invisible operators,
/// the byte-order mark, the soft hyphen, and the "letters" that are blank by design
/// (the Hangul fillers, the blank Braille pattern). A title of nothing but these
/// looks empty in every list it appears in.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
    )
}

/// The bidirectional embedding, override and isolate controls: inside a line they
/// reorder what follows ("Title \u{202E}gnp.exe" displays as "Title exe.png").
/// The marks (U+200E, U+200F, U+061C) only nudge neutral characters and stay allowed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
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
    fn dates_are_written_yyyy_mm_dd_only() {
        assert_eq!(
            parse_date("2027-06-30"),
            Ok(NaiveDate::from_ymd_opt(2027, 6, 30).unwrap())
        );
        for bad in [
            "+12027-01-01",
            "+2027-01-01",
            "12027-01-01",
            "2027-6-30",
            "2027-06-31",
            "0000-01-01",
            "2027/06/30",
            "2027-06-30T00:00:00Z",
            "27-06-30",
        ] {
            let error = parse_date(bad).unwrap_err();
            assert!(error.contains("YYYY-MM-DD"), "{bad}: {error}");
        }
        for blank in ["", "  "] {
            assert!(parse_date(blank).unwrap_err().contains("blank"));
        }
    }

    #[test]
    fn the_minimum_counts_only_what_shows() {
        for hidden in [
            "a\u{200B}\u{200B}\u{200B}b",
            "ab\u{00AD}\u{00AD}\u{00AD}cd",
            "ab\u{2060}\u{FEFF}\u{200D}c",
            "\u{0301}\u{0300}\u{0303}\u{0309}\u{0323}",
            "a\u{0301}\u{0301}\u{0301}\u{0301}b",
        ] {
            let error = bounded_text(hidden, 5, 200).unwrap_err();
            assert!(error.contains("at least 5"), "{hidden:?}: {error}");
        }
        assert_eq!(visible_len("ab\u{00AD}\u{00AD}\u{00AD}cd"), 4);
        assert!(bounded_text("\u{0301}\u{0301}", 1, 10).is_err());
    }

    #[test]
    fn fillers_and_blank_patterns_are_blank() {
        for blank in [
            "\u{3164}".repeat(5),
            "\u{2800}".repeat(5),
            "\u{FFA0}".repeat(5),
            "\u{115F}\u{1160}\u{3164} \u{2800}".to_owned(),
        ] {
            assert!(is_blank(&blank), "{blank:?}");
            assert!(bounded_text(&blank, 5, 200).is_err(), "{blank:?}");
        }
        assert_eq!(trim_blank("\u{3164}Máy lọc\u{2800}"), "Máy lọc");
    }

    #[test]
    fn bidirectional_overrides_and_isolates_are_refused() {
        for spoof in [
            "Title with \u{202E} gnp.exe",
            "\u{202D}Máy lọc nước",
            "Máy \u{2066}lọc\u{2069} nước",
            "Máy lọc nước\u{202C}",
            "\u{2067}Máy lọc nước",
            "\u{2068}Máy lọc nước",
            "\u{202A}Máy\u{202B}lọc nước",
        ] {
            let error = bounded_text(spoof, 5, 200).unwrap_err();
            assert!(error.contains("bidirectional"), "{spoof:?}: {error}");
        }
        // Right-to-left text itself is fine, with its marks.
        assert!(bounded_text("نص عربي\u{200F} 2026", 5, 200).is_ok());
    }

    #[test]
    fn vietnamese_counts_the_same_composed_or_decomposed() {
        // "Thành phố Huế": composed, and decomposed into letters and marks.
        let composed = "Thành phố Huế";
        let decomposed = "Tha\u{300}nh pho\u{302}\u{301} Hue\u{302}\u{301}";
        assert_eq!(visible_len(composed), 13);
        assert_eq!(visible_len(decomposed), 13);
        assert_eq!(bounded_text(decomposed, 13, 13).unwrap(), decomposed);
        assert_eq!(bounded_text(composed, 13, 13).unwrap(), composed);
        // "Ồ ạ ư" (five characters with spaces) decomposed is long enough for five.
        assert!(bounded_text("O\u{302}\u{300} a\u{323} u\u{31B}", 5, 200).is_ok());
        // The maximum counts the composed form: 200 decomposed letters fit in 200.
        let long = "e\u{323}\u{302}".repeat(200);
        assert!(bounded_text(&long, 5, 200).is_ok());
        assert!(bounded_text(&"e\u{323}\u{302}".repeat(201), 5, 200).is_err());
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
