//! One signed-request path for the services that have no SDK crate here.
//!
//! Built from the SDK's own parts: the request runs through the smithy
//! orchestrator (the same HTTPS client, timeouts and standard retries as the
//! SDK clients), is signed with SigV4 using the credentials the SDK's chain
//! resolved, and its error is read whatever the shape (`errors`). Why not a
//! crate per service: aws-sdk-ec2 alone would outgrow the binary budget.

pub mod endpoint;
pub mod errors;
pub mod services;

use std::fmt;
use std::time::SystemTime;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::{
    HttpStatusCodeClassifier, TransientErrorClassifier,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::ErrorMetadata;

use crate::answer::Answer;
use services::{Protocol, ServiceDef};

/// A request body in its protocol's encoding.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    /// Query protocols: the parameters, `Action` and `Version` added on send.
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
    Xml(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub service: &'static ServiceDef,
    pub operation: &'static str,
    pub method: &'static str,
    /// Path and query for REST protocols; "/" for the others.
    pub path: String,
    pub body: Body,
}

impl Request {
    /// The body's bytes and content type as they go on the wire.
    fn encode(&self) -> (Vec<u8>, Option<String>) {
        let s = self.service;
        match &self.body {
            Body::Empty => (Vec::new(), None),
            Body::Form(params) => {
                let mut out = String::new();
                let mut w = aws_smithy_query::QueryWriter::new(&mut out, self.operation, s.version);
                for (k, v) in params {
                    w.prefix(k).string(v);
                }
                w.finish();
                (
                    out.into_bytes(),
                    Some("application/x-www-form-urlencoded".to_owned()),
                )
            }
            Body::Json(v) => {
                let kind = match s.protocol {
                    Protocol::Json10 => "application/x-amz-json-1.0",
                    Protocol::Json11 => "application/x-amz-json-1.1",
                    _ => "application/json",
                };
                (v.to_string().into_bytes(), Some(kind.to_owned()))
            }
            Body::Xml(x) => (x.clone().into_bytes(), Some("application/xml".to_owned())),
        }
    }

    fn http(&self) -> Result<HttpRequest, BoxError> {
        let (body, content_type) = self.encode();
        let mut builder = http::Request::builder().method(self.method).uri(&self.path);
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        if matches!(self.service.protocol, Protocol::Json10 | Protocol::Json11) {
            builder = builder.header(
                "x-amz-target",
                format!("{}.{}", self.service.version, self.operation),
            );
        }
        let request = builder.body(SdkBody::from(body))?;
        Ok(HttpRequest::try_from(request)?)
    }
}

/// A 2xx answer. Its body may hold a secret value or a credential (a
/// misbehaving store, an ECR token), so it is never printed: Debug shows
/// only the size, and probes read from it only the fields they need.
pub struct Reply {
    pub status: u16,
    body: bytes::Bytes,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Reply {{ status: {}, body: {} bytes }}",
            self.status,
            self.body.len()
        )
    }
}

impl Reply {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
}

/// Signs each attempt after the endpoint is applied, so the signed host and
/// path are the ones sent, and a retry carries a fresh signature.
#[derive(Debug)]
struct SigV4 {
    credentials: Credentials,
    region: String,
    name: &'static str,
}

impl Intercept for SigV4 {
    fn name(&self) -> &'static str {
        "irsa-verify SigV4"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        sign_v4(
            context.request_mut(),
            &self.credentials,
            &self.region,
            self.name,
            SystemTime::now(),
        )
    }
}

/// Adds SigV4 headers to a request (signed over its method, URI, headers and
/// body) at `time`.
fn sign_v4(
    request: &mut HttpRequest,
    credentials: &Credentials,
    region: &str,
    name: &str,
    time: SystemTime,
) -> Result<(), BoxError> {
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(name)
        .time(time)
        .settings(SigningSettings::default())
        .build()?
        .into();
    let body = request.body().bytes().unwrap_or_default().to_vec();
    let signable = SignableRequest::new(
        request.method(),
        request.uri(),
        request.headers().iter(),
        SignableBody::Bytes(&body),
    )?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    let (headers, _) = instructions.into_parts();
    for h in headers {
        request.headers_mut().insert(h.name(), h.value().to_owned());
    }
    Ok(())
}

fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response.headers().get(name)
}

/// The caller's credentials and where to send: everything a request needs.
#[derive(Clone)]
pub struct Sender {
    credentials: Credentials,
    region: Option<String>,
    configured: Option<String>,
    timeouts: TimeoutConfig,
}

impl Sender {
    pub fn new(sdk: &aws_config::SdkConfig, credentials: Credentials) -> Self {
        Sender {
            credentials,
            region: sdk.region().map(|r| r.to_string()),
            configured: sdk.endpoint_url().map(str::to_owned),
            timeouts: sdk
                .timeout_config()
                .cloned()
                .unwrap_or_else(TimeoutConfig::disabled),
        }
    }

