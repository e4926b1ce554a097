//! Device identity certificates and the ACS's TLS.
//!
//! A factory certificate names the device in its subject: `CN = OUI-ProductClass-Serial`
//! (TR-069's device id, [`DeviceKey::id`](tipring_acs::model::DeviceKey::id)) and the
//! `serialNumber` attribute (2.5.4.5) = the serial number. The ACS reads both with
//! x509-parser once the TLS handshake has verified the chain against `--device-ca`, and the
//! admission rules check them against the Inform.
//!
//! `tipring-provisioner factory-ca` makes a test factory CA and issues device and server
//! certificates from it (labs, tests); a real factory has its own CA and HSM.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

/// The CA's subject (the issuer of every certificate this module makes).
const CA_NAME: &str = "Tipring test factory CA";

/// `factory-ca` subcommands.
#[derive(Debug, clap::Args)]
pub struct FactoryCaArgs {
    #[command(subcommand)]
    cmd: FactoryCmd,
}

#[derive(Debug, clap::Subcommand)]
enum FactoryCmd {
    /// Make a CA in DIR (ca.crt, ca.key).
    Init {
        /// Where the CA lives.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Issue a device certificate into OUT (device.crt, device.key, ca.crt).
    Device {
        /// The CA's directory.
        #[arg(long)]
        dir: PathBuf,
        /// Manufacturer OUI (6 hex digits).
        #[arg(long)]
        oui: String,
        /// Product class.
        #[arg(long, default_value = "")]
        product_class: String,
        /// Serial number.
        #[arg(long)]
        serial: String,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue a server certificate for the ACS into OUT (server.crt, server.key).
    Server {
        /// The CA's directory.
        #[arg(long)]
        dir: PathBuf,
        /// DNS names or IP addresses the ACS is reached by.
        #[arg(long, required = true)]
        name: Vec<String>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Run a `factory-ca` subcommand.
pub fn run(a: FactoryCaArgs) -> anyhow::Result<()> {
    match a.cmd {
        FactoryCmd::Init { dir } => {
            let ca = FactoryCa::create(&dir)?;
            println!("CA written to {} ({})", dir.display(), ca.cert_pem.len());
        }
        FactoryCmd::Device {
            dir,
            oui,
            product_class,
            serial,
            out,
        } => {
            let ca = FactoryCa::load(&dir)?;
            let key = tipring_acs::model::DeviceKey {
                oui,
                product_class,
                serial,
            };
            ca.issue_device(&key, &out)?;
            println!("device certificate for {} in {}", key.id(), out.display());
        }
        FactoryCmd::Server { dir, name, out } => {
            let ca = FactoryCa::load(&dir)?;
            ca.issue_server(&name, &out)?;
            println!("server certificate in {}", out.display());
        }
    }
    Ok(())
}

/// A factory CA on disk.
#[derive(Debug)]
pub struct FactoryCa {
    /// PEM of the CA certificate.
    pub cert_pem: String,
    key_pem: String,
}

fn ca_params() -> anyhow::Result<rcgen::CertificateParams> {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new())?;
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, CA_NAME);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    Ok(p)
}

impl FactoryCa {
    /// Make a new CA in `dir` (ca.crt, ca.key with mode 0600).
    pub fn create(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let key = rcgen::KeyPair::generate()?;
        let cert = ca_params()?.self_signed(&key)?;
        let ca = Self {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        std::fs::write(dir.join("ca.crt"), &ca.cert_pem)?;
        crate::auth::write_private(&dir.join("ca.key"), ca.key_pem.as_bytes())?;
        Ok(ca)
    }

    /// Load the CA in `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            cert_pem: std::fs::read_to_string(dir.join("ca.crt"))
                .with_context(|| format!("{}/ca.crt", dir.display()))?,
            key_pem: std::fs::read_to_string(dir.join("ca.key"))
                .with_context(|| format!("{}/ca.key", dir.display()))?,
        })
    }

    /// The issuer (the CA certificate re-made from its key and name: same subject, same
    /// key, so what it signs chains to `ca.crt`).
    fn issuer(&self) -> anyhow::Result<(rcgen::Certificate, rcgen::KeyPair)> {
        let key = rcgen::KeyPair::from_pem(&self.key_pem)?;
        let cert = ca_params()?.self_signed(&key)?;
        Ok((cert, key))
    }

