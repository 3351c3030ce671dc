//! `[advanced]`: where a client's address comes from. Better Auth's `advanced.ipAddress` options
//! (`ipAddressHeaders`, `disableIpTracking`) plus the proxies whose forwarding headers are
//! believed. Better Auth runs without a socket and believes the header; Tessera has the socket
//! peer and believes a header only when that peer is a trusted proxy.

use std::net::IpAddr;

use serde::Deserialize;

use super::{ConfigError, parse_bool};

/// An address range (`10.0.0.0/8`, `::1`). IPv4-mapped IPv6 is read as IPv4 so that one rule
/// covers both spellings of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network = canonical(addr.parse().ok()?);
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|p| *p <= max)?
            }
            Some(_) => return None,
        };
        Some(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.network, self.prefix) {
            (IpAddr::V4(_), 32) | (IpAddr::V6(_), 128) => write!(f, "{}", self.network),
            _ => write!(f, "{}/{}", self.network, self.prefix),
        }
    }
}

/// IPv4-mapped IPv6 addresses are IPv4 addresses.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Rails' `ActionDispatch::RemoteIp::TRUSTED_PROXIES` (loopback, private and link-local ranges):
/// a reverse proxy on the same host or network is believed, a public peer is not.
pub const DEFAULT_TRUSTED_PROXIES: [&str; 8] = [
    "127.0.0.0/8",
    "::1",
    "fc00::/7",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "fe80::/10",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddressConfig {
    /// Peers whose forwarding headers are believed.
    pub trusted_proxies: Vec<Cidr>,
    /// Whether `trusted_proxies` was set rather than defaulted. Only then does `session.ipAddress`
    /// walk a multi-address header, as Better Auth does only when given `trustedProxies`.
    pub trusted_proxies_configured: bool,
    /// Better Auth's `ipAddressHeaders`, lower-case, consulted in order.
    pub ip_address_headers: Vec<String>,
    /// Better Auth's `disableIpTracking`: sessions carry no address and the limiter, which
    /// keys on addresses, does not apply (as in Better Auth).
    pub disable_ip_tracking: bool,
}

impl Default for ClientAddressConfig {
    fn default() -> Self {
        ClientAddressConfig {
            trusted_proxies: DEFAULT_TRUSTED_PROXIES
                .iter()
                .filter_map(|c| Cidr::parse(c))
                .collect(),
            trusted_proxies_configured: false,
            ip_address_headers: vec!["x-forwarded-for".to_owned()],
            disable_ip_tracking: false,
        }
    }
}

impl ClientAddressConfig {
    /// One line for the server's start: which address the limiter keys on.
    pub fn describe(&self) -> String {
        if self.disable_ip_tracking {
            return "client address: not tracked (disable_ip_tracking); the rate limiter does not apply".to_owned();
        }
        if self.trusted_proxies.is_empty() || self.ip_address_headers.is_empty() {
            return "client address: socket peer; no forwarding header is trusted".to_owned();
        }
        let proxies: Vec<String> = self.trusted_proxies.iter().map(Cidr::to_string).collect();
        format!(
            "client address: socket peer; {} trusted from {}",
            self.ip_address_headers.join(", "),
            proxies.join(", ")
        )
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileAdvanced {
    pub trusted_proxies: Option<Vec<String>>,
    pub ip_address_headers: Option<Vec<String>>,
    pub disable_ip_tracking: Option<bool>,
}

/// The file's `[advanced]`, then the environment over it.
pub(super) fn load(
    file: Option<FileAdvanced>,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<ClientAddressConfig, ConfigError> {
    let mut c = ClientAddressConfig::default();
    let file = file.unwrap_or_default();
    if let Some(list) = file.trusted_proxies {
        c.trusted_proxies = proxies_from("advanced.trusted_proxies", list.iter())?;
        c.trusted_proxies_configured = true;
    }
    if let Some(list) = file.ip_address_headers {
        c.ip_address_headers = headers_from("advanced.ip_address_headers", list.iter())?;
    }
    if let Some(v) = file.disable_ip_tracking {
        c.disable_ip_tracking = v;
    }
    if let Some(v) = get("TESSERA_TRUSTED_PROXIES") {
        c.trusted_proxies = if v.trim().eq_ignore_ascii_case("none") {
            Vec::new()
        } else {
            proxies_from("TESSERA_TRUSTED_PROXIES", v.split(','))?
        };
        c.trusted_proxies_configured = true;
    }
    if let Some(v) = get("TESSERA_IP_ADDRESS_HEADERS") {
        c.ip_address_headers = headers_from("TESSERA_IP_ADDRESS_HEADERS", v.split(','))?;
    }
    if let Some(v) = get("TESSERA_DISABLE_IP_TRACKING") {
        c.disable_ip_tracking = parse_bool("TESSERA_DISABLE_IP_TRACKING", &v)?;
    }
    Ok(c)
}

fn proxies_from<S: AsRef<str>>(
    key: &str,
    entries: impl Iterator<Item = S>,
) -> Result<Vec<Cidr>, ConfigError> {
    entries
        .map(|e| e.as_ref().trim().to_owned())
        .filter(|e| !e.is_empty())
        .map(|e| {
            Cidr::parse(&e).ok_or_else(|| ConfigError::Invalid {
                key: key.into(),
                reason: format!("{e:?} is not an IP address or CIDR range"),
            })
        })
        .collect()
}

fn headers_from<S: AsRef<str>>(
    key: &str,
    entries: impl Iterator<Item = S>,
) -> Result<Vec<String>, ConfigError> {
    entries
        .map(|e| e.as_ref().trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .map(|e| {
            if is_header_name(&e) {
                Ok(e)
            } else {
                Err(ConfigError::Invalid {
                    key: key.into(),
                    reason: format!("{e:?} is not a header name"),
                })
            }
        })
        .collect()
}

/// RFC 9110 token characters, so that the server can look the header up by this name.
fn is_header_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_their_addresses_and_no_others() {
        let private = Cidr::parse("172.16.0.0/12").unwrap();
        assert!(private.contains(ip("172.31.255.255")));
        assert!(!private.contains(ip("172.32.0.0")));
        assert!(
            private.contains(ip("::ffff:172.16.0.1")),
            "mapped IPv6 is IPv4"
        );
        let unique_local = Cidr::parse("fc00::/7").unwrap();
        assert!(unique_local.contains(ip("fd12::1")));
        assert!(!unique_local.contains(ip("fe00::1")));
        assert!(!unique_local.contains(ip("10.0.0.1")));
        let host = Cidr::parse("203.0.113.7").unwrap();
        assert!(host.contains(ip("203.0.113.7")) && !host.contains(ip("203.0.113.8")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/8x",
            "10.0.0.0/",
            "host",
            "1e3",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(Cidr::parse("::1").unwrap().to_string(), "::1");
    }

    #[test]
    fn defaults_trust_loopback_private_and_link_local_ranges() {
        let c = ClientAddressConfig::default();
        assert_eq!(c.trusted_proxies.len(), DEFAULT_TRUSTED_PROXIES.len());
        for trusted in [
            "127.0.0.1",
            "::1",
            "10.1.2.3",
            "192.168.0.9",
            "169.254.1.1",
            "fe80::1",
            "fd00::1",
        ] {
            assert!(
                c.trusted_proxies.iter().any(|p| p.contains(ip(trusted))),
                "{trusted}"
            );
        }
        for public in ["203.0.113.7", "8.8.8.8", "2001:db8::1", "172.32.0.1"] {
            assert!(
                !c.trusted_proxies.iter().any(|p| p.contains(ip(public))),
                "{public}"
            );
        }
        assert_eq!(c.ip_address_headers, ["x-forwarded-for"]);
        assert!(!c.trusted_proxies_configured && !c.disable_ip_tracking);
    }

    #[test]
    fn the_environment_sets_proxies_headers_and_tracking_and_none_trusts_none() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let c = load(
            None,
            &env(&[
                ("TESSERA_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32"),
                (
                    "TESSERA_IP_ADDRESS_HEADERS",
                    "CF-Connecting-IP,x-forwarded-for",
                ),
                ("TESSERA_DISABLE_IP_TRACKING", "on"),
            ]),
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(c.trusted_proxies_configured && c.disable_ip_tracking);
        assert_eq!(
            c.ip_address_headers,
            ["cf-connecting-ip", "x-forwarded-for"]
        );

        let none = load(None, &env(&[("TESSERA_TRUSTED_PROXIES", "none")])).unwrap();
        assert!(none.trusted_proxies.is_empty());
        assert_eq!(
            none.describe(),
            "client address: socket peer; no forwarding header is trusted"
        );

        let typo = load(
            None,
            &env(&[("TESSERA_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0/8")]),
        );
        assert!(matches!(typo, Err(ConfigError::Invalid { .. })), "{typo:?}");
        let bad_header = load(None, &env(&[("TESSERA_IP_ADDRESS_HEADERS", "x forwarded")]));
        assert!(bad_header.is_err());
    }

    #[test]
    fn the_file_sets_them_too() {
        let file = FileAdvanced {
            trusted_proxies: Some(vec!["192.0.2.10".into()]),
            ip_address_headers: Some(vec!["X-Real-IP".into()]),
            disable_ip_tracking: Some(false),
        };
        let c = load(Some(file), &|_| None).unwrap();
        assert_eq!(
            c.describe(),
            "client address: socket peer; x-real-ip trusted from 192.0.2.10"
        );
    }
}
