//! Settings of a running server, built from the command line by `main.rs`.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where the server listens, checked when the command line is read so that a typo is
/// reported before anything starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr(pub SocketAddr);

/// A `--listen` value that is not an `IP:PORT` address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--listen {0:?} is not an address: give an IP address and a port, such as 127.0.0.1:8080 \
     or [::1]:8080 (port 0 picks a free port)"
)]
pub struct BadListenAddr(String);

impl FromStr for ListenAddr {
    type Err = BadListenAddr;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // Accept `localhost` as people type it, but resolve it without asking the network.
        let text_for_parse = match text.strip_prefix("localhost:") {
            Some(port) => format!("127.0.0.1:{port}"),
            None => text.to_owned(),
        };
        text_for_parse
            .parse()
            .map(ListenAddr)
            .map_err(|_| BadListenAddr(text.to_owned()))
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The certificate chain and private key the server speaks HTTPS with (`--tls-cert`,
/// `--tls-key`), both PEM files; read and checked by `serve::tls::server_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// The private key of that certificate.
    pub key: PathBuf,
}

/// One of `--tls-cert` and `--tls-key` given without the other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{given} needs {missing} as well: give both the certificate chain and its private key \
     (PEM files) to serve HTTPS, or neither to serve plain HTTP (behind a TLS-terminating \
     proxy)"
)]
pub struct TlsFlagAlone {
    given: &'static str,
    missing: &'static str,
}

impl TlsFiles {
    /// The TLS files from the two command-line flags: both or neither.
    pub fn from_flags(
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> Result<Option<Self>, TlsFlagAlone> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(TlsFlagAlone {
                given: "--tls-cert",
                missing: "--tls-key",
            }),
            (None, Some(_)) => Err(TlsFlagAlone {
                given: "--tls-key",
                missing: "--tls-cert",
            }),
        }
    }
}

/// Everything `letsema serve` needs to run.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The address to listen on.
    pub listen: ListenAddr,
    /// The database: the embedded one in a data directory (created on first start), or
    /// PostgreSQL.
    pub database: crate::store::Database,
    /// The folder holding the built web app (`index.html`, `sw.js`, `pkg/`).
    pub web_dir: PathBuf,
    /// Publish the reference form on start if it is not published yet.
    pub demo: bool,
    /// The address people open (for enrolment links and QR codes); the listening address
    /// when not given.
    pub public_url: Option<String>,
    /// The bearer token that lets a scraper read `/metrics`.
    pub metrics_token: Option<String>,
    /// Serve HTTPS with these files; plain HTTP when `None`.
    pub tls: Option<TlsFiles>,
    /// How long slow or silent clients may hold a connection.
    pub timeouts: ConnectionTimeouts,
    /// How many connections may be open at once, in all and from one address.
    pub limits: ConnectionLimits,
    /// Reverse proxies whose `X-Forwarded-For` is believed: behind them, the client's
    /// address (for the per-address limits) is the last one they did not add themselves.
    /// Empty: the header is ignored, as any client may send it.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sync requests admitted at once, at most ([`crate::workers::QueueLimits`]); `None`:
    /// [`crate::workers::QueueLimits::PER_THREAD`] per sync worker (one per core).
    pub sync_queue: Option<std::num::NonZeroUsize>,
}

/// How sessions behave.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// A session unused for this long is closed.
    pub idle_timeout_secs: i64,
    /// Whether cookies carry `Secure` (set when the server speaks TLS).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            idle_timeout_secs: 8 * 60 * 60,
            secure_cookies: false,
        }
    }
}

/// How long a client may take over the TLS handshake before its connection is closed (a
/// client that never finishes one must not hold a connection for ever).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a connection's first bytes (those that tell HTTP/1
/// from HTTP/2), and then each HTTP/1 request's headers, counted from when the server starts
/// waiting for them. A client that sends them slowly (slowloris) or not at all is
/// disconnected; so is an HTTP/1 keep-alive connection idle for this long. A phone on a poor
/// network sends a few hundred bytes of headers in far less.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an HTTP/2 connection may be quiet before the server pings the client.
pub const HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(60);

/// How long the server waits for the answer to that ping before closing the connection (its
/// client went away without closing it, or does not speak HTTP/2 at all).
pub const HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a client may keep a connection without making progress, so that slow or silent
/// clients cannot tie up connections (and file descriptors) for ever. The defaults are the
/// constants above; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionTimeouts {
    /// For the TLS handshake ([`TLS_HANDSHAKE_TIMEOUT`]).
    pub tls_handshake: Duration,
    /// For a connection's first bytes and each HTTP/1 request's headers
    /// ([`HEADER_READ_TIMEOUT`]).
    pub header_read: Duration,
    /// Quiet time on an HTTP/2 connection before the server pings the client
    /// ([`HTTP2_KEEP_ALIVE_INTERVAL`]).
    pub http2_keep_alive_interval: Duration,
    /// How long the server waits for the answer to that ping
    /// ([`HTTP2_KEEP_ALIVE_TIMEOUT`]).
    pub http2_keep_alive_timeout: Duration,
}

impl Default for ConnectionTimeouts {
    fn default() -> Self {
        ConnectionTimeouts {
            tls_handshake: TLS_HANDSHAKE_TIMEOUT,
            header_read: HEADER_READ_TIMEOUT,
            http2_keep_alive_interval: HTTP2_KEEP_ALIVE_INTERVAL,
            http2_keep_alive_timeout: HTTP2_KEEP_ALIVE_TIMEOUT,
        }
    }
}

