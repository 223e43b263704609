//! TLS the way libpq does it, on rustls: which certificates to trust for each sslmode
//! (including libpq's rule that an existing root file makes weaker modes verify the chain),
//! the client certificate, and a fresh `tokio-postgres` connector per attempt.

mod files;
mod verify;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rustls::ClientConfig;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::conninfo::{RootCert, SslMode, SslSettings};
use files::{ClientCert, load_client_cert, read_roots, system_roots};
pub use verify::certificate_failure;
use verify::{Policy, Verifier};

/// Why TLS could not be set up before any connection was attempted.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error(
        "root certificate file \"{}\" does not exist; sslmode={mode} needs it to verify the server: \
         provide the file (sslrootcert=...), use the system's trusted roots with sslrootcert=system, \
         or choose sslmode=require to skip verification",
        .path.as_deref().unwrap_or(Path::new("~/.postgresql/root.crt")).display()
    )]
    RootCertMissing {
        path: Option<PathBuf>,
        mode: SslMode,
    },
    #[error("could not read {what} \"{}\": {err}", .path.display())]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        err: io::Error,
    },
    #[error("no usable certificate in {what} \"{}\"; it must hold PEM \"BEGIN CERTIFICATE\" blocks", .path.display())]
    NoCertificates { what: &'static str, path: PathBuf },
    #[error("could not load the system's trusted root certificates (sslrootcert=system): {0}")]
    SystemRoots(String),
    #[error(
        "certificate present, but not private key file \"{}\"; give the key with sslkey=... or remove the certificate",
        .0.display()
    )]
    KeyMissing(PathBuf),
    #[error(
        "private key file \"{}\" has group or world access; it must have permissions u=rw (0600) or less \
         if owned by the current user, or u=rw,g=r (0640) or less if owned by root",
        .0.display()
    )]
    KeyPermissions(PathBuf),
    #[error("no private key in private key file \"{}\"; it must be an unencrypted PEM key (PKCS#1, PKCS#8 or SEC1)", .0.display())]
    NoKey(PathBuf),
    #[error("client certificate \"{}\" and key \"{}\" cannot be used: {err}", .cert.display(), .key.display())]
    ClientCert {
        cert: PathBuf,
        key: PathBuf,
        err: rustls::Error,
    },
    #[error("could not set up TLS: {0}")]
    Rustls(rustls::Error),
}

/// Everything TLS needs for one `connect` call, loaded and checked once.
pub struct TlsPlan {
    policy: Policy,
    roots: String,
    client_cert: Option<ClientCert>,
}

impl TlsPlan {
    /// Loads the root and client certificates the settings call for. With
    /// `sslmode=disable` nothing is read.
    pub fn new(ssl: &SslSettings) -> Result<TlsPlan, TlsSetupError> {
        if ssl.mode == SslMode::Disable {
            let roots = "no root certificates (TLS disabled)".to_owned();
            return Ok(TlsPlan {
                policy: Policy::AcceptAny,
                roots,
                client_cert: None,
            });
        }
        let (policy, roots) = policy_for(ssl)?;
        let client_cert = if ssl.send_client_cert {
            load_client_cert(ssl)?
        } else {
            None
        };
        let plan = TlsPlan {
            policy,
            roots,
            client_cert,
        };
        plan.client_config()?; // surfaces a certificate/key mismatch now, not per attempt
        Ok(plan)
    }

    /// Whether the server certificate is checked at all.
    pub fn verifies(&self) -> bool {
        !matches!(self.policy, Policy::AcceptAny)
    }

    /// What the server certificate is checked against, for messages.
    pub fn roots(&self) -> &str {
        &self.roots
    }

    /// A fresh connector, and a flag that becomes true once a TLS handshake gets as far as
    /// the server's certificate.
    pub fn connector(&self) -> Result<(MakeRustlsConnect, Arc<AtomicBool>), TlsSetupError> {
        let (config, seen) = self.client_config()?;
        Ok((MakeRustlsConnect::new(config), seen))
    }

