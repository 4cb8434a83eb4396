//! Certificates and TLS configurations: a throw-away CA and a server certificate named after the printer serial, like a real Bambu printer's.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme,
    client::WebPkiServerVerifier,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime},
    server::{ServerSessionMemoryCache, StoresServerSessions},
};

/// Why certificates or TLS configurations could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// rcgen refused the parameters or failed to sign.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the certificate, key or protocol versions.
    #[error("TLS configuration failed: {0}")]
    Tls(#[from] rustls::Error),
    /// The root store or verifier could not be built from the CA.
    #[error("certificate verifier could not be built: {0}")]
    Verifier(#[from] rustls::client::VerifierBuilderError),
    /// The serial is not usable as a certificate name.
    #[error("serial {0:?} is not a valid certificate name")]
    BadSerial(String),
}

/// The CA and the server certificate a simulated printer presents on MQTT and FTPS.
pub struct SimCerts {
    serial: String,
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_cert_pem: String,
    server_cert_der: CertificateDer<'static>,
    server_key_pem: String,
    server_key_der: Vec<u8>,
}

impl std::fmt::Debug for SimCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCerts")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// The only crypto provider the simulator uses (no aws-lc-rs in the tree).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl SimCerts {
    /// Generates a fresh CA and a server certificate with `CN = serial` (plus a DNS SAN of the
    /// serial so a verifier can check the name; the name never matches `127.0.0.1`).
    pub fn generate(serial: &str) -> Result<Self, CertError> {
        if ServerName::try_from(serial).is_err() || serial.contains(|c: char| c.is_whitespace()) {
            return Err(CertError::BadSerial(serial.to_owned()));
        }
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name = DistinguishedName::new();
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, "PrintStash simulators");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Simulated BBL CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params = CertificateParams::new(vec![serial.to_owned()])
            .map_err(|_| CertError::BadSerial(serial.to_owned()))?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, serial);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;

        Ok(Self {
            serial: serial.to_owned(),
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            server_cert_pem: cert.pem(),
            server_cert_der: cert.der().clone(),
            server_key_pem: key.serialize_pem(),
            server_key_der: key.serialize_der(),
        })
    }

    /// The CA certificate (PEM) that signed the server certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server certificate (PEM), for mosquitto's `certfile`.
    pub fn server_cert_pem(&self) -> &str {
        &self.server_cert_pem
    }

    /// The server private key (PKCS#8 PEM), for mosquitto's `keyfile`.
    pub fn server_key_pem(&self) -> &str {
        &self.server_key_pem
    }

    /// A rustls server configuration (TLS 1.2 and 1.3) with no session cache of its own.
    fn server_config(&self) -> Result<ServerConfig, CertError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key_der.clone()));
        Ok(ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_single_cert(vec![self.server_cert_der.clone()], key)?)
    }

    /// Server configurations for the FTPS control and data connections, sharing one in-memory
    /// session cache so a data connection can resume the control connection's session
    /// (TLS 1.2 session ids; TLS 1.3 stateful tickets, each usable once).
    ///
    /// The control connection issues rustls' default two TLS 1.3 tickets (OpenSSL's default
    /// too), so a TLS 1.3 client gets two data connections per control connection. Data
    /// connections issue none: an uploader closes without reading, and unread tickets in its
    /// receive buffer would turn its close into a TCP reset that can cut the upload short.
    pub fn ftps_server_configs(&self) -> Result<(Arc<ServerConfig>, Arc<ServerConfig>), CertError> {
        let storage: Arc<dyn StoresServerSessions> = ServerSessionMemoryCache::new(1024);
        let mut control = self.server_config()?;
        control.session_storage = Arc::clone(&storage);
        let mut data = self.server_config()?;
        data.session_storage = storage;
        data.send_tls13_tickets = 0;
        Ok((Arc::new(control), Arc::new(data)))
    }

    /// A rustls client configuration that trusts only this CA and checks the certificate against
    /// the serial, whatever address was dialled (what a careful Bambu client does).
    pub fn client_config(&self) -> Result<ClientConfig, CertError> {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone())?;
        let verifier = SerialNameVerifier::new(Arc::new(roots), &self.serial)?;
        Ok(ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth())
    }
}

/// Verifies the chain against trusted roots and the name against a fixed serial instead of the
/// host that was dialled (a printer's certificate never names its IP address).
#[derive(Debug)]
pub struct SerialNameVerifier {
    inner: Arc<WebPkiServerVerifier>,
    serial: ServerName<'static>,
}

impl SerialNameVerifier {
    /// A verifier trusting `roots` and expecting a certificate issued to `serial`.
    pub fn new(roots: Arc<RootCertStore>, serial: &str) -> Result<Self, CertError> {
        let serial = ServerName::try_from(serial.to_owned())
            .map_err(|_| CertError::BadSerial(serial.to_owned()))?;
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider()).build()?;
        Ok(Self { inner, serial })
    }
}

impl ServerCertVerifier for SerialNameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.serial, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_certificate_is_named_after_the_serial() -> Result<(), CertError> {
        let certs = SimCerts::generate("01S00A000000000")?;
        assert!(certs.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(certs.server_key_pem().contains("PRIVATE KEY"));
        certs.ftps_server_configs()?;
        certs.client_config()?;
        Ok(())
    }

    #[test]
    fn a_serial_that_is_no_name_is_refused() {
        assert!(matches!(
            SimCerts::generate("not a name"),
            Err(CertError::BadSerial(_))
        ));
    }
}