/// Connections open at once from one address, by default: a browser opens up to six
/// HTTP/1.1 connections to a server (one with HTTP/2), so this leaves room for about ten
/// browsers behind one shared address (an office, a carrier's NAT), while an attacker with
/// one address holds only a small share of the total.
pub const MAX_CONNECTIONS_PER_ADDRESS: NonZeroUsize = NonZeroUsize::new(64).expect("not zero");

/// The most connections open at once by default, however high the open-files limit. An idle
/// connection was measured at about 7 KiB (plain) and 13 KiB (TLS, after the handshake), and
/// takes more with buffers in use or HTTP/2's state: this keeps what idle connections can
/// take of a small machine's memory to a few hundred megabytes at worst, for far more
/// connections than an association's phones and staff open.
pub const MAX_CONNECTIONS_CEILING: usize = 10_000;

/// The fewest connections the default allows, even under a tiny open-files limit.
pub const MAX_CONNECTIONS_FLOOR: usize = 16;

/// File descriptors kept for everything but connections, at least: the database (its file,
/// WAL, shared memory and temporary files), the data directory's lock, the listener, the
/// runtime's own descriptors, standard streams and logs, and the web app's files, each open
/// while it is being sent.
pub const OPEN_FILES_RESERVE: usize = 64;

/// The default for [`ConnectionLimits::total`]: the open-files limit less a reserve of an
/// eighth of it (at least [`OPEN_FILES_RESERVE`]) for everything but connections, between
/// [`MAX_CONNECTIONS_FLOOR`] and [`MAX_CONNECTIONS_CEILING`]. With the total held below the
/// open-files limit, accepting never fails for want of a descriptor, and the database can
/// always open its files.
pub fn default_max_connections(open_files: u64) -> NonZeroUsize {
    let open_files = usize::try_from(open_files).unwrap_or(usize::MAX);
    let reserve = (open_files / 8).max(OPEN_FILES_RESERVE);
    let total = open_files
        .saturating_sub(reserve)
        .clamp(MAX_CONNECTIONS_FLOOR, MAX_CONNECTIONS_CEILING);
    NonZeroUsize::new(total).unwrap_or(NonZeroUsize::MIN)
}

/// How many connections may be open at once, so that no client can hold every file
/// descriptor of the process (each connection is one) and starve the others. Checked in the
/// accept loop (`serve/accept.rs`) before any TLS or HTTP work.
///
/// A connection is counted against its TCP peer's address: an IPv4 address, or an IPv6
/// address's /64 prefix (what one subscriber usually gets). `X-Forwarded-For` is never
/// believed here: behind a reverse proxy every connection comes from the proxy, so the
/// per-address limit cannot see the clients, and connections from a `--trusted-proxy` are
/// counted only in the total (the proxy should limit its clients' connections itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once, all clients together. Past it the server stops accepting,
    /// and new connections wait in the kernel's queue until one closes, while the open ones
    /// are served as usual. `None`: derived from the open-files limit at start-up
    /// ([`default_max_connections`]).
    pub total: Option<NonZeroUsize>,
    /// Connections open at once from one address ([`MAX_CONNECTIONS_PER_ADDRESS`]
    /// by default). One more is closed as soon as it is accepted.
    pub per_address: NonZeroUsize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            total: None,
            per_address: MAX_CONNECTIONS_PER_ADDRESS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_accepts_ip_and_port() {
        assert_eq!(
            "127.0.0.1:8080".parse::<ListenAddr>().map(|a| a.0.port()),
            Ok(8080)
        );
        assert!("[::1]:0".parse::<ListenAddr>().is_ok());
        assert_eq!(
            "localhost:9000"
                .parse::<ListenAddr>()
                .map(|a| a.to_string()),
            Ok("127.0.0.1:9000".to_owned())
        );
    }

    #[test]
    fn tls_needs_both_files_or_neither() {
        let path = |p: &str| Some(PathBuf::from(p));
        assert_eq!(TlsFiles::from_flags(None, None), Ok(None));
        assert_eq!(
            TlsFiles::from_flags(path("c.pem"), path("k.pem")),
            Ok(Some(TlsFiles {
                cert: PathBuf::from("c.pem"),
                key: PathBuf::from("k.pem"),
            }))
        );
        let alone = TlsFiles::from_flags(path("c.pem"), None).expect_err("cert alone");
        assert!(
            alone.to_string().starts_with("--tls-cert needs --tls-key"),
            "{alone}"
        );
        let alone = TlsFiles::from_flags(None, path("k.pem")).expect_err("key alone");
        assert!(
            alone.to_string().starts_with("--tls-key needs --tls-cert"),
            "{alone}"
        );
    }

    #[test]
    fn listen_rejects_what_is_not_an_address() {
        for bad in [
            "",
            "8080",
            "127.0.0.1",
            "127.0.0.1:99999",
            "example.org:80",
            "1.2.3:80",
        ] {
            let err = bad.parse::<ListenAddr>().expect_err(bad);
            assert!(err.to_string().contains("such as 127.0.0.1:8080"), "{err}");
        }
    }

    #[test]
    fn the_default_total_leaves_a_reserve_of_open_files() {
        let total = |open_files: u64| default_max_connections(open_files).get();
        assert_eq!(total(1024), 896, "the usual soft limit less an eighth");
        assert_eq!(total(4096), 3584);
        assert_eq!(total(256), 192, "at least 64 kept");
        assert_eq!(total(20), MAX_CONNECTIONS_FLOOR);
        assert_eq!(total(0), MAX_CONNECTIONS_FLOOR);
        assert_eq!(total(1 << 20), MAX_CONNECTIONS_CEILING);
        assert_eq!(total(u64::MAX), MAX_CONNECTIONS_CEILING);
    }
}
