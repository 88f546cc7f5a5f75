//! The SDK configuration: standard AWS settings (AWS_REGION, AWS_ENDPOINT_URL,
//! web identity, container credentials, ...) with bounded timeouts and retries.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::sync::OnceLock;

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;

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
            return Http { client: tagged(builder.build_https()), roots_problem: None };
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
        Http { client: tagged(client), roots_problem: Some(problem) }
    })
}

/// The part of every request's User-Agent that names this tool and its
/// version. CloudTrail records the header as `userAgent`, so an alarm's
/// metric filter can leave the probes' deliberate denials out (README).
pub const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// The client with `USER_AGENT` on every request it sends. Added at the
/// connector, the last step before the wire, so that SDK clients, the signed
/// path, the credential providers' own calls (AssumeRoleWithWebIdentity,
/// IMDS, the container endpoint) and plain requests all carry it, whatever
/// built them. SigV4 never signs User-Agent, so no signature changes.
fn tagged(client: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Tagged(client))
}

#[derive(Debug)]
struct Tagged(SharedHttpClient);

impl HttpClient for Tagged {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(TaggedConnector(self.0.http_connector(settings, components)))
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[derive(Debug)]
struct TaggedConnector(SharedHttpConnector);

impl HttpConnector for TaggedConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        tag(&mut request);
        self.0.call(request)
    }
}

/// Appends `USER_AGENT` to the request's User-Agent (the SDK's own stays in
/// front), or makes it the whole header when there is none.
fn tag(request: &mut HttpRequest) {
    let value = match request.headers().get("user-agent") {
        Some(ua) if ua.split(' ').any(|part| part == USER_AGENT) => return,
        Some(ua) => format!("{ua} {USER_AGENT}"),
        None => USER_AGENT.to_owned(),
    };
    request.headers_mut().insert("user-agent", value);
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn request(user_agent: Option<&str>) -> HttpRequest {
        let mut r = http::Request::builder().uri("https://sts.amazonaws.com/");
        if let Some(ua) = user_agent {
            r = r.header("user-agent", ua);
        }
        HttpRequest::try_from(r.body(SdkBody::empty()).unwrap()).unwrap()
    }

    #[test]
    fn every_request_names_the_tool_once() {
        assert_eq!(
            USER_AGENT,
            format!("irsa-verify/{}", env!("CARGO_PKG_VERSION"))
        );
        let mut bare = request(None);
        tag(&mut bare);
        assert_eq!(bare.headers().get("user-agent"), Some(USER_AGENT));
        let mut sdk = request(Some("aws-sdk-rust/1.3.9 os/linux lang/rust/1.94.0"));
        tag(&mut sdk);
        let expected = format!("aws-sdk-rust/1.3.9 os/linux lang/rust/1.94.0 {USER_AGENT}");
        assert_eq!(sdk.headers().get("user-agent"), Some(expected.as_str()));
        tag(&mut sdk);
        assert_eq!(
            sdk.headers().get("user-agent"),
            Some(expected.as_str()),
            "a retry is not tagged twice"
        );
    }
}
