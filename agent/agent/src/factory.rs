//! The factory identity: the device certificate a factory puts on the gateway, and the
//! TR-069 DeviceId that must match it.
//!
//! `--factory-identity DIR` holds `device.crt` (the device's certificate chain, PEM, leaf
//! first), `device.key` (its private key, PEM) and optionally `ca.crt` (the CA an https
//! ACS's certificate must chain to). The certificate's subject names the device by the
//! DeviceId of its Inform (TR-069 Amendment 6 §A.3.3.1): CN = `OUI-ProductClass-SerialNumber`
//! (or `OUI-SerialNumber` for a device with no ProductClass) and, when present, the
//! serialNumber attribute (X.520, OID 2.5.4.5) = the SerialNumber. The agent's Inform must name the same device, so the certificate decides:
//! an option not given is taken from it, an option given that differs refuses the start.
//!
//! ```no_run
//! # fn demo() -> anyhow::Result<()> {
//! let id = tipring_agent::factory::FactoryIdentity::load("/etc/tipring/identity".as_ref())?;
//! let given = tipring_agent::factory::Given { serial: Some("GW0001".into()), ..Default::default() };
//! let device = id.subject.reconcile(&given)?; // Err if the certificate names another serial
//! println!("{}-{}", device.oui, device.serial);
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use x509_parser::oid_registry::OID_X509_SERIALNUMBER;

/// The device a certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSubject {
    /// ManufacturerOUI: six hex digits, upper case.
    pub oui: String,
    /// ProductClass (`None`: the CN has the two-part form).
    pub product_class: Option<String>,
    /// SerialNumber.
    pub serial: String,
}

/// What the command line says the device is (each optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    /// `--serial-number`.
    pub serial: Option<String>,
    /// `--oui`.
    pub oui: Option<String>,
    /// `--product-class`.
    pub product_class: Option<String>,
}

/// The identity in force: the certificate's, checked against what was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// ManufacturerOUI.
    pub oui: String,
    /// ProductClass (`None`: the certificate names none, the two-part CN; the Inform's
    /// ProductClass is empty then).
    pub product_class: Option<String>,
    /// SerialNumber.
    pub serial: String,
}

