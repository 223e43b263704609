//! Reading the PEM files TLS needs — root certificates, the client certificate and its
//! key — with libpq's rules for which files are optional and how private a key must be.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsSetupError;
use crate::db::conninfo::SslSettings;
use crate::input;

/// A client certificate chain and its key, with where they came from.
pub struct ClientCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

pub fn system_roots() -> Result<RootCertStore, TlsSetupError> {
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
        let detail = if errors.is_empty() {
            "none found".to_owned()
        } else {
            errors.join("; ")
        };
        return Err(TlsSetupError::SystemRoots(detail));
    }
    Ok(store)
}

pub fn read_roots(path: &Path) -> Result<RootCertStore, TlsSetupError> {
    let certs = read_certs(path, "root certificate file")?;
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(TlsSetupError::NoCertificates {
            what: "root certificate file",
            path: path.to_owned(),
        });
    }
    Ok(store)
}

fn read_certs(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let read_err = |err| TlsSetupError::ReadFile {
        what,
        path: path.to_owned(),
        err,
    };
    let pem = input::read_bytes(path, &input::CREDENTIALS).map_err(|e| read_err(e.into()))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificates {
            what,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// The client certificate, if its file exists, and then its key, which must exist.
pub fn load_client_cert(ssl: &SslSettings) -> Result<Option<ClientCert>, TlsSetupError> {
    let Some(cert_path) = &ssl.cert else {
        return Ok(None);
    };
    match fs::metadata(cert_path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(TlsSetupError::ReadFile {
                what: "certificate file",
                path: cert_path.clone(),
                err,
            });
        }
        Ok(_) => {}
    }
    let chain = read_certs(cert_path, "certificate file")?;
    let key_path = ssl
        .key
        .clone()
        .unwrap_or_else(|| PathBuf::from("~/.postgresql/postgresql.key"));
    let key = read_key(&key_path)?;
    Ok(Some(ClientCert {
        chain,
        key,
        cert_path: cert_path.clone(),
        key_path,
    }))
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let read_err = |err| TlsSetupError::ReadFile {
        what: "private key file",
        path: path.to_owned(),
        err,
    };
    let meta = match fs::metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(TlsSetupError::KeyMissing(path.to_owned()));
        }
        other => other.map_err(read_err)?,
    };
    if !meta.is_file() {
        let err = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
        return Err(read_err(err));
    }
    if key_too_open(meta.uid(), meta.mode()) {
        return Err(TlsSetupError::KeyPermissions(path.to_owned()));
    }
    let pem = input::read_bytes(path, &input::CREDENTIALS).map_err(|e| read_err(e.into()))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(read_err)?
        .ok_or_else(|| TlsSetupError::NoKey(path.to_owned()))
}

/// libpq's key permission rule: 0600 or less for the current user's key; 0640 or less for
/// a key owned by root. Other owners are left to the operating system.
fn key_too_open(owner: u32, mode: u32) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    (owner == me && mode & 0o077 != 0) || (owner == 0 && mode & 0o037 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::conninfo::SslMode;
    use std::os::unix::fs::PermissionsExt;

    const CLIENT_CRT: &str = include_str!("testdata/client.crt");
    const CLIENT_KEY: &str = include_str!("testdata/client.key");

    fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    fn ssl(cert: PathBuf, key: PathBuf) -> SslSettings {
        SslSettings {
            mode: SslMode::Require,
            root_cert: None,
            cert: Some(cert),
            key: Some(key),
            send_client_cert: true,
            direct: false,
        }
    }

    #[test]
    fn missing_client_cert_means_none() {
        let dir = tempfile::tempdir().unwrap();
        let got = load_client_cert(&ssl(dir.path().join("no.crt"), dir.path().join("no.key")));
        assert!(got.unwrap().is_none());
    }

    #[test]
    fn client_cert_and_private_key_load() {
        let dir = tempfile::tempdir().unwrap();
        let cert = write(dir.path(), "c.crt", CLIENT_CRT, 0o644);
        let key = write(dir.path(), "c.key", CLIENT_KEY, 0o600);
        let loaded = load_client_cert(&ssl(cert, key)).unwrap().unwrap();
        assert_eq!(loaded.chain.len(), 1);
    }

    #[test]
    fn cert_without_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let cert = write(dir.path(), "c.crt", CLIENT_CRT, 0o644);
        let err = load_client_cert(&ssl(cert, dir.path().join("c.key")))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("certificate present, but not private key file"),
            "{err}"
        );
    }

    #[test]
    fn readable_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cert = write(dir.path(), "c.crt", CLIENT_CRT, 0o644);
        let key = write(dir.path(), "c.key", CLIENT_KEY, 0o644);
        let err = load_client_cert(&ssl(cert, key)).err().unwrap();
        assert!(matches!(err, TlsSetupError::KeyPermissions(_)), "{err}");
        assert!(err.to_string().contains("has group or world access"));
    }

    #[test]
    fn key_permission_rules() {
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        assert!(!key_too_open(me, 0o600));
        assert!(key_too_open(me, 0o640));
        if me != 0 {
            assert!(!key_too_open(0, 0o640));
            assert!(key_too_open(0, 0o644));
            assert!(!key_too_open(me + 1, 0o644));
        }
    }

    #[test]
    fn files_without_pem_blocks_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let junk = write(dir.path(), "junk.pem", "not a certificate\n", 0o600);
        let err = read_roots(&junk).err().unwrap();
        assert!(
            err.to_string()
                .contains("no usable certificate in root certificate file"),
            "{err}"
        );
        let cert = write(dir.path(), "c.crt", CLIENT_CRT, 0o644);
        let err = load_client_cert(&ssl(cert, junk)).err().unwrap();
        assert!(matches!(err, TlsSetupError::NoKey(_)), "{err}");
    }

    #[test]
    fn a_device_or_a_directory_is_not_read_as_a_certificate() {
        let err = read_roots(Path::new("/dev/zero"))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "could not read root certificate file \"/dev/zero\": is a character device, not a regular file; pgvet reads password and certificate files only from regular files"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read_roots(dir.path()).err().unwrap().to_string();
        assert!(err.contains("is a directory, not a regular file"), "{err}");
    }
}
