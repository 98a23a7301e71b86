//! Which addresses a webhook may reach (server-side request forgery guard).
//!
//! [`AddressPolicy::allows`] is the one rule: public unicast addresses are allowed;
//! loopback, private, link-local, unspecified, multicast, broadcast, CGNAT,
//! documentation, benchmarking, reserved, unique-local (and IPv4 addresses embedded
//! in IPv6 — mapped, translated, NAT64, 6to4 — that are any of these) are not — unless `webhooks.allow_private` lists
//! the host name, the address, or a network containing it. The rule is applied at
//! registration (to the URL) and again at every delivery (to each address the host
//! resolves to); the delivery connects only to an address that passed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use ipnet::IpNet;
use reqwest::Url;
use url::Host;

/// The allow-list, parsed.
#[derive(Clone, Debug, Default)]
pub struct AddressPolicy {
    hosts: Vec<String>,
    networks: Vec<IpNet>,
}

/// A registered URL that passed the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: Url,
    /// The host as written (an IPv6 address without brackets).
    pub host: String,
    pub port: u16,
}

impl AddressPolicy {
    /// Reads `webhooks.allow_private`: each entry is an address, a CIDR network or a
    /// host name.
    pub fn new(entries: &[String]) -> Result<Self, String> {
        let mut policy = Self::default();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if let Ok(ip) = entry.parse::<IpAddr>() {
                policy.networks.push(IpNet::from(canonical(ip)));
            } else if entry.contains('/') {
                let net: IpNet = entry.parse().map_err(|_| {
                    format!("webhooks.allow_private: '{entry}' is not a CIDR network")
                })?;
                policy.networks.push(net);
            } else {
                policy
                    .hosts
                    .push(entry.trim_end_matches('.').to_ascii_lowercase());
            }
        }
        Ok(policy)
    }

    /// Whether the allow-list names `host` or contains `ip`.
    fn listed(&self, host: &str, ip: Option<IpAddr>) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
            || ip.is_some_and(|ip| {
                let ip = canonical(ip);
                self.networks.iter().any(|net| net.contains(&ip))
            })
    }

    /// The one rule: may a webhook reach `host` (a name or an address), or the
    /// address `ip` that it resolved to?
    pub fn allows(&self, host: &str, ip: Option<IpAddr>) -> bool {
        if self.listed(host, ip) {
            return true;
        }
        match ip {
            Some(ip) => is_public(ip),
            // A name not yet resolved: only local names are refused outright; its
            // addresses are checked at each delivery.
            None => !is_local_name(host),
        }
    }

    /// Checks a URL given at registration; the error says why it is refused.
    pub fn check_url(&self, raw: &str) -> Result<Target, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("is not a valid URL ({e})"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain a user name or password".into());
        }
        let (host, ip) = match url.host() {
            Some(Host::Domain(name)) => (name.to_owned(), None),
            Some(Host::Ipv4(ip)) => (ip.to_string(), Some(IpAddr::V4(ip))),
            Some(Host::Ipv6(ip)) => (ip.to_string(), Some(IpAddr::V6(ip))),
            None => return Err("must name a host".into()),
        };
        match url.scheme() {
            "https" => {}
            "http" if self.listed(&host, ip) => {}
            "http" => return Err("must use https".into()),
            _ => return Err("must be an https URL".into()),
        }
        if !self.allows(&host, ip) {
            return Err(
                "must not point at a loopback, private, link-local or otherwise internal address"
                    .into(),
            );
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "must have a port".to_owned())?;
        // Port 0 is no service's: connecting to it fails or, on some systems,
        // reaches whatever the kernel picks.
        if port == 0 {
            return Err("must not use port 0".into());
        }
        if url.fragment().is_some() {
            return Err("must not have a fragment".into());
        }
        Ok(Target { url, host, port })
    }

    /// Resolves the target now and returns its addresses if every one is allowed
    /// (one internal address refuses the lot: a name that mixes them is suspect).
    pub fn resolve(&self, target: &Target) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", target.host))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{} has no address", target.host));
        }
        if let Some(bad) = addrs
            .iter()
            .find(|a| !self.allows(&target.host, Some(a.ip())))
        {
            return Err(format!(
                "{} resolves to {}, an internal address",
                target.host,
                bad.ip()
            ));
        }
        Ok(addrs)
    }
}

fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local")
}

