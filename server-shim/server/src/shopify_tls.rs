//! Where Shopify's payments app reaches the shim. Shopify authenticates its payment and refund
//! session requests with a client certificate from its own CA, not a signature, so the shim
//! serves them only on a listener of their own: one that speaks TLS and requires a client
//! certificate issued by the configured CA, or a plain one for a proxy in front that requires and
//! checks that certificate (bound where only the proxy reaches it). Never on the main listener,
//! which payers reach.

use anyhow::Context as _;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How the payments app's requests reach the shim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ShopifyPayments {
    /// They do not (no payments app).
    #[default]
    Off,
    /// On a plain HTTP listener of its own (`HOST:PORT`, loopback or a private network), which
    /// only a proxy that requires and checks Shopify's client certificate forwards to.
    BehindProxy {
        /// `HOST:PORT`.
        listen: String,
    },
    /// On a listener of the shim's own, with TLS and Shopify's client certificate required.
    Tls {
        /// `HOST:PORT`.
        listen: String,
        /// The server's certificate chain (PEM).
        cert: PathBuf,
        /// Its private key (PEM).
        key: PathBuf,
        /// The CA that issues Shopify's client certificates (PEM).
        client_ca: PathBuf,
    },
}

/// A bound listener for the payments app: mutual TLS, or plain behind a proxy.
pub struct TlsListener {
    listener: TcpListener,
    /// `None`: plain HTTP, behind a proxy that checks the client certificate.
    acceptor: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

fn certificates(path: &Path, what: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("the {what} {} is not PEM certificates", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "the {what} {} holds no certificate",
        path.display()
    );
    Ok(certs)
}

impl TlsListener {
    /// Binds `listen` with the server certificate `cert` and `key`, accepting only clients whose
    /// certificate `client_ca` issued. Every problem names the file and what is wrong.
    pub async fn bind(
        listen: &str,
        cert: &Path,
        key: &Path,
        client_ca: &Path,
    ) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = certificates(cert, "certificate (SHIM_SHOPIFY_PAYMENTS_CERT)")?;
        let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
            format!(
                "cannot read a PEM private key from {} (SHIM_SHOPIFY_PAYMENTS_KEY)",
                key.display()
            )
        })?;
        let mut roots = rustls::RootCertStore::empty();
        for ca in certificates(client_ca, "client CA (SHIM_SHOPIFY_CLIENT_CA)")? {
            roots
                .add(ca)
                .with_context(|| format!("the client CA {} is not usable", client_ca.display()))?;
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .context("the client CA cannot verify certificates")?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .context("the certificate and the key do not go together")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let listener = TcpListener::bind(listen).await.with_context(|| {
            format!("cannot listen on {listen} for Shopify's payments app: is the port free?")
        })?;
        Ok(Self {
            listener,
            acceptor: Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        })
    }

    /// Binds `listen` for plain HTTP, for a proxy in front that checks Shopify's certificate.
    pub async fn bind_plain(listen: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen).await.with_context(|| {
            format!("cannot listen on {listen} for Shopify's payments app: is the port free?")
        })?;
        Ok(Self {
            listener,
            acceptor: None,
        })
    }

    /// The URL of the listener (`https://` with TLS).
    pub fn url(&self) -> std::io::Result<String> {
        let scheme = if self.acceptor.is_some() {
            "https"
        } else {
            "http"
        };
        Ok(format!("{scheme}://{}", self.listener.local_addr()?))
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `router` to every client that shows a certificate of the CA, until dropped.
    pub async fn serve(self, router: axum::Router) {
        use hyper_util::rt::TokioTimer;
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10));
        let mut connections = tokio::task::JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let (stream, peer) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a payments app connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let acceptor = self.acceptor.clone();
            let router = router.clone();
            let http = http.clone();
            connections.spawn(async move {
                let Some(acceptor) = acceptor else {
                    serve_one(http, stream, peer, router).await;
                    return;
                };
                let stream =
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(e)) => {
                            // No certificate, or one Shopify's CA did not issue.
                            tracing::warn!(%peer, error = %e, "payments app connection refused");
                            return;
                        }
                        Err(_) => return,
                    };
                serve_one(http, stream, peer, router).await;
            });
        }
    }
}

/// Serves one connection's requests with `router`.
async fn serve_one<S>(
    http: hyper::server::conn::http1::Builder,
    stream: S,
    peer: SocketAddr,
    router: axum::Router,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use hyper_util::rt::TokioIo;
    use tower::ServiceExt as _;
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            router.clone().oneshot(request)
        });
    if let Err(e) = http.serve_connection(TokioIo::new(stream), service).await {
        tracing::debug!(error = %e, %peer, "payments app connection ended with an error");
    }
}
