//! How the connection to PostgreSQL is protected, read from the URL's `sslmode` and
//! `sslrootcert` as libpq names them, with one difference: when TLS is used, the server's
//! certificate and host name are always verified.
//!
//! | `sslmode` | connection |
//! | --- | --- |
//! | absent, `disable` | plain: for a database on the same machine or a private network |
//! | `require`, `verify-ca`, `verify-full` | TLS; the certificate is checked against the system's trusted roots and `sslrootcert` (a PEM file) when given, and must name the URL's host |
//! | `prefer`, `allow` | refused: they fall back to a plain connection without saying so |
//!
//! `sslrootcert` alone means `verify-full`. tokio-postgres knows only `disable`, `prefer`
//! and `require` and no `sslrootcert`, so both are taken out of the URL here and the rest is
//! left to it.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use tokio_rustls::rustls::ClientConfig;

use super::PostgresError;
use crate::client_tls::client_config;

/// The URL without the TLS options tokio-postgres does not know, and the TLS to use
/// (none: a plain connection).
pub(super) struct Transport {
    pub(super) url: String,
    pub(super) tls: Option<ClientConfig>,
}

/// What the URL asks for.
#[derive(Debug, PartialEq, Eq)]
struct TlsOptions {
    /// The URL with `sslmode` set to what tokio-postgres knows and `sslrootcert` taken out.
    url: String,
    /// Whether to use TLS (always verified).
    verify: bool,
    /// The extra roots to trust, a PEM file.
    root_cert: Option<PathBuf>,
}

/// Reads the TLS options of `url` and sets up TLS when they ask for it.
///
/// # Errors
///
/// [`PostgresError::Tls`] for an `sslmode` Letsema does not follow or a certificate file
/// it cannot use.
pub(super) fn transport(url: &str) -> Result<Transport, PostgresError> {
    let options = tls_options(url)?;
    let tls = if options.verify {
        Some(
            client_config(options.root_cert.as_deref())
                .map_err(|e| PostgresError::Tls(e.to_string()))?,
        )
    } else {
        None
    };
    Ok(Transport {
        url: options.url,
        tls,
    })
}

