//! How a process reaches the Temporal cluster: its address and namespace,
//! TLS (the system's roots or the cluster's own CA, and this process's
//! certificate for mutual TLS), and an API key.

use temporalio_client::{
    Client, ClientOptions, ClientTlsOptions, Connection, ConnectionOptions, TlsOptions, Url,
};

use crate::workflow::TemporalSettings;

/// Connects to the cluster `settings` name.
pub(super) async fn connect(settings: &TemporalSettings) -> Result<Client, String> {
    let api_key = api_key(settings);
    let tls = tls_options(settings, api_key.is_some())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = Url::parse(&format!("{scheme}://{}", settings.address)).map_err(|e| {
        format!(
            "the Temporal address {:?} is not valid: {e}",
            settings.address
        )
    })?;
    let options = ConnectionOptions::new(url)
        .identity(format!("agentwire@{}", std::process::id()))
        .maybe_api_key(api_key)
        .maybe_tls_options(tls)
        .build();
    let connection = Connection::connect(options)
        .await
        .map_err(|e| format!("cannot reach Temporal at {}: {e}", settings.address))?;
    Client::new(
        connection,
        ClientOptions::new(settings.namespace.clone()).build(),
    )
    .map_err(|e| {
        format!(
            "cannot use the Temporal namespace {:?}: {e}",
            settings.namespace
        )
    })
}

fn api_key(settings: &TemporalSettings) -> Option<String> {
    let variable = settings
        .api_key_env
        .as_deref()
        .unwrap_or("TEMPORAL_API_KEY");
    std::env::var(variable).ok().filter(|k| !k.is_empty())
}

/// The TLS of the connection, when any setting asks for it (an API key is
/// only ever sent over TLS): the cluster's certificate checked against
/// `tls_ca` or the system's roots, and this process's certificate when
/// given, with its key.
fn tls_options(settings: &TemporalSettings, api_key: bool) -> Result<Option<TlsOptions>, String> {
    let wanted = settings.tls
        || api_key
        || settings.tls_ca.is_some()
        || settings.tls_cert.is_some()
        || settings.tls_key.is_some()
        || settings.tls_server_name.is_some();
    if !wanted {
        return Ok(None);
    }
    let read = |path: &std::path::Path, setting: &str| {
        std::fs::read(path).map_err(|e| {
            format!(
                "[workflows.temporal] {setting}: cannot read {}: {e}",
                path.display()
            )
        })
    };
    let client = match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => Some(
            ClientTlsOptions::builder()
                .client_cert(read(cert, "tls_cert")?)
                .client_private_key(read(key, "tls_key")?)
                .build(),
        ),
        (None, None) => None,
        (Some(_), None) => {
            return Err("[workflows.temporal] tls_cert needs tls_key, its private key".to_owned());
        }
        (None, Some(_)) => {
            return Err("[workflows.temporal] tls_key needs tls_cert, its certificate".to_owned());
        }
    };
    let ca = match &settings.tls_ca {
        Some(path) => Some(read(path, "tls_ca")?),
        None => None,
    };
    Ok(Some(
        TlsOptions::builder()
            .maybe_server_root_ca_cert(ca)
            .maybe_domain(settings.tls_server_name.clone())
            .maybe_client_tls_options(client)
            .build(),
    ))
}