/// An IPv4 address carried in IPv6 (mapped `::ffff:a.b.c.d`) as IPv4, so that one
/// rule and one allow-list cover both spellings.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    const BLOCKED: &[([u8; 4], u8)] = &[
        ([0, 0, 0, 0], 8),       // "this network", unspecified
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // carrier-grade NAT
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local (cloud metadata lives here)
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, and 255.255.255.255 broadcast
    ];
    !BLOCKED.iter().any(|&(net, prefix)| in_v4(ip, net, prefix))
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // IPv4 inside IPv6 by translation or tunnelling: judge the IPv4 address.
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        is_public_v4(Ipv4Addr::new(a, b, c, d))
    };
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return embedded(segments[6], segments[7]); // NAT64
    }
    if in_v6(ip, [0, 0, 0, 0, 0xffff, 0, 0, 0], 96) {
        return embedded(segments[6], segments[7]); // IPv4-translated (SIIT), ::ffff:0:a.b.c.d
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        return embedded(segments[1], segments[2]); // 6to4
    }
    const BLOCKED: &[([u16; 8], u8)] = &[
        ([0, 0, 0, 0, 0, 0, 0, 0], 96), // unspecified, loopback, IPv4-compatible
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), // local-use NAT64
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64), // discard-only
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo …)
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), // unique local
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), // link-local
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), // site-local (deprecated)
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), // multicast
    ];
    !BLOCKED.iter().any(|&(net, prefix)| in_v6(ip, net, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn policy(entries: &[&str]) -> AddressPolicy {
        AddressPolicy::new(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn internal_ipv4_addresses_are_refused_and_public_ones_allowed() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.5.5.5",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.10",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ];
        for text in refused {
            assert!(!is_public(ip(text)), "{text} must be refused");
        }
        let allowed = [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "113.160.0.1",
        ];
        for text in allowed {
            assert!(is_public(ip(text)), "{text} must be allowed");
        }
    }

    #[test]
    fn internal_ipv6_addresses_and_embedded_ipv4_are_refused() {
        let refused = [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "2001:db8::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001::1",
            "100::1",
            "::ffff:0:a00:1",
            "::ffff:0:10.0.0.1",
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
        ];
        for text in refused {
            assert!(!is_public(ip(text)), "{text} must be refused");
        }
        let allowed = [
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ];
        for text in allowed {
            assert!(is_public(ip(text)), "{text} must be allowed");
        }
    }

    #[test]
    fn the_allow_list_takes_hosts_addresses_and_networks() {
        let p = policy(&["127.0.0.1", "10.20.0.0/16", "hooks.internal", "fd00::/8"]);
        assert!(p.allows("127.0.0.1", Some(ip("127.0.0.1"))));
        assert!(
            p.allows("::ffff:127.0.0.1", Some(ip("::ffff:127.0.0.1"))),
            "the mapped spelling of a listed address"
        );
        assert!(!p.allows("127.0.0.2", Some(ip("127.0.0.2"))));
        assert!(p.allows("10.20.3.4", Some(ip("10.20.3.4"))));
        assert!(!p.allows("10.21.0.1", Some(ip("10.21.0.1"))));
        assert!(p.allows("fd00::5", Some(ip("fd00::5"))));
        assert!(!p.allows("fc00::5", Some(ip("fc00::5"))));
        assert!(
            p.allows("Hooks.Internal.", Some(ip("192.168.0.9"))),
            "by name"
        );
        assert!(!p.allows("other.internal", Some(ip("192.168.0.9"))));
        assert!(!policy(&[]).allows("localhost", None));
        assert!(policy(&["localhost"]).allows("localhost", None));
        assert!(AddressPolicy::new(&["10.0.0.0/40".into()]).is_err());
    }

    #[test]
    fn registration_urls() {
        let open = policy(&[]);
        assert!(open.check_url("https://hooks.example.org/techex").is_ok());
        assert_eq!(
            open.check_url("https://203.0.114.5:8443/x").unwrap().port,
            8443
        );
        for bad in [
            "http://hooks.example.org/",
            "ftp://hooks.example.org/",
            "https://localhost/",
            "https://api.localhost/",
            "https://127.0.0.1/",
            "https://0x7f.1/",
            "https://2130706433/",
            "https://10.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:192.168.0.1]/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::ffff:0:a00:1]/",
            "https://example.com:0/",
            "https://user:pw@hooks.example.org/",
            "not a url",
            "https:///",
        ] {
            assert!(open.check_url(bad).is_err(), "{bad} must be refused");
        }
        assert_eq!(
            open.check_url("https://example.com:0/").unwrap_err(),
            "must not use port 0"
        );
        let local = policy(&["127.0.0.1"]);
        assert!(local.check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(local.check_url("https://127.0.0.1/").is_ok());
        assert!(local.check_url("http://127.0.0.2/").is_err());
        assert!(local.check_url("http://hooks.example.org/").is_err());
    }

    #[test]
    fn resolution_checks_every_address() {
        let target = policy(&[]).check_url("https://hooks.example.org/").unwrap();
        let localhost = Target {
            host: "localhost".into(),
            ..target
        };
        assert!(
            policy(&[]).resolve(&localhost).is_err(),
            "a name resolving to loopback"
        );
        let ok = policy(&["127.0.0.0/8", "::1"]).resolve(&localhost).unwrap();
        assert!(ok.iter().all(|a| a.ip().is_loopback()));
    }
}
