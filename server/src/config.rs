//! Settings of a running server, built from the command line by `main.rs`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

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

/// Everything `letsema serve` needs to run.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The address to listen on.
    pub listen: ListenAddr,
    /// The folder holding the embedded database; created on first start.
    pub data_dir: PathBuf,
    /// The folder holding the built web app (`index.html`, `sw.js`, `pkg/`).
    pub web_dir: PathBuf,
    /// Publish the reference form on start if it is not published yet.
    pub demo: bool,
    /// The address people open (for enrolment links and QR codes); the listening address
    /// when not given.
    pub public_url: Option<String>,
    /// The bearer token that lets a scraper read `/metrics`.
    pub metrics_token: Option<String>,
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
}
