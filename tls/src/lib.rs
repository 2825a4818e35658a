//! Which certificate authorities the skytells-auth drivers trust, and what it means when a
//! server's certificate is refused.
//!
//! Both drivers trust what the machine trusts, as curl and gh do: the files named by
//! `SSL_CERT_FILE` and `SSL_CERT_DIR` when either is set, else the operating system's store
//! (where a TLS-inspecting corporate proxy installs its root). Only a machine with no store
//! at all falls back to the Mozilla roots bundled into the HTTP client. This crate reads
//! files and makes that choice once, so that both drivers make it alike.
//!
//! ```
//! use skytells_auth_tls::{RootSource, TrustedRoots};
//!
//! let roots = TrustedRoots::from_machine();
//! match roots.source() {
//!     RootSource::Bundled => assert!(roots.certificates().is_empty()),
//!     _ => println!("{} authorities from {}", roots.certificates().len(), roots.source()),
//! }
//! ```

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
/// A DER-encoded certificate (rustls-pki-types 1, as rustls 0.23 re-exports it), the
/// type of [`TrustedRoots::certificates`].
pub use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, RootCertStore};
use skytells_auth::{TransportError, TransportErrorKind};

/// Where the trusted authorities came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootSource {
    /// `SSL_CERT_FILE` and/or `SSL_CERT_DIR`: exactly what they name, nothing else, even
    /// when it is nothing (the user chose it; widening it silently would undo the choice).
    Environment,
    /// The operating system's store.
    System,
    /// The machine has no store: the Mozilla roots built into the HTTP client.
    Bundled,
    /// Given by the program ([`TrustedRoots::from_pem`], [`TrustedRoots::from_der`]):
    /// exactly those, nothing else.
    Given,
}

impl fmt::Display for RootSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RootSource::Environment => "SSL_CERT_FILE/SSL_CERT_DIR",
            RootSource::System => "the system's certificate store",
            RootSource::Bundled => "the bundled Mozilla roots",
            RootSource::Given => "the authorities given by the program",
        })
    }
}

/// The authorities a driver trusts, with what could not be read on the way.
#[derive(Debug, Clone)]
pub struct TrustedRoots {
    certificates: Arc<Vec<CertificateDer<'static>>>,
    source: RootSource,
    problems: Arc<Vec<String>>,
}

impl TrustedRoots {
    /// Reads the machine's authorities: `SSL_CERT_FILE`/`SSL_CERT_DIR` when set, else the
    /// operating system's store, else none (and [`RootSource::Bundled`]). Certificates that
    /// cannot serve as a trust anchor are left out, so one bad entry in a system bundle
    /// cannot break every connection. Reads files; call it once per driver.
    pub fn from_machine() -> Self {
        // Set at all, even empty, is what rustls-native-certs goes by.
        let named_by_environment =
            ["SSL_CERT_FILE", "SSL_CERT_DIR"].iter().any(|name| std::env::var_os(name).is_some());
        let loaded = rustls_native_certs::load_native_certs();
        let mut problems: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        let mut certificates = Vec::with_capacity(loaded.certs.len());
        let mut unusable = 0;
        for certificate in loaded.certs {
            if RootCertStore::empty().add(certificate.clone()).is_ok() {
                certificates.push(certificate);
            } else {
                unusable += 1;
            }
        }
        if unusable > 0 {
            problems.push(format!("{unusable} certificate(s) could not be used as an authority"));
        }
        let source = match (named_by_environment, certificates.is_empty()) {
            (true, _) => RootSource::Environment,
            (false, false) => RootSource::System,
            (false, true) => RootSource::Bundled,
        };
        TrustedRoots { certificates: Arc::new(certificates), source, problems: Arc::new(problems) }
    }