fn is_oui(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl CertSubject {
    /// Read the leaf (first) certificate of a PEM chain.
    pub fn from_pem(pem: &[u8]) -> anyhow::Result<Self> {
        let first = x509_parser::pem::Pem::iter_from_buffer(pem)
            .next()
            .context("no PEM certificate in it")?
            .map_err(|e| anyhow::anyhow!("not PEM: {e}"))?;
        if first.label != "CERTIFICATE" {
            bail!(
                "the first PEM block is a `{}`, not a CERTIFICATE",
                first.label
            );
        }
        let cert = first
            .parse_x509()
            .map_err(|e| anyhow::anyhow!("not an X.509 certificate: {e}"))?;
        let subject = cert.subject();
        let cn = subject
            .iter_common_name()
            .next()
            .context("the subject has no CN (expected OUI-ProductClass-SerialNumber)")?
            .as_str()
            .map_err(|e| anyhow::anyhow!("the subject's CN is not text: {e}"))?;
        let serial_attr = match subject.iter_by_oid(&OID_X509_SERIALNUMBER).next() {
            Some(a) => Some(
                a.as_str()
                    .map_err(|e| anyhow::anyhow!("the subject's serialNumber is not text: {e}"))?
                    .to_string(),
            ),
            None => None,
        };
        Self::from_names(cn, serial_attr.as_deref())
    }

    /// The device from the CN and the serialNumber attribute. With the attribute, the CN
    /// must end in `-SERIAL` and what lies between the OUI and it is the ProductClass
    /// (which may then contain `-`); without it, the CN splits at its first and last `-`.
    pub fn from_names(cn: &str, serial_attr: Option<&str>) -> anyhow::Result<Self> {
        let form = "expected CN = OUI-ProductClass-SerialNumber or OUI-SerialNumber";
        let Some((oui, rest)) = cn.split_once('-') else {
            bail!("CN `{cn}`: {form}");
        };
        if !is_oui(oui) {
            bail!("CN `{cn}`: `{oui}` is not an OUI (six hex digits); {form}");
        }
        let (product_class, serial) = match serial_attr {
            Some(s) if rest == s => (None, s),
            Some(s) => match rest.strip_suffix(s).and_then(|p| p.strip_suffix('-')) {
                Some(pc) => (Some(pc), s),
                None => {
                    bail!("CN `{cn}` does not end in the certificate's serialNumber `{s}`; {form}")
                }
            },
            None => match rest.rsplit_once('-') {
                Some((pc, s)) => (Some(pc), s),
                None => (None, rest),
            },
        };
        if serial.is_empty() || product_class.is_some_and(str::is_empty) {
            bail!("CN `{cn}`: an empty part; {form}");
        }
        if serial.len() > 64 || product_class.is_some_and(|p| p.len() > 64) {
            bail!("CN `{cn}`: SerialNumber and ProductClass are at most 64 characters");
        }
        Ok(Self {
            oui: oui.to_ascii_uppercase(),
            product_class: product_class.map(str::to_string),
            serial: serial.to_string(),
        })
    }

    /// Check what the command line gave against the certificate: a value not given comes
    /// from the certificate; one that differs is an error naming both.
    pub fn reconcile(&self, given: &Given) -> anyhow::Result<Resolved> {
        if let Some(s) = &given.serial {
            if *s != self.serial {
                bail!(
                    "--serial-number {s} does not match the factory certificate, which is \
                     for serial number {}",
                    self.serial
                );
            }
        }
        if let Some(o) = &given.oui {
            if !o.eq_ignore_ascii_case(&self.oui) {
                bail!(
                    "--oui {o} does not match the factory certificate, which is for OUI {}",
                    self.oui
                );
            }
        }
        if let Some(p) = &given.product_class {
            if Some(p) != self.product_class.as_ref() {
                bail!(
                    "--product-class {p} does not match the factory certificate, which is \
                     for {}",
                    self.product_class
                        .as_deref()
                        .map_or("no product class".to_string(), |c| format!(
                            "product class {c}"
                        ))
                );
            }
        }
        Ok(Resolved {
            oui: self.oui.clone(),
            product_class: self.product_class.clone(),
            serial: self.serial.clone(),
        })
    }
}

/// A factory identity directory, read and checked.
#[derive(Debug, Clone)]
pub struct FactoryIdentity {
    /// `device.crt`.
    pub cert: PathBuf,
    /// `device.key`.
    pub key: PathBuf,
    /// `ca.crt`, when there is one.
    pub ca: Option<PathBuf>,
    /// Who the certificate says the device is.
    pub subject: CertSubject,
}

impl FactoryIdentity {
    /// Read `dir`: `device.crt` and `device.key` must be there (the key is not parsed
    /// here; the TLS setup is), `ca.crt` may be.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let cert = dir.join("device.crt");
        let key = dir.join("device.key");
        let pem = std::fs::read(&cert)
            .with_context(|| format!("--factory-identity: cannot read {}", cert.display()))?;
        if !key.is_file() {
            bail!("--factory-identity: {} is missing", key.display());
        }
        let subject = CertSubject::from_pem(&pem)
            .with_context(|| format!("--factory-identity: {}", cert.display()))?;
        let ca = Some(dir.join("ca.crt")).filter(|p| p.is_file());
        Ok(Self {
            cert,
            key,
            ca,
            subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: &str, serial: Option<&str>) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        if let Some(s) = serial {
            params.distinguished_name.push(
                rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]),
                rcgen::DnValue::PrintableString(s.try_into().unwrap()),
            );
        }
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem().into_bytes()
    }

    #[test]
    fn subject_from_a_certificate() {
        let s = CertSubject::from_pem(&cert("00D0FA-FXS4-GW0001", Some("GW0001"))).unwrap();
        assert_eq!(
            s,
            CertSubject {
                oui: "00D0FA".into(),
                product_class: Some("FXS4".into()),
                serial: "GW0001".into()
            }
        );
        // Without the serialNumber attribute the CN alone says it.
        let s = CertSubject::from_pem(&cert("00d0fa-GW0002", None)).unwrap();
        assert_eq!(
            (s.oui.as_str(), s.product_class, s.serial.as_str()),
            ("00D0FA", None, "GW0002")
        );
        // A dash in the ProductClass: the serialNumber attribute says where the serial starts.
        let s = CertSubject::from_pem(&cert("00D0FA-FXS-4-A-9", Some("A-9"))).unwrap();
        assert_eq!(s.product_class.as_deref(), Some("FXS-4"));
        assert_eq!(s.serial, "A-9");
    }

    #[test]
    fn bad_certificates_are_named() {
        for (pem, expect) in [
            (cert("gateway", None), "expected CN"),
            (cert("XYZ123-FXS4-1", None), "not an OUI"),
            (
                cert("00D0FA-FXS4-GW0001", Some("GW0009")),
                "does not end in",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
                "X.509",
            ),
            (b"hello".to_vec(), "PEM"),
        ] {
            let e = CertSubject::from_pem(&pem).unwrap_err().to_string();
            assert!(e.contains(expect), "{e} (expected {expect})");
        }
        let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
        let e = CertSubject::from_pem(key.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a CERTIFICATE"), "{e}");
    }

    #[test]
    fn the_certificate_decides() {
        let s = CertSubject::from_names("00D0FA-FXS4-GW0001", Some("GW0001")).unwrap();
        let r = s.reconcile(&Given::default()).unwrap();
        assert_eq!((r.oui.as_str(), r.serial.as_str()), ("00D0FA", "GW0001"));
        s.reconcile(&Given {
            serial: Some("GW0001".into()),
            oui: Some("00d0fa".into()),
            product_class: Some("FXS4".into()),
        })
        .unwrap();
        let e = s
            .reconcile(&Given {
                serial: Some("GW0002".into()),
                ..Given::default()
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--serial-number GW0002") && e.contains("GW0001"),
            "{e}"
        );
        assert!(s
            .reconcile(&Given {
                oui: Some("000000".into()),
                ..Given::default()
            })
            .is_err());
        assert!(s
            .reconcile(&Given {
                product_class: Some("FXS8".into()),
                ..Given::default()
            })
            .is_err());
    }
}
