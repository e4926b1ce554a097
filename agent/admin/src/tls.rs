//! The admin pages' certificate: the one configured, else a self-signed one made on first
//! start and kept in the state directory (`admin-cert.pem`, `admin-key.pem`, mode 0600),
//! so browsers see the same certificate (and its fingerprint, printed at start) every time.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// PEM files of a configured certificate chain and its key.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The chain, leaf first.
    pub cert: std::path::PathBuf,
    /// The private key.
    pub key: std::path::PathBuf,
}

/// The TLS server configuration, and the SHA-256 fingerprint of the leaf (hex with colons,
/// as browsers show it). `configured` wins; else the certificate in `dir` (made there for
/// `names` — host names and addresses — when missing).
pub fn server_config(
    configured: Option<&CertFiles>,
    dir: Option<&Path>,
    names: &[String],
) -> Result<(Arc<rustls::ServerConfig>, String), Error> {
    let (chain, key) = match configured {
        Some(f) => (read_chain(&f.cert)?, read_key(&f.key)?),
        None => match dir {
            Some(d) if d.join("admin-cert.pem").exists() => (
                read_chain(&d.join("admin-cert.pem"))?,
                read_key(&d.join("admin-key.pem"))?,
            ),
            _ => {
                let (cert_pem, key_pem) = self_signed(names)?;
                if let Some(d) = dir {
                    crate::write_private(&d.join("admin-key.pem"), key_pem.as_bytes())?;
                    crate::write_private(&d.join("admin-cert.pem"), cert_pem.as_bytes())?;
                }
                let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Error::Tls(format!("our own certificate: {e}")))?;
                let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
                    .map_err(|e| Error::Tls(format!("our own key: {e}")))?;
                (chain, key)
            }
        },
    };
    let fingerprint = chain
        .first()
        .map(|c| {
            ring::digest::digest(&ring::digest::SHA256, c.as_ref())
                .as_ref()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .ok_or_else(|| Error::Tls("the certificate file has no certificate".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(cfg), fingerprint))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
    if chain.is_empty() {
        return Err(Error::Tls(format!("{}: no certificate", path.display())));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| Error::Tls(format!("{}: {e}", path.display())))
}

/// A self-signed ECDSA P-256 certificate for `names` (DNS names or IP addresses), valid
/// for ten years: (certificate PEM, key PEM).
fn self_signed(names: &[String]) -> Result<(String, String), Error> {
    let mut names: Vec<String> = names.to_vec();
    if names.is_empty() {
        names.push("localhost".into());
    }
    let mut params =
        rcgen::CertificateParams::new(names.clone()).map_err(|e| Error::Tls(e.to_string()))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0].clone());
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Tipring gateway");
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    let key = rcgen::KeyPair::generate().map_err(|e| Error::Tls(e.to_string()))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_signed_certificate_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("tipring-admin-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let names = vec!["gw-1.local".to_string(), "127.0.0.1".to_string()];
        let (_, f1) = server_config(None, Some(&dir), &names).unwrap();
        let (_, f2) = server_config(None, Some(&dir), &names).unwrap();
        assert_eq!(f1, f2, "the same certificate at the next start");
        assert_eq!(f1.len(), 32 * 3 - 1);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("admin-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // A configured pair wins; a missing file is a clear error.
        let bad = CertFiles {
            cert: dir.join("nope.pem"),
            key: dir.join("admin-key.pem"),
        };
        let err = server_config(Some(&bad), Some(&dir), &names).unwrap_err();
        assert!(err.to_string().contains("nope.pem"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
