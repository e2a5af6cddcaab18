//! `durable` reaching Temporal over mutual TLS, as a self-hosted cluster
//! with its own CA asks: the dev server (which speaks plain gRPC) behind a
//! TLS terminator of the test that requires a client certificate signed by
//! the test's CA, the worker and the MCP server configured with
//! `[workflows.temporal] tls_ca`, `tls_cert` and `tls_key`.
//!
//! `cargo test -p durable --features temporal --test temporal_tls`.

const BINARY: &str = env!("CARGO_BIN_EXE_durable");

#[path = "support/cluster.rs"]
#[allow(dead_code)]
mod cluster;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cluster::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};

/// A CA of the test and what it signed, as PEM files in a directory.
struct Pki {
    ca_der: CertificateDer<'static>,
    server: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

impl Pki {
    /// A CA, a certificate for 127.0.0.1 (the terminator's) and a client
    /// certificate `client.pem` / `client-key.pem`, all signed by it.
    fn create(dir: &Path) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().unwrap();
        let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        server_params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

        let client_key = KeyPair::generate().unwrap();
        let client_params = CertificateParams::new(vec!["worker".to_owned()]).unwrap();
        let client_cert = client_params.signed_by(&client_key, &ca).unwrap();

        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(dir.join("client.pem"), client_cert.pem()).unwrap();
        std::fs::write(dir.join("client-key.pem"), client_key.serialize_pem()).unwrap();
        Pki {
            ca_der: ca_cert.der().clone(),
            server: (
                server_cert.der().clone(),
                PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
            ),
        }
    }
}

/// A TLS terminator on a free loopback port: it takes TLS connections
/// (HTTP/2) from clients whose certificate the test's CA signed and relays
/// their bytes to `backend`. Counts the handshakes it accepted and refused.
struct TlsFront {
    address: String,
    accepted: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsFront {
    async fn start(pki: &Pki, backend: String) -> TlsFront {
        let provider = Arc::new(crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(pki.ca_der.clone()).unwrap();
        let clients =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(clients)
            .with_single_cert(vec![pki.server.0.clone()], pki.server.1.clone_key())
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (ok, no) = (accepted.clone(), refused.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, backend, ok, no) =
                    (acceptor.clone(), backend.clone(), ok.clone(), no.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        no.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    ok.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut plain) = TcpStream::connect(&backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
        TlsFront {
            address,
            accepted,
            refused,
            task,
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `[workflows.temporal]` lines naming files of `dir`.
fn tls_settings(dir: &Path, files: &[(&str, &str)]) -> String {
    files
        .iter()
        .map(|(setting, file)| format!("{setting} = {:?}\n", dir.join(file).to_str().unwrap()))
        .collect()
}

/// Waits for a worker that cannot connect to exit; its log.
fn refused_worker(cluster: &Cluster, name: &str) -> String {
    let mut worker = cluster.worker(name);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = worker.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "worker `{name}` kept running: {}",
            cluster.worker_log(name)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!status.success(), "{}", cluster.worker_log(name));
    cluster.worker_log(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_and_mcp_servers_reach_temporal_over_mutual_tls_and_others_are_refused() {
    let dir = scratch_dir("temporal-tls");
    let pki = Pki::create(&dir);
    let mut cluster = Cluster::start(&dir);
    let front = TlsFront::start(&pki, cluster.address()).await;
    let mutual = tls_settings(
        &dir,
        &[
            ("tls_ca", "ca.pem"),
            ("tls_cert", "client.pem"),
            ("tls_key", "client-key.pem"),
        ],
    );
    cluster.reach_through(&front.address, &mutual);

    let _worker = cluster.worker("mutual");
    let (_serve, url) = cluster.serve();
    let client = connect(&url).await;
    let run = start_run(&client, "countdown", json!({"steps": 3})).await;
    let done = wait_for_status(&client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"], 2 + 1, "{done}");
    client.cancel().await.unwrap();
    // The worker and the MCP server connected through the terminator.
    assert!(front.accepted.load(Ordering::SeqCst) >= 2);
    assert_eq!(front.refused.load(Ordering::SeqCst), 0);

    // Without a client certificate the terminator refuses the handshake,
    // and the worker stops with an error naming the cluster.
    let ca_only = tls_settings(&dir, &[("tls_ca", "ca.pem")]);
    cluster.reach_through(&front.address, &ca_only);
    let log = refused_worker(&cluster, "no-certificate");
    assert!(log.contains("cannot reach Temporal at"), "{log}");
    assert!(front.refused.load(Ordering::SeqCst) >= 1);

    // With TLS but the system's roots, the worker does not trust the
    // cluster's certificate (signed by the test's CA).
    let refused_before = front.refused.load(Ordering::SeqCst);
    cluster.reach_through(&front.address, "tls = true\n");
    let log = refused_worker(&cluster, "system-roots");
    assert!(
        log.contains("cannot reach Temporal at") && log.contains("UnknownIssuer"),
        "{log}"
    );
    assert!(front.refused.load(Ordering::SeqCst) > refused_before);

    // A certificate without its key is a configuration error.
    let no_key = tls_settings(&dir, &[("tls_ca", "ca.pem"), ("tls_cert", "client.pem")]);
    cluster.reach_through(&front.address, &no_key);
    let log = refused_worker(&cluster, "no-key");
    assert!(log.contains("tls_cert needs tls_key"), "{log}");
    // A file that cannot be read is named, with its setting.
    let missing = tls_settings(&dir, &[("tls_ca", "missing.pem")]);
    cluster.reach_through(&front.address, &missing);
    let log = refused_worker(&cluster, "missing-ca");
    assert!(
        log.contains("tls_ca: cannot read") && log.contains("missing.pem"),
        "{log}"
    );
}
