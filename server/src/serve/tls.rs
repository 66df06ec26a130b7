//! HTTPS for `letsema serve --tls-cert FILE --tls-key FILE`: the certificate chain and its
//! private key, read from PEM files into a rustls configuration (the ring provider, TLS 1.2
//! and 1.3, ALPN `h2` then `http/1.1`).
//!
//! Everything is checked at start-up, so that a missing file, a file that is not PEM or a
//! key that does not belong to the certificate stops the server with one line that says what
//! to do, rather than failing every handshake later.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, InconsistentKeys, ServerConfig};

use crate::config::TlsFiles;

/// Why the certificate or the key cannot be used. Each message is one line that says what
/// to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error(
        "cannot read {flag} {}: {source}. Check the path, and that this user may read the file",
        path.display()
    )]
    Read {
        /// `--tls-cert` or `--tls-key`.
        flag: &'static str,
        /// The file named.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// A file is broken PEM (a section without its end, bad base64).
    #[error(
        "{flag} {} is not valid PEM ({source}): give a PEM file, as written by certbot or \
         `openssl ... -outform PEM`",
        path.display()
    )]
    BadPem {
        /// `--tls-cert` or `--tls-key`.
        flag: &'static str,
        /// The file named.
        path: PathBuf,
        /// What is wrong with it.
        source: pem::Error,
    },
    /// The certificate file holds no `CERTIFICATE` section.
    #[error(
        "--tls-cert {} holds no PEM certificate: give the certificate chain as PEM (the \
         server's certificate first, each starting with -----BEGIN CERTIFICATE-----, such as \
         certbot's fullchain.pem); convert a DER file with `openssl x509 -inform der -in FILE \
         -out FILE.pem`",
        path.display()
    )]
    NoCertificate {
        /// The file named.
        path: PathBuf,
    },
    /// The key file holds no private key section.
    #[error(
        "--tls-key {} holds no PEM private key: give the certificate's unencrypted private key \
         as PEM (-----BEGIN PRIVATE KEY-----, or RSA or EC PRIVATE KEY, such as certbot's \
         privkey.pem); decrypt an encrypted key with `openssl pkey -in FILE -out KEY.pem`",
        path.display()
    )]
    NoKey {
        /// The file named.
        path: PathBuf,
    },
    /// The key is not the one the (first) certificate was made for.
    #[error(
        "the private key in --tls-key {} does not belong to the certificate in --tls-cert {}: \
         give the key made with that certificate (and the server's own certificate first in \
         the chain)",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the pair for another reason (an unsupported key type, a certificate
    /// it cannot parse).
    #[error(
        "cannot use --tls-cert {} with --tls-key {}: {source}. Give an X.509 certificate chain \
         and its RSA, ECDSA (P-256, P-384) or Ed25519 private key, as PEM",
        cert.display(),
        key.display()
    )]
    Refused {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        source: rustls::Error,
    },
}

/// The protocols offered in the handshake (ALPN), best first.
pub const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads the certificate chain and key named by `files` and builds the server's TLS
/// configuration, checking that the key belongs to the certificate.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = read_certificates(&files.cert)?;
    let key = read_key(&files.key)?;
    let refused = |source: rustls::Error| match source {
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => TlsError::KeyMismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
        },
        source => TlsError::Refused {
            cert: files.cert.clone(),
            key: files.key.clone(),
            source,
        },
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(refused)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(refused)?;
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        flag,
        path: path.to_owned(),
        source,
    })
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read("--tls-cert", path)?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::BadPem {
            flag: "--tls-cert",
            path: path.to_owned(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read("--tls-key", path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|source| match source {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_owned(),
        },
        source => TlsError::BadPem {
            flag: "--tls-key",
            path: path.to_owned(),
            source,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair {
        dir: tempfile::TempDir,
        files: TlsFiles,
    }

    fn write_pair(cert_pem: &str, key_pem: &str) -> Pair {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = TlsFiles {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        };
        std::fs::write(&files.cert, cert_pem).expect("cert written");
        std::fs::write(&files.key, key_pem).expect("key written");
        Pair { dir, files }
    }

    fn self_signed() -> rcgen::CertifiedKey<rcgen::KeyPair> {
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate")
    }

    #[test]
    fn a_certificate_and_its_key_make_a_configuration_offering_h2_and_http1() {
        let made = self_signed();
        let pair = write_pair(&made.cert.pem(), &made.signing_key.serialize_pem());
        let config = server_config(&pair.files).expect("usable");
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        drop(pair.dir);
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (one, other) = (self_signed(), self_signed());
        let pair = write_pair(&one.cert.pem(), &other.signing_key.serialize_pem());
        let error = server_config(&pair.files).expect_err("mismatch");
        assert!(matches!(error, TlsError::KeyMismatch { .. }), "{error}");
        assert!(error.to_string().contains("does not belong"), "{error}");
    }

    #[test]
    fn swapped_files_are_refused_as_missing_a_certificate() {
        let made = self_signed();
        let pair = write_pair(&made.signing_key.serialize_pem(), &made.cert.pem());
        let error = server_config(&pair.files).expect_err("swapped");
        assert!(matches!(error, TlsError::NoCertificate { .. }), "{error}");
    }

    #[test]
    fn a_key_file_without_a_key_is_refused() {
        let made = self_signed();
        let pair = write_pair(&made.cert.pem(), &made.cert.pem());
        let error = server_config(&pair.files).expect_err("no key");
        assert!(matches!(error, TlsError::NoKey { .. }), "{error}");
        assert!(error.to_string().contains("PRIVATE KEY"), "{error}");
    }

    #[test]
    fn a_truncated_pem_section_is_refused_as_bad_pem() {
        let made = self_signed();
        let cert = made.cert.pem();
        let truncated = &cert[..cert.len() / 2];
        let pair = write_pair(truncated, &made.signing_key.serialize_pem());
        let error = server_config(&pair.files).expect_err("truncated");
        assert!(matches!(error, TlsError::BadPem { .. }), "{error}");
    }

    #[test]
    fn a_missing_file_is_refused_naming_the_flag_and_the_path() {
        let made = self_signed();
        let mut pair = write_pair(&made.cert.pem(), &made.signing_key.serialize_pem());
        pair.files.key = pair.dir.path().join("nowhere.pem");
        let error = server_config(&pair.files).expect_err("missing");
        let text = error.to_string();
        assert!(text.starts_with("cannot read --tls-key "), "{text}");
        assert!(text.contains("nowhere.pem"), "{text}");
        assert!(!text.contains('\n'), "one line: {text}");
    }
}
