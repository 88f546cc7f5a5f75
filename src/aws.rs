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

/// A plain GET through the same HTTP client (no signing, no retries), for
/// endpoints that are not AWS APIs (the EKS Pod Identity agent): the status
/// and at most 16 KiB of the body.
pub async fn get(url: &str, authorization: &str, timeout: Duration) -> Option<(u16, String)> {
    plain(
        "GET",
        url,
        vec![("authorization", authorization.to_owned())],
        TimeoutConfig::builder().operation_timeout(timeout).build(),
    )
    .await
    .ok()
}

/// Why a plain request got no usable answer. Kept apart because a caller may
/// read silence (nothing listening, or nothing answering in time) as "out of
/// reach", but never an answer it could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unanswered {
    /// Refused, reset or closed before an answer, or no answer within the timeouts.
    Silent(String),
    /// Something answered, but not with HTTP that could be read.
    Garbled(String),
}

/// One request through the same HTTP client (no signing, one attempt): the
/// status and at most 16 KiB of the body.
pub async fn plain(
    method: &'static str,
    url: &str,
    headers: Vec<(&'static str, String)>,
    timeouts: TimeoutConfig,
) -> Result<(u16, String), Unanswered> {
    use aws_smithy_runtime::client::orchestrator::operation::Operation;
    use aws_smithy_runtime_api::client::orchestrator::{
        HttpRequest, HttpResponse, OrchestratorError,
    };
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    let Some(split) = url.find("://").map(|i| i + 3) else {
        return Err(Unanswered::Garbled(format!("not a URL: {url}")));
    };
    let path_at = url[split..].find('/').map_or(url.len(), |i| split + i);
    let (endpoint, path) = (
        &url[..path_at],
        if path_at == url.len() {
            "/"
        } else {
            &url[path_at..]
        },
    );
    let operation = Operation::builder()
        .service_name("plain-http")
        .operation_name(method)
        .http_client(http_client())
        .endpoint_url(endpoint)
        .no_auth()
        .no_retry()
        .timeout_config(timeouts)
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .serializer(
            |(method, path, headers): (&'static str, String, Vec<(&'static str, String)>)| {
                let mut request = http::Request::builder().method(method).uri(path);
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                Ok(HttpRequest::try_from(request.body(SdkBody::empty())?)?)
            },
        )
        .deserializer(
            |response: &HttpResponse| -> Result<(u16, String), OrchestratorError<ErrorMetadata>> {
                let body = response.body().bytes().unwrap_or_default();
                let body = &body[..body.len().min(16 * 1024)];
                Ok((
                    response.status().as_u16(),
                    String::from_utf8_lossy(body).into_owned(),
                ))
            },
        )
        .build();
    match operation.invoke((method, path.to_owned(), headers)).await {
        Ok(answer) => Ok(answer),
        Err(SdkError::TimeoutError(_)) => Err(Unanswered::Silent(
            "no answer within the timeout".to_owned(),
        )),
        Err(SdkError::DispatchFailure(d)) if d.is_timeout() || d.is_io() => {
            Err(Unanswered::Silent(d.as_connector_error().map_or_else(
                || "no connection".to_owned(),
                |c| crate::answer::error_chain(c),
            )))
        }
        Err(e) => Err(Unanswered::Garbled(crate::answer::error_chain(&e))),
    }
}
