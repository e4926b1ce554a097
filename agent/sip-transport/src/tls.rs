//! rustls configurations built from [`TlsConfig`], always on the `ring` provider (never
//! the process-wide default, which another crate could set to something else).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::ServerName;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::config::{ClientAuth, TlsConfig};
use crate::error::{Error, Result};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn setup(e: impl std::fmt::Display) -> Error {
    Error::TlsSetup(e.to_string())
}

fn roots(cfg: &TlsConfig) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for ca in &cfg.ca_certs {
        roots.add(ca.clone()).map_err(setup)?;
    }
    Ok(roots)
}

/// The client side: trust anchors, optional client certificate, expected names.
pub(crate) struct Client {
    pub(crate) connector: TlsConnector,
    names: HashMap<SocketAddr, ServerName<'static>>,
    default_name: Option<ServerName<'static>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("names", &self.names)
            .field("default_name", &self.default_name)
            .finish_non_exhaustive()
    }
}

fn parse_name(name: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(name.to_owned())
        .map_err(|e| Error::Config(format!("TLS server name `{name}`: {e}")))
}

impl Client {
    pub(crate) fn new(cfg: &TlsConfig) -> Result<Self> {
        if cfg.ca_certs.is_empty() {
            return Err(Error::Config(
                "TLS needs at least one CA certificate to verify servers".to_owned(),
            ));
        }
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(setup)?
            .with_root_certificates(roots(cfg)?);
        let config = match &cfg.identity {
            Some(id) => builder
                .with_client_auth_cert(id.cert_chain.clone(), id.key.clone_key())
                .map_err(setup)?,
            None => builder.with_no_client_auth(),
        };
        let names = cfg
            .server_names
            .iter()
            .map(|(addr, name)| Ok((*addr, parse_name(name)?)))
            .collect::<Result<_>>()?;
        let default_name = cfg
            .default_server_name
            .as_deref()
            .map(parse_name)
            .transpose()?;
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
            names,
            default_name,
        })
    }

    /// The name `addr`'s certificate must carry (RFC 5922 §4, §7.3).
    pub(crate) fn server_name(&self, addr: SocketAddr) -> ServerName<'static> {
        self.names
            .get(&addr)
            .or(self.default_name.as_ref())
            .cloned()
            .unwrap_or_else(|| ServerName::IpAddress(addr.ip().into()))
    }
}

/// The listener side.
pub(crate) fn acceptor(cfg: &TlsConfig) -> Result<TlsAcceptor> {
    let id = cfg.identity.as_ref().ok_or_else(|| {
        Error::Config("a TLS listener needs an identity (certificate + key)".to_owned())
    })?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(setup)?;
    let builder = match cfg.client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Optional | ClientAuth::Required => {
            if cfg.ca_certs.is_empty() {
                return Err(Error::Config(
                    "client certificates need at least one CA certificate".to_owned(),
                ));
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots(cfg)?), provider());
            let v = if cfg.client_auth == ClientAuth::Optional {
                v.allow_unauthenticated()
            } else {
                v
            };
            builder.with_client_cert_verifier(v.build().map_err(setup)?)
        }
    };
    let config = builder
        .with_single_cert(id.cert_chain.clone(), id.key.clone_key())
        .map_err(setup)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