    fn client_config(&self) -> Result<(ClientConfig, Arc<AtomicBool>), TlsSetupError> {
        let provider = provider();
        let seen = Arc::new(AtomicBool::new(false));
        let verifier = Verifier::new(
            self.policy.clone(),
            provider.signature_verification_algorithms,
            seen.clone(),
        );
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsSetupError::Rustls)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        let mut config = match &self.client_cert {
            None => builder.with_no_client_auth(),
            Some(c) => builder
                .with_client_auth_cert(c.chain.clone(), c.key.clone_key())
                .map_err(|err| TlsSetupError::ClientCert {
                    cert: c.cert_path.clone(),
                    key: c.key_path.clone(),
                    err,
                })?,
        };
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok((config, seen))
    }
}

impl fmt::Debug for TlsPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsPlan")
            .field("verifies", &self.verifies())
            .field("roots", &self.roots)
            .field(
                "client_cert",
                &self.client_cert.as_ref().map(|c| &c.cert_path),
            )
            .finish()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// libpq's rules: a root file that exists is always used (so `require` then acts like
/// `verify-ca`); `verify-ca`/`verify-full` without one is an error.
fn policy_for(ssl: &SslSettings) -> Result<(Policy, String), TlsSetupError> {
    let (store, roots) = match &ssl.root_cert {
        Some(RootCert::System) => (system_roots()?, "the system's trusted roots".to_owned()),
        Some(RootCert::File(path)) if path.exists() => (
            read_roots(path)?,
            format!("root certificate file \"{}\"", path.display()),
        ),
        other if ssl.mode >= SslMode::VerifyCa => {
            let path = match other {
                Some(RootCert::File(path)) => Some(path.clone()),
                _ => None,
            };
            return Err(TlsSetupError::RootCertMissing {
                path,
                mode: ssl.mode,
            });
        }
        _ => {
            let roots = "no root certificates (server certificate not verified)".to_owned();
            return Ok((Policy::AcceptAny, roots));
        }
    };
    let store = Arc::new(store);
    if ssl.mode == SslMode::VerifyFull {
        let verifier = WebPkiServerVerifier::builder_with_provider(store, provider())
            .build()
            .map_err(|e| TlsSetupError::SystemRoots(e.to_string()))?;
        Ok((Policy::Full(verifier), roots))
    } else {
        Ok((Policy::Chain(store), roots))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use rustls::server::WebPkiClientVerifier;
    use rustls::{ClientConnection, RootCertStore, ServerConfig, ServerConnection};
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::Ordering;

    const CA: &str = include_str!("tls/testdata/ca.crt");
    const OTHER_CA: &str = include_str!("tls/testdata/other-ca.crt");
    const SERVER_CRT: &str = include_str!("tls/testdata/server.crt");
    const SERVER_KEY: &str = include_str!("tls/testdata/server.key");
    const CLIENT_CRT: &str = include_str!("tls/testdata/client.crt");
    const CLIENT_KEY: &str = include_str!("tls/testdata/client.key");

    fn certs(pem: &str) -> Vec<CertificateDer<'static>> {
        rustls_pemfile::certs(&mut pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn key(pem: &str) -> PrivateKeyDer<'static> {
        rustls_pemfile::private_key(&mut pem.as_bytes())
            .unwrap()
            .unwrap()
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    fn ssl(mode: SslMode, root: Option<&Path>) -> SslSettings {
        SslSettings {
            mode,
            root_cert: root.map(|p| RootCert::File(p.to_owned())),
            cert: None,
            key: None,
            send_client_cert: true,
            direct: false,
        }
    }

    /// Runs a TLS handshake in memory against a server using `server.crt` (issued by the
    /// test CA for localhost and 127.0.0.1); `want_client_cert` makes it demand one.
    fn handshake(
        plan: &TlsPlan,
        name: &str,
        want_client_cert: bool,
    ) -> Result<bool, rustls::Error> {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if want_client_cert {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(certs(CA));
            builder.with_client_cert_verifier(
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                    .build()
                    .unwrap(),
            )
        } else {
            builder.with_no_client_auth()
        };
        let server_config = builder
            .with_single_cert(certs(SERVER_CRT), key(SERVER_KEY))
            .unwrap();
        let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();
        let (config, seen) = plan.client_config().unwrap();
        let name = ServerName::try_from(name.to_owned()).unwrap();
        let mut client = ClientConnection::new(Arc::new(config), name).unwrap();
        while client.is_handshaking() || server.is_handshaking() {
            let mut to_server = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut to_server).unwrap();
            }
            server.read_tls(&mut to_server.as_slice()).unwrap();
            server.process_new_packets()?;
            let mut to_client = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut to_client).unwrap();
            }
            client.read_tls(&mut to_client.as_slice()).unwrap();
            client.process_new_packets()?;
        }
        Ok(seen.load(Ordering::SeqCst))
    }

    fn cert_error(result: Result<bool, rustls::Error>) -> rustls::CertificateError {
        match result {
            Err(rustls::Error::InvalidCertificate(e)) => e,
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[test]
    fn require_without_root_file_accepts_any_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let plan =
            TlsPlan::new(&ssl(SslMode::Require, Some(&dir.path().join("absent.crt")))).unwrap();
        assert!(!plan.verifies());
        assert_eq!(handshake(&plan, "wrong.example", false), Ok(true));
    }

    #[test]
    fn root_file_makes_require_and_prefer_verify_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let ca = write(dir.path(), "ca.crt", CA);
        let other = write(dir.path(), "other.crt", OTHER_CA);
        for mode in [SslMode::Prefer, SslMode::Require, SslMode::VerifyCa] {
            let plan = TlsPlan::new(&ssl(mode, Some(&ca))).unwrap();
            assert!(plan.verifies());
            assert_eq!(handshake(&plan, "wrong.example", false), Ok(true), "{mode}");
            let plan = TlsPlan::new(&ssl(mode, Some(&other))).unwrap();
            let err = cert_error(handshake(&plan, "localhost", false));
            assert_eq!(err, rustls::CertificateError::UnknownIssuer, "{mode}");
        }
    }

    #[test]
    fn verify_full_checks_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let ca = write(dir.path(), "ca.crt", CA);
        let plan = TlsPlan::new(&ssl(SslMode::VerifyFull, Some(&ca))).unwrap();
        assert_eq!(handshake(&plan, "localhost", false), Ok(true));
        assert_eq!(handshake(&plan, "127.0.0.1", false), Ok(true));
        let err = cert_error(handshake(&plan, "wrong.example", false));
        assert!(
            matches!(err, rustls::CertificateError::NotValidForNameContext { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn verify_modes_need_a_root_file() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("root.crt");
        let err = TlsPlan::new(&ssl(SslMode::VerifyCa, Some(&absent)))
            .err()
            .unwrap();
        let text = err.to_string();
        assert!(
            text.contains(&*absent.to_string_lossy()) && text.contains("sslrootcert=system"),
            "{text}"
        );
        let err = TlsPlan::new(&ssl(SslMode::VerifyFull, None)).err().unwrap();
        assert!(err.to_string().contains("~/.postgresql/root.crt"), "{err}");
    }

    #[test]
    fn disable_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let junk = write(dir.path(), "junk.crt", "junk");
        assert!(TlsPlan::new(&ssl(SslMode::Disable, Some(&junk))).is_ok());
        assert!(TlsPlan::new(&ssl(SslMode::Require, Some(&junk))).is_err());
    }

    #[test]
    fn client_certificate_is_presented() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = ssl(SslMode::Require, None);
        let plan = TlsPlan::new(&settings).unwrap();
        assert!(handshake(&plan, "localhost", true).is_err());
        settings.cert = Some(write(dir.path(), "c.crt", CLIENT_CRT));
        settings.key = Some(write(dir.path(), "c.key", CLIENT_KEY));
        let plan = TlsPlan::new(&settings).unwrap();
        assert_eq!(handshake(&plan, "localhost", true), Ok(true));
        settings.send_client_cert = false;
        let plan = TlsPlan::new(&settings).unwrap();
        assert!(handshake(&plan, "localhost", true).is_err());
    }

    #[test]
    fn mismatched_client_key_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = ssl(SslMode::Require, None);
        settings.cert = Some(write(dir.path(), "c.crt", CLIENT_CRT));
        settings.key = Some(write(dir.path(), "c.key", SERVER_KEY));
        let err = TlsPlan::new(&settings).err().unwrap();
        assert!(matches!(err, TlsSetupError::ClientCert { .. }), "{err}");
    }

    #[test]
    fn system_roots_load() {
        let settings = SslSettings {
            root_cert: Some(RootCert::System),
            ..ssl(SslMode::VerifyFull, None)
        };
        match TlsPlan::new(&settings) {
            Ok(plan) => assert!(plan.verifies()),
            // A machine without a CA bundle must say so clearly.
            Err(err) => assert!(err.to_string().contains("system's trusted root"), "{err}"),
        }
    }
}
