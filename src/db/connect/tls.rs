//! TLS as libpq sets it up, through OpenSSL.
//!
//! OpenSSL rather than rustls because libpq itself uses it: the same
//! certificate and key files (PKCS#1 and PKCS#8 keys, chains in one PEM),
//! the same system trust store for `sslrootcert=system`, the same
//! verification, so a setup that works for psql works here unchanged.
//! `postgres-openssl` is the adapter kept in the rust-postgres repository
//! itself.

use std::path::Path;

use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode, SslVersion};
use postgres_openssl::MakeTlsConnector;

use super::{RootCert, SslMode, TlsSettings};

/// A connector for `settings`, or why one cannot be made (a missing root
/// certificate under a verifying mode, a key others can read, a file
/// OpenSSL rejects).
pub(super) fn make_connector(settings: &TlsSettings) -> Result<MakeTlsConnector, String> {
    let openssl = |what: &str, e: openssl::error::ErrorStack| format!("{what}: {e}");
    let mut builder =
        SslConnector::builder(SslMethod::tls_client()).map_err(|e| openssl("TLS setup", e))?;
    // libpq's default ssl_min_protocol_version.
    builder
        .set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(|e| openssl("TLS setup", e))?;

    let verify = match &settings.root_cert {
        Some(RootCert::System) => {
            builder
                .set_default_verify_paths()
                .map_err(|e| openssl("loading the system's trusted certificates", e))?;
            true
        }
        Some(RootCert::File { path, .. }) if path.is_file() => {
            builder
                .set_ca_file(path)
                .map_err(|e| openssl(&format!("root certificate file {}", path.display()), e))?;
            true
        }
        Some(RootCert::File { path, .. }) if settings.mode.verifies() => {
            return Err(format!(
                "root certificate file {} does not exist; either provide the file, use \
                 the system's trusted roots with sslrootcert=system, or change sslmode to \
                 disable server certificate verification",
                path.display()
            ));
        }
        // As libpq: a root certificate, where there is one, is used to
        // check the server even under require (and prefer, and allow).
        Some(RootCert::File { .. }) | None if settings.mode.verifies() => {
            return Err("no root certificate to verify the server against".into());
        }
        Some(RootCert::File { .. }) | None => false,
    };
    builder.set_verify(if verify {
        SslVerifyMode::PEER
    } else {
        SslVerifyMode::NONE
    });

    if let Some(cert) = settings.cert.as_deref().filter(|c| c.is_file()) {
        builder
            .set_certificate_chain_file(cert)
            .map_err(|e| openssl(&format!("client certificate {}", cert.display()), e))?;
        let Some(key) = settings.key.as_deref() else {
            return Err(format!(
                "certificate {} present, but no private key file",
                cert.display()
            ));
        };
        check_key_file(key)?;
        builder
            .set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| openssl(&format!("private key file {}", key.display()), e))?;
        builder
            .check_private_key()
            .map_err(|e| openssl(&format!("private key file {}", key.display()), e))?;
    }

    let mut connector = MakeTlsConnector::new(builder.build());
    let check_name = settings.mode == SslMode::VerifyFull;
    connector.set_callback(move |config, _host| {
        config.set_verify_hostname(check_name);
        Ok(())
    });
    Ok(connector)
}

/// libpq's rule: the key must be readable by its owner alone, or by the
/// owner and group when root owns it (a key shared through a group that
/// root manages).
fn check_key_file(key: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;

    let meta = std::fs::metadata(key).map_err(|e| {
        format!(
            "certificate present, but not private key file {}: {e}",
            key.display()
        )
    })?;
    if !meta.is_file() {
        return Err(format!(
            "private key file {} is not a regular file",
            key.display()
        ));
    }
    let mode = meta.mode();
    let euid = nix::unistd::geteuid().as_raw();
    let too_open =
        (meta.uid() == euid && mode & 0o077 != 0) || (meta.uid() == 0 && mode & 0o037 != 0);
    if too_open {
        return Err(format!(
            "private key file {} has group or world access; it must have permissions \
             u=rw (0600) or less if owned by the current user, or u=rw,g=r (0640) or \
             less if owned by root",
            key.display()
        ));
    }
    Ok(())
}
