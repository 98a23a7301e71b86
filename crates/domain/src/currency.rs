//! ISO 4217 currency codes in circulation (the 2024 list, less funds and metals).

const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL \
BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP \
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW \
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO \
NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD \
SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG \
XOF XPF YER ZAR ZMW ZWG";

/// Parses a currency code (`vnd` → `VND`), accepting only ISO 4217 codes.
pub fn parse_currency(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 3 && ISO_4217.split_ascii_whitespace().any(|c| c == code) {
        Ok(code)
    } else {
        Err(format!(
            "'{}' is not an ISO 4217 currency code such as VND or USD",
            raw.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_codes_only() {
        assert_eq!(parse_currency("vnd").unwrap(), "VND");
        assert_eq!(parse_currency(" USD ").unwrap(), "USD");
        assert!(parse_currency("XYZ").is_err());
        assert!(parse_currency("DONG").is_err());
    }
}
