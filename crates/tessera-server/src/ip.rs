//! The client's address. Two rules, kept apart on purpose:
//!
//! - The rate limiter keys on [`limiter_ip`]: the socket peer, unless the peer is a trusted proxy;
//!   then the right-most address of the forwarding header that is not a trusted proxy (Rails'
//!   `RemoteIp`). A public client's forged header is ignored, so a fresh `X-Forwarded-For` per
//!   request does not buy a fresh counter.
//! - `session.ipAddress` is what Better Auth writes ([`session_ip`]): its `getIP` on the header —
//!   one valid address, or with explicitly configured `trusted_proxies` the chain walked from the
//!   right — believed only from a trusted peer. A public peer is recorded as itself. This keeps the
//!   stored value byte-compatible with Better Auth behind a proxy (e.g. `"a, b"` is `""` there,
//!   while the limiter takes `b`).
//!
//! Without a socket peer (an embedding app serving the router without connect info) both follow
//! Better Auth, which never has one.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::http::HeaderMap;
use tessera_core::config::{ClientAddressConfig, canonical};

/// What the guard resolved for the request in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress {
    /// The limiter key's address part; `None` when no address is known (a shared bucket).
    pub limiter: Option<String>,
    /// The value for `session.ipAddress`.
    pub session: String,
}

tokio::task_local! {
    /// Set by the guard around every route, so that the places creating sessions need not carry
    /// the peer address through their signatures.
    static CURRENT: ClientAddress;
}

/// Runs `future` (the rest of the request) with `address` as the request's client address.
pub async fn scope<F: Future>(address: ClientAddress, future: F) -> F::Output {
    CURRENT.scope(address, future).await
}

/// Resolves both rules for one request.
pub fn resolve(
    config: &ClientAddressConfig,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> ClientAddress {
    let peer = peer.map(|p| p.ip());
    ClientAddress {
        limiter: limiter_ip(config, headers, peer).map(limiter_text),
        session: session_text(session_address(config, headers, peer)),
    }
}

/// `session.ipAddress` for the request in flight, as the guard resolved it. Outside the guard
/// (nothing in Tessera creates a session there) Better Auth's rule on the headers alone.
pub fn session_ip(headers: &HeaderMap) -> String {
    CURRENT
        .try_with(|c| c.session.clone())
        .unwrap_or_else(|_| session_text(better_auth_ip(&ClientAddressConfig::default(), headers)))
}

fn is_trusted(config: &ClientAddressConfig, ip: IpAddr) -> bool {
    config.trusted_proxies.iter().any(|p| p.contains(ip))
}

/// The address the limiter counts, before formatting; `None` when tracking is off or nothing can
/// be resolved.
pub fn limiter_ip(
    config: &ClientAddressConfig,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    if config.disable_ip_tracking {
        return None;
    }
    let Some(peer) = peer.map(canonical) else {
        return better_auth_ip(config, headers);
    };
    if !is_trusted(config, peer) {
        return Some(peer);
    }
    for name in &config.ip_address_headers {
        let Some(value) = joined(headers, name) else {
            continue;
        };
        let hops: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if hops.is_empty() {
            continue;
        }
        // Walking from the right, each hop was written by the proxy to its right, which we trust
        // so far. An unreadable hop ends the walk: the last proxy we trust is the best we know.
        let mut nearest_trusted = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if is_trusted(config, ip) => nearest_trusted = ip,
                Some(ip) => return Some(ip),
                None => return Some(nearest_trusted),
            }
        }
        return Some(nearest_trusted);
    }
    Some(peer)
}

/// What Better Auth's `getIP` reads from the headers; `None` where it answers `null`.
fn better_auth_ip(config: &ClientAddressConfig, headers: &HeaderMap) -> Option<IpAddr> {
    if config.disable_ip_tracking {
        return None;
    }
    let walk_chain = config.trusted_proxies_configured && !config.trusted_proxies.is_empty();
    config.ip_address_headers.iter().find_map(|name| {
        let value = joined(headers, name)?;
        let hops: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if walk_chain {
            // Better Auth fails closed on a malformed hop and when every hop is a proxy.
            for hop in hops.iter().rev() {
                let ip = canonical(hop.parse().ok()?);
                if !is_trusted(config, ip) {
                    return Some(ip);
                }
            }
            return None;
        }
        match hops.as_slice() {
            [one] => one.parse().ok().map(canonical),
            _ => None,
        }
    })
}

fn session_address(
    config: &ClientAddressConfig,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    if config.disable_ip_tracking {
        return None;
    }
    match peer.map(canonical) {
        Some(peer) if !is_trusted(config, peer) => Some(peer),
        _ => better_auth_ip(config, headers),
    }
}

/// All values of a header as one list: proxies may append a line rather than extend the first.
/// `None` when absent or not text.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for value in headers.get_all(name) {
        let text = value.to_str().ok()?;
        match &mut out {
            Some(s) => {
                s.push(',');
                s.push_str(text);
            }
            None => out = Some(text.to_owned()),
        }
    }
    out
}

