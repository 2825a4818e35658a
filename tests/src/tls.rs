//! HTTPS for the emulator, under a certificate authority made up on the spot: clients
//! trust it only when told to (with `SSL_CERT_FILE`, say), which is how a test checks that
//! a client refuses an unknown authority and accepts a trusted one.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A throwaway authority and the server certificate it issued for `localhost`,
/// `127.0.0.1` and `::1`. Nothing about it is kept anywhere but in memory (and wherever
/// [`TestAuthority::ca_pem`] is written).
#[derive(Clone)]
pub struct TestAuthority {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TestAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAuthority").finish_non_exhaustive()
    }
}

/// The authority could not be made (a key or certificate could not be generated).
#[derive(Debug, thiserror::Error)]
#[error("could not make a test certificate authority: {0}")]
pub struct AuthorityError(String);

impl TestAuthority {
    /// A new authority with a new key, and a server certificate it signed.
    pub fn generate() -> Result<Self, AuthorityError> {
        let failed = |error: &dyn std::fmt::Display| AuthorityError(error.to_string());
        let ca_key = KeyPair::generate().map_err(|e| failed(&e))?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(|e| failed(&e))?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Skytells emulator test authority");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| failed(&e))?;
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().map_err(|e| failed(&e))?;
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        let mut server_params = CertificateParams::new(names).map_err(|e| failed(&e))?;
        server_params.distinguished_name.push(DnType::CommonName, "localhost");
        let server_cert = server_params.signed_by(&server_key, &issuer).map_err(|e| failed(&e))?;

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let chain = vec![server_cert.der().clone()];
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| failed(&e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| failed(&e))?;
        Ok(TestAuthority { ca_pem: ca_cert.pem(), server: Arc::new(server) })
    }

    /// The authority's certificate, PEM: what to put in `SSL_CERT_FILE`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub(crate) fn server_config(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.server)
    }
}
