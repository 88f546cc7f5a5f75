//! The SDK configuration: standard AWS settings (AWS_REGION, AWS_ENDPOINT_URL,
//! web identity, container credentials, ...) with bounded timeouts and retries.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::sync::OnceLock;

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

struct Http {
    client: SharedHttpClient,
    /// Why HTTPS cannot be verified, when no root certificate loads.
    roots_problem: Option<String>,
}

fn http() -> &'static Http {
    static HTTP: OnceLock<Http> = OnceLock::new();
    HTTP.get_or_init(|| {
        let builder = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring));
        let loaded = rustls_native_certs::load_native_certs();
        if !loaded.certs.is_empty() {
            return Http { client: builder.build_https(), roots_problem: None };
        }
        let mut problem = "no CA certificate could be loaded (SSL_CERT_FILE, SSL_CERT_DIR, or the system store such as \
             /etc/ssl/certs/ca-certificates.crt), so no HTTPS endpoint can be verified: the image must ship CA certificates"
            .to_owned();
        if let Some(e) = loaded.errors.first() {
            problem.push_str(&format!(" ({e})"));
        }
        // An explicitly empty store: handshakes fail cleanly ("UnknownIssuer").
        let client = match TlsContext::builder().with_trust_store(TrustStore::empty()).build() {
            Ok(context) => builder.tls_context(context).build_https(),
            Err(_) => builder.build_https(),
        };
        Http { client, roots_problem: Some(problem) }
    })
}

/// rustls with ring and the platform's root certificates, built once.
pub fn http_client() -> SharedHttpClient {
    http().client.clone()
}

pub fn tls_roots_problem() -> Option<&'static str> {
    http().roots_problem.as_deref()
}

pub async fn load(total: Duration) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3).min(total))
        .operation_attempt_timeout(Duration::from_secs(10).min(total))
        .operation_timeout(total)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(timeouts)
        // Standard mode retries throttling, 5xx and connection errors with backoff.
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}
