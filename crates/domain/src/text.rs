//! Text normalisation for Vietnamese and English input.
//!
//! Vietnamese text arrives both precomposed (NFC, what keyboards usually send) and
//! decomposed (NFD, e.g. from macOS file names or some PDFs), with tone marks in old
//! ("hóa") or new ("hoá") positions, and often typed without diacritics at all.
//! [`nfc`] is the form to store and display; [`fold`] is the form to compare and match.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The canonical composed (NFC) form of `text`: what to store and display.
pub fn nfc(text: &str) -> String {
    // Most text arrives composed already; the quick check is a table lookup per
    // character, where composing decomposes and sorts every character first.
    match unicode_normalization::is_nfc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text.to_owned(),
        _ => text.nfc().collect(),
    }
}

/// A matching key for `text`: decomposed, with combining marks (diacritics and
/// Vietnamese tone marks) dropped, `đ`/`Đ` mapped to `d`, lowercased, runs of
/// whitespace collapsed to one space and the ends trimmed.
///
/// `fold("  Thành phố Hồ Chí Minh ")` is `"thanh pho ho chi minh"` and
/// `fold("Đắk Lắk")` is `"dak lak"`, whether the input is NFC or NFD. The result
/// is for comparison only: it loses information and must never be shown or stored
/// in place of the original.
pub fn fold(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .flat_map(char::to_lowercase)
        .filter(|&c| !is_combining_mark(c))
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    let mut folded = String::with_capacity(stripped.len());
    for word in stripped.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Thành phố Hồ Chí Minh" written fully decomposed: base letters followed by
    /// separate combining marks (U+0300 grave, U+0301 acute, U+0302 circumflex).
    const HCM_NFD: &str = "Tha\u{300}nh pho\u{302}\u{301} Ho\u{302}\u{300} Chi\u{301} Minh";

    #[test]
    fn fold_strips_diacritics_case_and_extra_whitespace() {
        assert_eq!(fold("  Thành phố Hồ Chí Minh "), "thanh pho ho chi minh");
        assert_eq!(fold("Đắk Lắk"), "dak lak");
        assert_eq!(fold("ĐỒNG BẰNG SÔNG CỬU LONG"), "dong bang song cuu long");
        assert_eq!(fold("Trí\ttuệ \n nhân   tạo"), "tri tue nhan tao");
        assert_eq!(fold("Nghiên cứu ứng dụng"), "nghien cuu ung dung");
        assert_eq!(fold("Quảng Ngãi"), "quang ngai");
        assert_eq!(fold("Cybersecurity"), "cybersecurity");
    }

    #[test]
    fn fold_treats_nfd_input_like_nfc_input() {
        assert_ne!(
            HCM_NFD, "Thành phố Hồ Chí Minh",
            "the fixture really is decomposed"
        );
        assert_eq!(fold(HCM_NFD), "thanh pho ho chi minh");
        assert_eq!(fold(HCM_NFD), fold("Thành phố Hồ Chí Minh"));
        // "Đắk Lắk" with ắ decomposed into a + breve (U+0306) + acute (U+0301).
        assert_eq!(fold("\u{110}a\u{306}\u{301}k La\u{306}\u{301}k"), "dak lak");
        // "Lạng Sơn" with horn (U+031B) and dot below (U+0323) as separate marks.
        assert_eq!(fold("La\u{323}ng So\u{31B}n"), "lang son");
    }

    #[test]
    fn fold_ignores_tone_mark_placement_and_missing_diacritics() {
        assert_eq!(fold("Thanh Hóa"), fold("Thanh Hoá"));
        assert_eq!(fold("Khánh Hòa"), fold("Khanh Hoa"));
        assert_eq!(fold("Đà Nẵng"), fold("da nang"));
    }

    #[test]
    fn fold_of_blank_text_is_empty() {
        assert_eq!(fold(""), "");
        assert_eq!(fold(" \t\n "), "");
    }

    #[test]
    fn nfc_composes_decomposed_text_and_keeps_composed_text() {
        assert_eq!(nfc(HCM_NFD), "Thành phố Hồ Chí Minh");
        assert_eq!(nfc("Thành phố Hồ Chí Minh"), "Thành phố Hồ Chí Minh");
        assert_eq!(nfc("La\u{323}ng So\u{31B}n"), "Lạng Sơn");
        assert_eq!(nfc("\u{110}a\u{306}\u{301}k"), "Đắk");
        // nfc keeps diacritics, case and whitespace: it is the display form.
        assert_eq!(nfc("  Hà  Nội "), "  Hà  Nội ");
    }
}
