//! The client address, as Better Auth resolves it: the `X-Forwarded-For` header when it holds
//! exactly one valid IP. Better Auth on Node has no socket address to fall back on; we do, and use
//! it for rate-limit keys so that a server reached directly never lumps all clients together.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// What Better Auth writes to `session.ipAddress`: IPv4 as is, IPv6 cut to its /64 and written
/// out in full (`2001:0db8:0001:0002:0000:0000:0000:0000`), `""` when there is no single valid IP.
pub fn session_ip(headers: &HeaderMap) -> String {
    match forwarded_ip(headers) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!(
                "{:04x}:{:04x}:{:04x}:{:04x}:0000:0000:0000:0000",
                s[0], s[1], s[2], s[3]
            )
        }
        None => String::new(),
    }
}

/// The single valid IP in `X-Forwarded-For`, if it holds exactly one.
pub fn forwarded_ip(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get("x-forwarded-for")?.to_str().ok()?;
    let mut parts = value.split(',').map(str::trim).filter(|s| !s.is_empty());
    let first = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    first.parse::<IpAddr>().ok().map(normalize)
}

/// IPv4-mapped IPv6 addresses are IPv4 addresses.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The rate-limit key's address part; IPv6 masked to its /64 as Better Auth does, so one host
/// cannot dodge the limit by walking its own subnet.
pub fn rate_limit_ip(headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<String> {
    let ip = forwarded_ip(headers).or_else(|| peer.map(|p| normalize(p.ip())))?;
    Some(match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let masked = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{masked}/64")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static(v));
        h
    }

    #[test]
    fn one_forwarded_address_is_taken_several_are_not() {
        assert_eq!(
            forwarded_ip(&xff("203.0.113.7")),
            "203.0.113.7".parse().ok()
        );
        assert_eq!(forwarded_ip(&xff("203.0.113.7, 10.0.0.1")), None);
        assert_eq!(forwarded_ip(&xff("not-an-ip")), None);
        assert_eq!(
            forwarded_ip(&xff("::ffff:192.0.2.1")),
            "192.0.2.1".parse().ok()
        );
    }

    #[test]
    fn session_ips_are_written_as_better_auth_writes_them() {
        assert_eq!(session_ip(&xff(" 203.0.113.7 ")), "203.0.113.7");
        assert_eq!(
            session_ip(&xff("2001:db8:1:2:3:4:5:6")),
            "2001:0db8:0001:0002:0000:0000:0000:0000"
        );
        assert_eq!(session_ip(&xff("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(session_ip(&xff("1.1.1.1, 2.2.2.2")), "");
        assert_eq!(session_ip(&HeaderMap::new()), "");
    }

    #[test]
    fn rate_limit_keys_mask_ipv6_and_fall_back_to_the_peer() {
        assert_eq!(
            rate_limit_ip(&xff("2001:db8:1:2:3:4:5:6"), None).as_deref(),
            Some("2001:db8:1:2::/64")
        );
        let peer = SocketAddr::from(([127, 0, 0, 9], 5000));
        assert_eq!(
            rate_limit_ip(&HeaderMap::new(), Some(peer)).as_deref(),
            Some("127.0.0.9")
        );
    }
}