    /// Exactly the authorities in `pem` (every `CERTIFICATE` section; other sections,
    /// such as keys, are skipped), and nothing else: not the machine's, not the bundled
    /// ones. Reads no file and no environment variable.
    ///
    /// ```
    /// # let pem = include_bytes!("../tests/authority.pem");
    /// use skytells_auth_tls::{RootSource, TrustedRoots};
    ///
    /// let roots = TrustedRoots::from_pem(pem)?; // e.g. std::fs::read("corporate-root.pem")?
    /// assert_eq!(roots.source(), RootSource::Given);
    /// assert_eq!(roots.certificates().len(), 1);
    /// # Ok::<(), skytells_auth_tls::RootsError>(())
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Self, RootsError> {
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| RootsError::Pem(error.to_string()))?;
        Self::from_der(certificates)
    }

    /// Exactly the authorities given as DER-encoded certificates, and nothing else.
    pub fn from_der<C: Into<CertificateDer<'static>>>(
        certificates: impl IntoIterator<Item = C>,
    ) -> Result<Self, RootsError> {
        let certificates: Vec<CertificateDer<'static>> = certificates.into_iter().map(Into::into).collect();
        if certificates.is_empty() {
            return Err(RootsError::NoCertificate);
        }
        for (index, certificate) in certificates.iter().enumerate() {
            RootCertStore::empty()
                .add(certificate.clone())
                .map_err(|error| RootsError::Unusable { index, reason: error.to_string() })?;
        }
        Ok(TrustedRoots { certificates: Arc::new(certificates), source: RootSource::Given, problems: Arc::default() })
    }

    /// Only the Mozilla roots bundled into the HTTP client, whatever the machine says.
    pub fn bundled() -> Self {
        TrustedRoots { certificates: Arc::default(), source: RootSource::Bundled, problems: Arc::default() }
    }

    /// The authorities to trust; empty for [`RootSource::Bundled`], whose roots the HTTP
    /// client carries itself.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certificates
    }

    /// Where they came from.
    pub fn source(&self) -> RootSource {
        self.source
    }

    /// What could not be read or used while loading (a missing `SSL_CERT_FILE`, an
    /// unreadable directory), as sentences.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// Authorities given to [`TrustedRoots::from_pem`] or [`TrustedRoots::from_der`] that
/// cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootsError {
    /// The PEM text is malformed (what the parser said).
    Pem(String),
    /// There is no certificate in what was given.
    NoCertificate,
    /// A certificate (counted from 0, in the order given) cannot serve as an authority.
    Unusable {
        /// Its position.
        index: usize,
        /// Why (what rustls said).
        reason: String,
    },
}

impl fmt::Display for RootsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootsError::Pem(detail) => write!(f, "the PEM text is malformed: {detail}"),
            RootsError::NoCertificate => f.write_str("no certificate was given"),
            RootsError::Unusable { index, reason } => {
                write!(f, "certificate {index} (counted from 0) cannot be used as an authority: {reason}")
            }
        }
    }
}

impl Error for RootsError {}

