//! Passwords as typed by a user, before hashing.

use std::fmt;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password of acceptable length. Deliberately not `Display` and redacted in
/// `Debug`, so it cannot end up in a log line.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Length is the rule (NIST SP 800-63B): 10 to 128 characters, any printable
    /// ones, spaces included. The upper bound also caps the work an attacker can
    /// make argon2 do. Refused besides, as that guideline's "repetitive"
    /// passwords: one character repeated, and a password of nothing a user can
    /// see (spaces, zero-width characters); control characters (NUL, a line
    /// break) are no part of anything typed. Checked when a password is set, never
    /// at login, so no account is locked out by a rule added later.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if len < MIN_PASSWORD_CHARS {
            return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
        }
        if len > MAX_PASSWORD_CHARS {
            return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters such as NUL or a line break".into());
        }
        if raw.chars().all(|c| c.is_whitespace() || invisible(c)) {
            return Err("must contain characters that can be seen, not only spaces".into());
        }
        let mut chars = raw.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err("must not be one character repeated".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Characters that take no room on screen (Unicode format characters such as
/// the zero-width space and joiners, the byte-order mark, the soft hyphen).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_in_characters() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("mật khẩu 10").is_ok());
        assert!(Password::parse(&"xy".repeat(65)).is_err());
        assert!(Password::parse(&"xy".repeat(64)).is_ok());
    }

    #[test]
    fn refuses_controls_blanks_and_one_repeated_character() {
        for (raw, says) in [
            ("\0".repeat(10), "control"),
            ("mật khẩu\ndài".into(), "control"),
            (" ".repeat(10), "seen"),
            ("\u{200B}".repeat(10), "seen"),
            (" \u{200B}\u{FEFF}".repeat(4), "seen"),
            ("a".repeat(12), "repeated"),
        ] {
            let error = Password::parse(&raw).err().unwrap_or_default();
            assert!(error.contains(says), "{raw:?}: {error}");
        }
        // Spaces and any script are welcome among other characters.
        for raw in ["   mật khẩu   ", "aaaaaaaaab", "パスワードは長いです"] {
            assert!(Password::parse(raw).is_ok(), "{raw:?}");
        }
    }

    #[test]
    fn debug_does_not_leak() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