    /// Issue a device certificate into `out` (device.crt, device.key, ca.crt).
    pub fn issue_device(
        &self,
        device: &tipring_acs::model::DeviceKey,
        out: &Path,
    ) -> anyhow::Result<()> {
        let (ca, ca_key) = self.issuer()?;
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name
            .push(rcgen::DnType::CommonName, device.id());
        p.distinguished_name.push(
            rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]),
            device.serial.as_str(),
        );
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = rcgen::KeyPair::generate()?;
        let cert = p.signed_by(&key, &ca, &ca_key)?;
        std::fs::create_dir_all(out)?;
        std::fs::write(out.join("device.crt"), cert.pem())?;
        crate::auth::write_private(&out.join("device.key"), key.serialize_pem().as_bytes())?;
        std::fs::write(out.join("ca.crt"), &self.cert_pem)?;
        Ok(())
    }

    /// Issue a server certificate for `names` into `out` (server.crt, server.key).
    pub fn issue_server(&self, names: &[String], out: &Path) -> anyhow::Result<()> {
        let (ca, ca_key) = self.issuer()?;
        let mut p = rcgen::CertificateParams::new(names.to_vec())?;
        p.distinguished_name
            .push(rcgen::DnType::CommonName, names[0].as_str());
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate()?;
        let cert = p.signed_by(&key, &ca, &ca_key)?;
        std::fs::create_dir_all(out)?;
        std::fs::write(out.join("server.crt"), cert.pem())?;
        crate::auth::write_private(&out.join("server.key"), key.serialize_pem().as_bytes())?;
        Ok(())
    }
}

/// What a verified client certificate says about the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdentity {
    /// The serialNumber attribute, or the serial part of the CN.
    pub serial: Option<String>,
    /// The OUI part of the CN.
    pub oui: Option<String>,
    /// The product-class part of the CN (a three-part CN only).
    pub product_class: Option<String>,
    /// SHA-256 (hex) of the certificate.
    pub sha256: String,
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            // `s[i + 1..i + 3]` is ASCII when it parses as hex; other bytes fail below.
            if let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Read the identity from a DER certificate (already verified by the TLS handshake).
pub fn identity(der: &[u8]) -> anyhow::Result<CertIdentity> {
    use x509_parser::prelude::FromDer as _;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| anyhow::anyhow!("unreadable client certificate: {e}"))?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(String::from);
    let serial_attr = subject
        .iter_by_oid(&x509_parser::oid_registry::OID_X509_SERIALNUMBER)
        .next()
        .and_then(|a| a.as_str().ok())
        .map(String::from);
    let parts: Vec<String> = cn
        .as_deref()
        .map(|c| c.split('-').map(unescape).collect())
        .unwrap_or_default();
    let (oui, product_class, cn_serial) = match parts.as_slice() {
        [o, p, s] => (Some(o.clone()), Some(p.clone()), Some(s.clone())),
        [o, s] => (Some(o.clone()), Some(String::new()), Some(s.clone())),
        _ => (None, None, None),
    };
    Ok(CertIdentity {
        serial: serial_attr.or(cn_serial),
        oui,
        product_class,
        sha256: {
            use sha2::Digest as _;
            sha2::Sha256::digest(der)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        },
    })
}

/// The ACS's TLS server configuration: its certificate, and (with `device_ca`) client
/// certificates verified against the factory CA — optional, so devices without one can
/// still use HTTP digest over TLS.
pub fn server_tls(
    cert: &Path,
    key: &Path,
    device_ca: Option<&Path>,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject as _;
    let chain = rustls_pki_types::CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("--tls-cert {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--tls-cert {}", cert.display()))?;
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("--tls-key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?;
    let builder = match device_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls_pki_types::CertificateDer::pem_file_iter(ca)
                .with_context(|| format!("--device-ca {}", ca.display()))?
            {
                roots.add(c?)?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .allow_unauthenticated()
            .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(builder.with_single_cert(chain, key)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_certificate_names_its_device() {
        let dir = std::env::temp_dir().join(format!("tipring-pki-{}", std::process::id()));
        let ca = FactoryCa::create(&dir.join("ca")).unwrap();
        let key = tipring_acs::model::DeviceKey {
            oui: "00D0C9".into(),
            product_class: "FXS-4".into(),
            serial: "SN 0001".into(),
        };
        ca.issue_device(&key, &dir.join("dev")).unwrap();
        let pem = std::fs::read(dir.join("dev/device.crt")).unwrap();
        use rustls_pki_types::pem::PemObject as _;
        let der = rustls_pki_types::CertificateDer::from_pem_slice(&pem).unwrap();
        let id = identity(&der).unwrap();
        assert_eq!(id.serial.as_deref(), Some("SN 0001"));
        assert_eq!(id.oui.as_deref(), Some("00D0C9"));
        // The '-' inside the product class was escaped in the CN and comes back whole.
        assert_eq!(id.product_class.as_deref(), Some("FXS-4"));
        assert_eq!(id.sha256.len(), 64);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
