//! E-mail addresses, compared case-insensitively.

use std::fmt;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// A syntactically plausible e-mail address, stored lower-cased so that uniqueness
/// is case-insensitive (`Ana@Example.org` and `ana@example.org` are one account).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// An address a user types in: [`Email::existing`]'s rules, and plain
    /// characters only.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = Self::existing(raw)?;
        // Full-width letters and other compatibility forms look like plain ones:
        // `ａｄｍｉｎ@vast.vn` would pass for `admin@vast.vn` in every list.
        let plain: String = email.0.nfkc().flat_map(char::to_lowercase).collect();
        if plain != email.0 {
            return Err(format!(
                "must be written in plain characters, without full-width or other \
                 look-alike forms (did you mean {plain}?)"
            ));
        }
        Ok(email)
    }

    /// An address as the rules stood when it was stored, for reading stored rows
    /// and logging in: a rule added later must not lock an account out or make
    /// its row unreadable.
    pub fn existing(raw: &str) -> Result<Self, String> {
        let email = crate::text::nfc(raw.trim()).to_lowercase();
        if email.is_empty() {
            return Err("must not be empty".into());
        }
        if email.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces".into());
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("must contain '@'".into());
        };
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err("is not a valid e-mail address".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Lan.Nguyen@Vast.VN ").unwrap().as_str(),
            "lan.nguyen@vast.vn"
        );
    }

    #[test]
    fn look_alike_characters_are_refused_with_the_plain_address() {
        let error = Email::parse("\u{ff41}\u{ff44}\u{ff4d}\u{ff49}\u{ff4e}@vast.vn").unwrap_err();
        assert!(error.contains("did you mean admin@vast.vn?"), "{error}");
        // An account stored before the rule can still be read and log in.
        assert!(Email::existing("\u{ff41}dmin@vast.vn").is_ok());
        // Vietnamese letters are not look-alikes: a composed address is kept.
        assert_eq!(
            Email::parse("Lan.Nguyễn@vast.vn").unwrap().as_str(),
            "lan.nguyễn@vast.vn"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@vast.vn",
            "a@@vast.vn",
            "a b@vast.vn",
            "a@.vn",
            "a@vast..vn",
            "\u{ff41}dmin@vast.vn",
            "admin@vast\u{ff0e}vn",
            "of\u{fb01}ce@vast.vn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
