//! Who sent a request: the connection's peer, or the client a trusted reverse proxy names.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Who sent a request on a connection: the connection's peer, or, when the peer is a
/// trusted reverse proxy, the client it names in `X-Forwarded-For`.
#[derive(Debug, Clone)]
pub(super) struct ClientAddress {
    pub(super) peer: SocketAddr,
    pub(super) trusted_proxies: Arc<[IpAddr]>,
}

impl ClientAddress {
    pub(super) fn of(&self, headers: &warp::http::HeaderMap) -> SocketAddr {
        client_address(self.peer, headers, &self.trusted_proxies)
    }
}

/// The address a request counts against: `peer`, unless `peer` is one of
/// `trusted_proxies`; then the right-most address of `X-Forwarded-For` (every such header,
/// in order) that is not itself a trusted proxy, with port 0. Addresses to its left were
/// written by the client and are not believed; an unreadable entry stops the walk there,
/// and the last trusted hop is used.
pub fn client_address(
    peer: SocketAddr,
    headers: &warp::http::HeaderMap,
    trusted_proxies: &[IpAddr],
) -> SocketAddr {
    if !trusted_proxies.contains(&peer.ip()) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = SocketAddr::new(ip, 0);
        if !trusted_proxies.contains(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::{HeaderMap, HeaderValue};

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    const PROXY: &str = "10.0.0.2";

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let peer: SocketAddr = "203.0.113.7:5000".parse().expect("an address");
        let headers = forwarded(&["198.51.100.1"]);
        assert_eq!(client_address(peer, &headers, &[]), peer);
        // A proxy that is not the peer does not make the header believed.
        assert_eq!(client_address(peer, &headers, &[ip(PROXY)]), peer);
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_last_address_it_did_not_add() {
        let peer = SocketAddr::new(ip(PROXY), 443);
        let trusted = [ip(PROXY), ip("10.0.0.3")];
        let client = |values: &[&str]| client_address(peer, &forwarded(values), &trusted);
        assert_eq!(client(&["198.51.100.1"]).ip(), ip("198.51.100.1"));
        // What the client wrote itself (the left part) is not believed.
        assert_eq!(client(&["1.2.3.4, 198.51.100.1"]).ip(), ip("198.51.100.1"));
        // Through two trusted proxies, and over two header lines.
        assert_eq!(
            client(&["1.2.3.4, 198.51.100.1", "10.0.0.3"]).ip(),
            ip("198.51.100.1")
        );
        assert_eq!(client(&["2001:db8::5"]).ip(), ip("2001:db8::5"));
        // No header, or garbage: the proxy itself.
        assert_eq!(client(&[]), peer);
        assert_eq!(client(&["not an address"]), peer);
        assert_eq!(
            client(&["198.51.100.1, garbage"]),
            peer,
            "an unreadable last hop is not skipped over"
        );
    }
}