/// The transport error for a failed request, when its cause is a certificate the server
/// presented: [`TransportErrorKind::UntrustedCertificate`] when no trusted authority issued
/// it (the issuer is unknown, or its signature does not verify), with where the trusted
/// authorities came from and what could not be read when `roots` are the ones the client
/// used; [`TransportErrorKind::Connect`] for any other certificate fault (expired, issued
/// for another name). `None` when the failure had nothing to do with a certificate. Walks
/// the whole `source()` chain, including the errors that `std::io::Error` wraps.
pub fn certificate_failure(error: &(dyn Error + 'static), roots: Option<&TrustedRoots>) -> Option<TransportError> {
    let problem = find_certificate_error(error)?;
    // No known authority, or one with the right name but not the key that signed (an
    // impostor): either way only trusting the real issuer helps.
    if matches!(problem, CertificateError::UnknownIssuer | CertificateError::BadSignature) {
        let mut detail = "no trusted authority issued the server's certificate".to_owned();
        if let Some(roots) = roots {
            detail.push_str(&format!(" (trusting {})", roots.source));
            for problem in roots.problems.iter() {
                detail.push_str("; ");
                detail.push_str(problem);
            }
        }
        Some(TransportError::new(TransportErrorKind::UntrustedCertificate, detail))
    } else {
        Some(TransportError::new(
            TransportErrorKind::Connect,
            format!("the server's certificate was refused: {problem}"),
        ))
    }
}

/// The first certificate error in `error`'s chain.
fn find_certificate_error<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a CertificateError> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(rustls::Error::InvalidCertificate(problem)) = error.downcast_ref::<rustls::Error>() {
            return Some(problem);
        }
        // `io::Error::source()` skips the error it wraps; look inside it by hand.
        if let Some(inner) = error.downcast_ref::<std::io::Error>().and_then(|io_error| io_error.get_ref()) {
            if let Some(found) = find_certificate_error(inner) {
                return Some(found);
            }
        }
        current = error.source();
    }
    None
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    fn io_wrapped(error: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, error)
    }

    #[test]
    fn an_unknown_issuer_inside_an_io_error_is_an_untrusted_certificate() {
        let error = io_wrapped(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer));
        let failure = certificate_failure(&error, Some(&TrustedRoots::bundled())).expect("a certificate failure");
        assert_eq!(failure.kind, TransportErrorKind::UntrustedCertificate);
        assert!(failure.detail.contains("the bundled Mozilla roots"), "{failure}");
    }

    #[test]
    fn a_signature_no_trusted_authority_made_is_an_untrusted_certificate() {
        let error = rustls::Error::InvalidCertificate(CertificateError::BadSignature);
        let failure = certificate_failure(&error, Some(&TrustedRoots::bundled())).expect("a certificate failure");
        assert_eq!(failure.kind, TransportErrorKind::UntrustedCertificate);
    }

    #[test]
    fn other_certificate_faults_are_connection_failures_that_name_the_fault() {
        let error = io_wrapped(rustls::Error::InvalidCertificate(CertificateError::Expired));
        let failure = certificate_failure(&error, Some(&TrustedRoots::bundled())).expect("a certificate failure");
        assert_eq!(failure.kind, TransportErrorKind::Connect);
        assert!(failure.detail.contains("Expired"), "{failure}");
    }

    const AUTHORITY: &[u8] = include_bytes!("../tests/authority.pem");

    #[test]
    fn authorities_given_as_pem_or_der_are_exactly_those() {
        let from_pem = TrustedRoots::from_pem(AUTHORITY).expect("a usable authority");
        assert_eq!((from_pem.source(), from_pem.certificates().len()), (RootSource::Given, 1));
        assert!(from_pem.problems().is_empty());
        let from_der = TrustedRoots::from_der([from_pem.certificates()[0].to_vec()]).expect("a usable authority");
        assert_eq!(from_der.certificates(), from_pem.certificates());
        // A key beside the certificate is skipped; two certificates are two authorities.
        let mut bundle = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec();
        bundle.extend_from_slice(AUTHORITY);
        bundle.extend_from_slice(AUTHORITY);
        assert_eq!(TrustedRoots::from_pem(&bundle).map(|roots| roots.certificates().len()), Ok(2));
    }

    #[test]
    fn unusable_authorities_are_refused_and_say_why() {
        assert_eq!(TrustedRoots::from_pem(b"").err(), Some(RootsError::NoCertificate));
        assert_eq!(TrustedRoots::from_pem(b"not pem at all").err(), Some(RootsError::NoCertificate));
        let truncated = &AUTHORITY[..AUTHORITY.len() - 30];
        assert!(matches!(TrustedRoots::from_pem(truncated), Err(RootsError::Pem(_))));
        let garbage = TrustedRoots::from_der([AUTHORITY.to_vec(), vec![0x30, 0x03, 1, 2, 3]]);
        let Err(error @ RootsError::Unusable { index: 0, .. }) = garbage else { panic!("{garbage:?}") };
        assert!(error.to_string().starts_with("certificate 0 (counted from 0) cannot be used"), "{error}");
        let der = TrustedRoots::from_pem(AUTHORITY).unwrap().certificates()[0].to_vec();
        let second = TrustedRoots::from_der([der, vec![0x30, 0x03, 1, 2, 3]]);
        assert!(matches!(second, Err(RootsError::Unusable { index: 1, .. })), "{second:?}");
    }

    #[test]
    fn failures_without_a_certificate_are_left_to_the_driver() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(certificate_failure(&refused, None).is_none());
        let handshake = io_wrapped(rustls::Error::HandshakeNotComplete);
        assert!(certificate_failure(&handshake, None).is_none());
    }
}
