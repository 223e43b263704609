//! The rustls server-certificate verifier behind every sslmode, and the recognition of
//! certificate failures inside tokio-postgres errors so they can be reported as such.

use std::error::Error as StdError;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_cert_signed_by_trust_anchor};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// How much of the server's certificate is checked.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Anything is accepted (libpq's `require`, `prefer`, `allow` without a root file).
    AcceptAny,
    /// The chain must lead to one of these roots; the host name is not checked (`verify-ca`).
    Chain(Arc<RootCertStore>),
    /// Chain and host name (`verify-full`).
    Full(Arc<WebPkiServerVerifier>),
}

/// Checks the server certificate per [`Policy`] and always checks handshake signatures,
/// so even an unverified connection is bound to the certificate the server presented.
/// Records that a handshake took place, which tells `prefer` apart from plaintext.
#[derive(Debug)]
pub struct Verifier {
    policy: Policy,
    algorithms: WebPkiSupportedAlgorithms,
    handshake_seen: Arc<AtomicBool>,
}

impl Verifier {
    pub fn new(
        policy: Policy,
        algorithms: WebPkiSupportedAlgorithms,
        handshake_seen: Arc<AtomicBool>,
    ) -> Self {
        Verifier {
            policy,
            algorithms,
            handshake_seen,
        }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.handshake_seen.store(true, Ordering::SeqCst);
        match &self.policy {
            Policy::AcceptAny => {}
            Policy::Chain(roots) => {
                let cert = ParsedCertificate::try_from(end_entity)?;
                verify_server_cert_signed_by_trust_anchor(
                    &cert,
                    roots,
                    intermediates,
                    now,
                    self.algorithms.all,
                )?;
            }
            Policy::Full(inner) => {
                inner.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )?;
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls error inside an error chain, if any (tokio-postgres wraps it in `io::Error`,
/// whose `source()` skips the wrapped error, so `get_ref` is needed).
pub fn find_rustls_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref())
            && let Some(found) = find_rustls_error(inner)
        {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// If `err` is a server-certificate rejection, a sentence saying so and what to do.
pub fn certificate_failure(err: &(dyn StdError + 'static), roots: &str) -> Option<String> {
    let rustls::Error::InvalidCertificate(cert_err) = find_rustls_error(err)? else {
        return None;
    };
    let hint = match cert_err {
        CertificateError::UnknownIssuer => {
            format!("the certificate is not signed by a CA in {roots}")
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the certificate does not name the host connected to; connect by a name it lists, \
             or use sslmode=verify-ca to skip the name check"
                .to_owned()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the certificate has expired; the server needs a new one".to_owned()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the certificate is not valid yet; check the clocks".to_owned()
        }
        _ => format!("checked against {roots}"),
    };
    Some(format!(
        "server certificate verification failed: {cert_err} ({hint})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rustls_error_inside_io_error() {
        let rustls_err = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io_err = io::Error::new(io::ErrorKind::InvalidData, rustls_err);
        let boxed: Box<dyn StdError + Send + Sync> = Box::new(io_err);
        let text =
            certificate_failure(boxed.as_ref(), "root certificate file \"/ca.pem\"").unwrap();
        assert!(
            text.starts_with("server certificate verification failed: UnknownIssuer"),
            "{text}"
        );
        assert!(text.contains("/ca.pem"), "{text}");
    }

    #[test]
    fn other_errors_are_not_certificate_failures() {
        let io_err = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert!(certificate_failure(&io_err, "x").is_none());
        let handshake = rustls::Error::HandshakeNotComplete;
        assert!(certificate_failure(&handshake, "x").is_none());
    }

    #[test]
    fn name_mismatch_has_its_own_hint() {
        let err = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert!(
            certificate_failure(&err, "x")
                .unwrap()
                .contains("verify-ca")
        );
    }
}