/// One forwarded hop: an address, or an address with a port as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(canonical)
}

/// IPv6 masked to its /64 as Better Auth does, so that one host cannot dodge the limit by
/// walking its own subnet.
fn limiter_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{}/64", mask_64(v6)),
    }
}

/// What Better Auth writes to `session.ipAddress`: IPv4 as is, IPv6 cut to its /64 and written
/// out in full (`2001:0db8:0001:0002:0000:0000:0000:0000`), `""` when unknown.
fn session_text(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:04x}:{b:04x}:{c:04x}:{d:04x}:0000:0000:0000:0000")
        }
        None => String::new(),
    }
}

fn mask_64(v6: Ipv6Addr) -> Ipv6Addr {
    Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;
    use tessera_core::config::Cidr;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn peer(s: &str) -> Option<IpAddr> {
        Some(ip(s))
    }

    fn defaults() -> ClientAddressConfig {
        ClientAddressConfig::default()
    }

    fn trusting(proxies: &[&str]) -> ClientAddressConfig {
        ClientAddressConfig {
            trusted_proxies: proxies.iter().map(|p| Cidr::parse(p).unwrap()).collect(),
            trusted_proxies_configured: true,
            ..ClientAddressConfig::default()
        }
    }

    #[test]
    fn a_public_peer_is_the_client_whatever_it_forwards() {
        let c = defaults();
        for forged in ["198.51.100.99", "10.0.0.1", "1.1.1.1, 2.2.2.2", "garbage"] {
            assert_eq!(
                limiter_ip(&c, &xff(forged), peer("203.0.113.7")),
                peer("203.0.113.7"),
                "{forged}"
            );
        }
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let c = defaults();
        let local = peer("127.0.0.1");
        assert_eq!(
            limiter_ip(&c, &xff("203.0.113.7"), local),
            peer("203.0.113.7")
        );
        // The client forged the left part; the proxy appended what it saw.
        assert_eq!(
            limiter_ip(&c, &xff("6.6.6.6, 203.0.113.7"), local),
            peer("203.0.113.7")
        );
        // A chain of proxies on the private network is skipped.
        assert_eq!(
            limiter_ip(
                &c,
                &xff("6.6.6.6, 203.0.113.7, 10.0.0.2, 192.168.1.1"),
                local
            ),
            peer("203.0.113.7")
        );
        // Every hop trusted: the left-most is the farthest we know.
        assert_eq!(
            limiter_ip(&c, &xff("10.0.0.5, 10.0.0.2"), local),
            peer("10.0.0.5")
        );
        // No header: the proxy itself.
        assert_eq!(limiter_ip(&c, &HeaderMap::new(), local), local);
        assert_eq!(limiter_ip(&c, &xff(" , "), local), local);
    }

    #[test]
    fn an_unreadable_hop_ends_the_walk_at_the_last_trusted_proxy() {
        let c = defaults();
        let local = peer("127.0.0.1");
        assert_eq!(limiter_ip(&c, &xff("not-an-ip"), local), local);
        assert_eq!(
            limiter_ip(&c, &xff("203.0.113.7, bogus, 10.0.0.2"), local),
            peer("10.0.0.2")
        );
        assert_eq!(
            limiter_ip(&c, &xff("1.2.3.4, 203.0.113.7:8443"), local),
            peer("203.0.113.7")
        );
        assert_eq!(
            limiter_ip(&c, &xff("[2001:db8::1]:443"), local),
            peer("2001:db8::1")
        );
        let mut binary = HeaderMap::new();
        binary.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff1.2.3.4").unwrap(),
        );
        assert_eq!(limiter_ip(&c, &binary, local), local);
    }

    #[test]
    fn repeated_header_lines_are_one_list() {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("6.6.6.6"));
        h.append("x-forwarded-for", HeaderValue::from_static("203.0.113.7"));
        assert_eq!(
            limiter_ip(&defaults(), &h, peer("10.0.0.1")),
            peer("203.0.113.7")
        );
    }

    #[test]
    fn trusting_none_makes_every_peer_the_client() {
        let none = ClientAddressConfig {
            trusted_proxies: Vec::new(),
            trusted_proxies_configured: true,
            ..defaults()
        };
        assert_eq!(
            limiter_ip(&none, &xff("203.0.113.7"), peer("127.0.0.1")),
            peer("127.0.0.1")
        );
    }

    #[test]
    fn custom_ranges_replace_the_defaults() {
        let c = trusting(&["198.51.100.0/24", "2001:db8:ffff::/48"]);
        assert_eq!(
            limiter_ip(&c, &xff("203.0.113.7"), peer("198.51.100.20")),
            peer("203.0.113.7")
        );
        assert_eq!(
            limiter_ip(&c, &xff("203.0.113.7"), peer("127.0.0.1")),
            peer("127.0.0.1"),
            "loopback is no longer trusted"
        );
        assert_eq!(
            limiter_ip(
                &c,
                &xff("203.0.113.7, 198.51.100.9"),
                peer("2001:db8:ffff::5")
            ),
            peer("203.0.113.7")
        );
    }

    #[test]
    fn ipv6_is_normalised_and_masked_for_the_key() {
        let c = defaults();
        assert_eq!(
            limiter_ip(&c, &HeaderMap::new(), peer("::ffff:203.0.113.7")),
            peer("203.0.113.7")
        );
        assert_eq!(
            limiter_ip(&c, &xff("::ffff:203.0.113.8"), peer("::1")),
            peer("203.0.113.8")
        );
        let resolved = resolve(
            &c,
            &xff("2001:db8:1:2:3:4:5:6"),
            Some(SocketAddr::from(([127, 0, 0, 1], 4000))),
        );
        assert_eq!(resolved.limiter.as_deref(), Some("2001:db8:1:2::/64"));
        let direct = resolve(&c, &HeaderMap::new(), "[2001:db8:1:2::9]:5000".parse().ok());
        assert_eq!(direct.limiter.as_deref(), Some("2001:db8:1:2::/64"));
    }

    #[test]
    fn other_headers_are_read_in_their_order() {
        let c = ClientAddressConfig {
            ip_address_headers: vec!["cf-connecting-ip".into(), "x-forwarded-for".into()],
            ..defaults()
        };
        let mut h = xff("198.51.100.1");
        assert_eq!(limiter_ip(&c, &h, peer("127.0.0.1")), peer("198.51.100.1"));
        h.insert("cf-connecting-ip", HeaderValue::from_static("203.0.113.7"));
        assert_eq!(limiter_ip(&c, &h, peer("127.0.0.1")), peer("203.0.113.7"));
    }

    #[test]
    fn disabled_tracking_knows_no_address() {
        let c = ClientAddressConfig {
            disable_ip_tracking: true,
            ..defaults()
        };
        let r = resolve(&c, &xff("203.0.113.7"), "203.0.113.9:1".parse().ok());
        assert_eq!(
            r,
            ClientAddress {
                limiter: None,
                session: String::new()
            }
        );
    }

    #[test]
    fn without_a_peer_both_rules_are_better_auths() {
        let c = defaults();
        assert_eq!(
            limiter_ip(&c, &xff("203.0.113.7"), None),
            peer("203.0.113.7")
        );
        assert_eq!(limiter_ip(&c, &xff("203.0.113.7, 10.0.0.1"), None), None);
        assert_eq!(resolve(&c, &HeaderMap::new(), None).limiter, None);
    }

    #[test]
    fn session_ips_are_written_as_better_auth_writes_them() {
        let c = defaults();
        let local = "127.0.0.1:40000".parse().ok();
        let session = |v: &str| resolve(&c, &xff(v), local).session;
        // compat/test/sign-in.test.mjs pins these against real Better Auth.
        assert_eq!(session(" 203.0.113.8 "), "203.0.113.8");
        assert_eq!(session("203.0.113.7, 198.51.100.1"), "");
        assert_eq!(session("not-an-ip"), "");
        assert_eq!(session("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(
            session("2001:db8:1:2:3:4:5:6"),
            "2001:0db8:0001:0002:0000:0000:0000:0000"
        );
        assert_eq!(resolve(&c, &HeaderMap::new(), local).session, "");
        // A public peer is its own address, whatever it forwards.
        assert_eq!(
            resolve(&c, &xff("198.51.100.1"), "203.0.113.5:1".parse().ok()).session,
            "203.0.113.5"
        );
        // Configured proxies walk the chain, and fail closed as Better Auth does.
        let walk = trusting(&["127.0.0.1", "10.0.0.0/8"]);
        let session = |v: &str| resolve(&walk, &xff(v), local).session;
        assert_eq!(session("6.6.6.6, 203.0.113.7, 10.0.0.2"), "203.0.113.7");
        assert_eq!(session("203.0.113.7, junk, 10.0.0.2"), "");
        assert_eq!(session("10.0.0.3, 10.0.0.2"), "");
        // Outside the guard: Better Auth's rule on the headers.
        assert_eq!(session_ip(&xff("203.0.113.7")), "203.0.113.7");
        assert_eq!(session_ip(&xff("1.1.1.1, 2.2.2.2")), "");
    }

    #[tokio::test]
    async fn inside_the_guard_sessions_take_the_resolved_address() {
        let resolved = resolve(
            &defaults(),
            &xff("198.51.100.1"),
            "203.0.113.5:1".parse().ok(),
        );
        let inside = scope(resolved, async { session_ip(&xff("198.51.100.1")) }).await;
        assert_eq!(inside, "203.0.113.5");
    }
}