fn tls_options(url: &str) -> Result<TlsOptions, PostgresError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok(TlsOptions {
            url: url.to_owned(),
            verify: false,
            root_cert: None,
        });
    };
    let mut mode = None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_decode_str(value)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| PostgresError::Tls(format!("{key} is not UTF-8 text")))
        };
        match key {
            "sslmode" => mode = Some(decoded()?),
            "sslrootcert" => root_cert = Some(PathBuf::from(decoded()?)),
            _ => kept.push(pair),
        }
    }
    let verify = match mode.as_deref() {
        None => root_cert.is_some(),
        Some("disable") if root_cert.is_some() => {
            return Err(PostgresError::Tls(
                "sslrootcert is given with sslmode=disable: remove one of them".to_owned(),
            ));
        }
        Some("disable") => false,
        Some("require" | "verify-ca" | "verify-full") => true,
        Some(weak @ ("prefer" | "allow")) => {
            return Err(PostgresError::Tls(format!(
                "sslmode={weak} falls back to an unencrypted connection without saying so: \
                 use sslmode=verify-full (with sslrootcert=FILE for a private CA), or \
                 sslmode=disable for a database on this machine or a private network"
            )));
        }
        Some(other) => {
            return Err(PostgresError::Tls(format!(
                "unknown sslmode {other:?}: use verify-full, require or disable"
            )));
        }
    };
    kept.push(if verify {
        "sslmode=require"
    } else {
        "sslmode=disable"
    });
    Ok(TlsOptions {
        url: format!("{base}?{}", kept.join("&")),
        verify,
        root_cert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(url: &str) -> TlsOptions {
        tls_options(url).expect("understood")
    }

    fn refused(url: &str) -> String {
        match tls_options(url) {
            Err(PostgresError::Tls(message)) => message,
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn without_tls_options_the_connection_is_plain_and_the_url_untouched() {
        let url = "postgres://letsema:pw@db.example.org:5432/letsema";
        assert_eq!(
            options(url),
            TlsOptions {
                url: url.to_owned(),
                verify: false,
                root_cert: None
            }
        );
        let with_other = options("postgres://u@h/d?connect_timeout=5&application_name=x");
        assert_eq!(
            with_other.url,
            "postgres://u@h/d?connect_timeout=5&application_name=x&sslmode=disable"
        );
        assert!(!with_other.verify);
    }

    #[test]
    fn every_tls_mode_verifies_the_certificate_and_keeps_the_other_options() {
        for mode in ["require", "verify-ca", "verify-full"] {
            let got = options(&format!(
                "postgres://u@h/d?sslmode={mode}&connect_timeout=5"
            ));
            assert_eq!(
                got,
                TlsOptions {
                    url: "postgres://u@h/d?connect_timeout=5&sslmode=require".to_owned(),
                    verify: true,
                    root_cert: None
                },
                "{mode}"
            );
        }
    }

    #[test]
    fn a_root_certificate_is_read_from_its_percent_encoded_path_and_implies_tls() {
        let got = options("postgres://u@h/d?sslrootcert=%2Fetc%2Fletsema%2Fmy%20ca.pem");
        assert_eq!(got.url, "postgres://u@h/d?sslmode=require");
        assert!(got.verify);
        assert_eq!(got.root_cert, Some(PathBuf::from("/etc/letsema/my ca.pem")));
    }

    #[test]
    fn modes_that_fall_back_to_plain_text_or_contradict_are_refused_with_what_to_do() {
        for mode in ["prefer", "allow"] {
            let message = refused(&format!("postgres://u@h/d?sslmode={mode}"));
            assert!(message.contains("verify-full"), "{message}");
            assert!(message.contains("without saying so"), "{message}");
        }
        let message = refused("postgres://u@h/d?sslmode=verify");
        assert!(message.contains("unknown sslmode"), "{message}");
        let message = refused("postgres://u@h/d?sslmode=disable&sslrootcert=ca.pem");
        assert!(message.contains("remove one"), "{message}");
    }

    #[test]
    fn a_missing_root_certificate_file_is_named() {
        let Err(PostgresError::Tls(message)) =
            transport("postgres://u@h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
        else {
            panic!("refused");
        };
        assert!(message.contains("/nonexistent/ca.pem"), "{message}");
    }

    /// Whether the store's connection is TLS, as the server sees it.
    fn over_tls(store: &super::super::PostgresStore) -> bool {
        store.run(async {
            let client = store.client().await.expect("a connection");
            client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await
                .expect("the connection's state")
                .get(0)
        })
    }

    #[test]
    fn the_test_cluster_is_reached_over_verified_tls_when_the_url_asks_and_plain_otherwise() {
        use super::super::PostgresStore;
        use super::super::testing::fresh_database;

        let url = fresh_database();
        let ca = std::env::var("LETSEMA_TEST_POSTGRES_CA").unwrap_or_else(|_| {
            panic!(
                "set LETSEMA_TEST_POSTGRES_CA to the PEM file of the test cluster's CA (./dev \
                 test makes one)"
            )
        });
        let encoded: String =
            percent_encoding::utf8_percent_encode(&ca, percent_encoding::NON_ALPHANUMERIC)
                .collect();
        let verified = PostgresStore::open(
            &format!("{url}?sslmode=verify-full&sslrootcert={encoded}"),
            2,
        )
        .expect("connects over TLS, its certificate verified");
        assert!(over_tls(&verified));
        let localhost = url.replacen("@127.0.0.1:", "@localhost:", 1);
        assert_ne!(localhost, url);
        let by_name = PostgresStore::open(&format!("{localhost}?sslrootcert={encoded}"), 2)
            .expect("the certificate names localhost too");
        assert!(over_tls(&by_name));
        let plain = PostgresStore::open(&url, 2).expect("connects");
        assert!(!over_tls(&plain), "no sslmode: a plain connection");

        // The system does not trust the cluster's own CA: nothing is sent to it.
        let untrusted = PostgresStore::open(&format!("{url}?sslmode=require"), 2)
            .expect_err("an untrusted certificate");
        let message = untrusted.to_string();
        assert!(
            matches!(untrusted, PostgresError::Connect { .. }),
            "{message}"
        );
        assert!(message.contains("certificate"), "{message}");
        assert!(message.contains("sslrootcert=FILE"), "{message}");
    }
}