    /// Sends one request; any non-2xx answer comes back as the `Answer` the
    /// rest of the agent classifies, exactly like an SDK client's error.
    /// `region` overrides the caller's, for a resource whose ARN names another.
    pub async fn send(&self, request: &Request, region: Option<&str>) -> Result<Reply, Answer> {
        let Some(region) = region.or(self.region.as_deref()) else {
            return Err(Answer::not_sent(
                "no AWS region: set AWS_REGION (the EKS webhook sets it with the role)",
            ));
        };
        let endpoint =
            endpoint::resolve(request.service, region, self.configured.as_deref(), |k| {
                std::env::var(k).ok()
            });
        let json = request.service.protocol.is_json();
        let operation = Operation::builder()
            .service_name(request.service.iam_prefix)
            .operation_name(request.operation)
            .http_client(crate::aws::http_client())
            .endpoint_url(&endpoint.url)
            .no_auth()
            .timeout_config(self.timeouts.clone())
            .standard_retry(&RetryConfig::standard().with_max_attempts(3))
            .retry_classifier(aws_runtime::retries::classifiers::AwsErrorCodeClassifier::<
                ErrorMetadata,
            >::new())
            .retry_classifier(TransientErrorClassifier::<ErrorMetadata>::new())
            .retry_classifier(HttpStatusCodeClassifier::default())
            .sleep_impl(TokioSleep::new())
            .time_source(SystemTimeSource::new())
            .interceptor(SigV4 {
                credentials: self.credentials.clone(),
                region: endpoint.signing_region.clone(),
                name: request.service.signing_name,
            })
            .serializer(|r: Request| r.http())
            .deserializer(move |response: &HttpResponse| {
                let status = response.status().as_u16();
                let body = response.body().bytes().unwrap_or_default();
                if (200..300).contains(&status) {
                    return Ok(Reply {
                        status,
                        body: bytes::Bytes::copy_from_slice(body),
                    });
                }
                let headers = errors::Headers {
                    query_error: header(response, "x-amzn-query-error"),
                    error_type: header(response, "x-amzn-errortype"),
                };
                Err(OrchestratorError::operation(errors::parse(
                    json, headers, body,
                )))
            })
            .build();
        operation
            .invoke(request.clone())
            .await
            .map_err(|e| Answer::from_sdk(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use services::{EC2, EKS, ROUTE53, SECRETSMANAGER, SQS};

    fn request(
        service: &'static ServiceDef,
        operation: &'static str,
        method: &'static str,
        path: &str,
        body: Body,
    ) -> Request {
        Request {
            service,
            operation,
            method,
            path: path.to_owned(),
            body,
        }
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers().get(name)
    }

    #[test]
    fn each_protocol_puts_its_bytes_on_the_wire() {
        let form = request(
            &EC2,
            "DeleteVolume",
            "POST",
            "/",
            Body::Form(vec![
                ("DryRun".into(), "true".into()),
                ("VolumeId".into(), "vol-1 x".into()),
            ]),
        );
        let http = form.http().unwrap();
        assert_eq!(
            std::str::from_utf8(http.body().bytes().unwrap()).unwrap(),
            "Action=DeleteVolume&Version=2016-11-15&DryRun=true&VolumeId=vol-1%20x"
        );
        assert_eq!(
            header(&http, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(header(&http, "x-amz-target"), None);

        let json = request(
            &SECRETSMANAGER,
            "DescribeSecret",
            "POST",
            "/",
            Body::Json(serde_json::json!({"SecretId": "app"})),
        );
        let http = json.http().unwrap();
        assert_eq!(http.body().bytes().unwrap(), br#"{"SecretId":"app"}"#);
        assert_eq!(
            header(&http, "x-amz-target"),
            Some("secretsmanager.DescribeSecret")
        );
        assert_eq!(
            header(&http, "content-type"),
            Some("application/x-amz-json-1.1")
        );
        let sqs = request(
            &SQS,
            "ListQueues",
            "POST",
            "/",
            Body::Json(serde_json::json!({})),
        )
        .http()
        .unwrap();
        assert_eq!(
            (header(&sqs, "x-amz-target"), header(&sqs, "content-type")),
            (
                Some("AmazonSQS.ListQueues"),
                Some("application/x-amz-json-1.0")
            )
        );

        let rest = request(&EKS, "DescribeCluster", "GET", "/clusters/c-1", Body::Empty)
            .http()
            .unwrap();
        assert_eq!(
            (
                rest.method(),
                rest.uri(),
                rest.body().bytes().unwrap().len()
            ),
            ("GET", "/clusters/c-1", 0)
        );
        assert_eq!(header(&rest, "x-amz-target"), None, "REST routes by path");
        let xml = request(
            &ROUTE53,
            "ChangeResourceRecordSets",
            "POST",
            "/2013-04-01/hostedzone/Z/rrset/",
            Body::Xml("<x/>".into()),
        )
        .http()
        .unwrap();
        assert_eq!(header(&xml, "content-type"), Some("application/xml"));
    }

    #[test]
    fn requests_are_signed_for_the_service_and_region() {
        let mut http = request(
            &EC2,
            "DescribeVolumes",
            "POST",
            "https://ec2.eu-west-1.amazonaws.com/",
            Body::Form(vec![]),
        )
        .http()
        .unwrap();
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "secret-never-printed",
            Some("session".into()),
            None,
            "test",
        );
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        sign_v4(&mut http, &credentials, "eu-west-1", "ec2", time).unwrap();
        let auth = header(&http, "authorization").expect("signed");
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20270115/eu-west-1/ec2/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=") && auth.contains("host"),
            "{auth}"
        );
        assert!(!auth.contains("secret-never-printed"));
        assert_eq!(header(&http, "x-amz-security-token"), Some("session"));
        assert_eq!(header(&http, "x-amz-date"), Some("20270115T080000Z"));
    }

    #[test]
    fn a_reply_never_shows_its_body() {
        let reply = Reply {
            status: 200,
            body: bytes::Bytes::from_static(b"{\"SecretString\":\"hunter2\"}"),
        };
        assert_eq!(
            format!("{reply:?}"),
            "Reply { status: 200, body: 26 bytes }"
        );
    }
}
