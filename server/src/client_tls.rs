//! TLS as a client, wherever letsema connects out: to a server (`letsema load`, `letsema
//! review`) and to PostgreSQL. rustls with the ring provider, the certificate checked
//! against the system's trusted roots (`rustls-platform-verifier`) and, when given, the
//! certificates of one PEM file (a self-signed server's own, or a private CA's). The host
//! name is always checked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};

/// Why TLS could not be set up, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClientTlsError {
    /// The certificate file could not be read as PEM certificates.
    #[error(
        "cannot read certificates from {path}: {source}; give a PEM file (-----BEGIN \
         CERTIFICATE-----)"
    )]
    ReadCertificates {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{path} holds no certificate; give a PEM file (-----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The platform's certificate verifier could not be set up.
    #[error("cannot set up certificate checks: {0}")]
    Verifier(#[source] tokio_rustls::rustls::Error),
    /// TLS could not be set up.
    #[error("cannot set up TLS: {0}")]
    Tls(#[source] tokio_rustls::rustls::Error),
}

/// A TLS client configuration that trusts the system's roots and the certificates in the
/// PEM file `extra_roots`, when given.
///
/// # Errors
///
/// When `extra_roots` cannot be read or holds no certificate, or TLS cannot be set up.
pub fn client_config(extra_roots: Option<&Path>) -> Result<ClientConfig, ClientTlsError> {
    let extra: Vec<CertificateDer<'static>> = match extra_roots {
        None => Vec::new(),
        Some(path) => {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|source| ClientTlsError::ReadCertificates {
                    path: path.to_owned(),
                    source,
                })?;
            if certificates.is_empty() {
                return Err(ClientTlsError::NoCertificate {
                    path: path.to_owned(),
                });
            }
            certificates
        }
    };
    let provider = Arc::new(ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
            .map_err(ClientTlsError::Verifier)?;
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ClientTlsError::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("written");
        let error = client_config(Some(&empty)).expect_err("refused");
        assert!(matches!(&error, ClientTlsError::NoCertificate { path } if *path == empty));
        assert_eq!(
            error.to_string(),
            format!(
                "{} holds no certificate; give a PEM file (-----BEGIN CERTIFICATE-----)",
                empty.display()
            )
        );
        let missing = dir.path().join("missing.pem");
        assert!(matches!(
            client_config(Some(&missing)),
            Err(ClientTlsError::ReadCertificates { path, .. }) if path == missing
        ));
    }
}
