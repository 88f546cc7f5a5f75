//! Where the credentials came from. aws-config has no stable "which provider
//! answered" API, so we walk the standard chain ourselves, in the SDK's order
//! (each provider says "not loaded" when it does not apply), and record it.

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use serde::{Deserialize, Serialize};

use crate::answer::error_chain;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment.
    Environment,
    /// ~/.aws/config or credentials.
    Profile,
    /// IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE.
    WebIdentity,
    /// EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI + authorization token file.
    PodIdentity,
    /// ECS or another container credentials endpoint.
    Container,
    /// The node's instance role, from IMDS.
    InstanceMetadata,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Environment => "static keys in the environment (AWS_ACCESS_KEY_ID)",
            Source::Profile => "a shared config/credentials file (profile)",
            Source::WebIdentity => "web identity (IRSA: AWS_ROLE_ARN + projected token)",
            Source::PodIdentity => "EKS Pod Identity (container credentials endpoint)",
            Source::Container => "container credentials endpoint (ECS or other)",
            Source::InstanceMetadata => "instance metadata: the node's instance role",
        }
    }
}

/// Which source the credentials must come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectSource {
    WebIdentity,
    PodIdentity,
    Any,
}

impl ExpectSource {
    pub fn accepts(self, s: Source) -> bool {
        match self {
            ExpectSource::Any => true,
            ExpectSource::WebIdentity => s == Source::WebIdentity,
            ExpectSource::PodIdentity => s == Source::PodIdentity,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExpectSource::WebIdentity => "web-identity",
            ExpectSource::PodIdentity => "pod-identity",
            ExpectSource::Any => "any",
        }
    }
}

/// One provider's answer, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub source: Source,
    pub outcome: String,
}

pub struct Walk {
    pub attempts: Vec<Attempt>,
    pub result: Result<(Source, Credentials), (Option<Source>, String)>,
}

fn container_source(env: &impl Fn(&str) -> Option<String>) -> Source {
    // EKS Pod Identity injects a full URI and an authorization token file;
    // ECS uses a relative URI.
    if env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
        && env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").is_some()
    {
        Source::PodIdentity
    } else {
        Source::Container
    }
}

/// Asks the container credentials endpoint once more, only to read its error
/// body, through the SDK's HTTP client; bounded to 2 s.
async fn container_error_body(env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let uri = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")?;
    let token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        .and_then(|f| std::fs::read_to_string(f).ok())?;
    let (_, body) = crate::aws::get(&uri, token.trim(), std::time::Duration::from_secs(2)).await?;
    let body = body.trim().to_owned();
    (!body.is_empty()).then_some(body)
}

pub async fn walk(sdk: &SdkConfig) -> Walk {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut conf = ProviderConfig::without_region().with_region(sdk.region().cloned());
    if let Some(client) = sdk.http_client() {
        conf = conf.with_http_client(client);
    }
    if let Some(t) = sdk.timeout_config() {
        conf = conf.with_timeout_config(t.clone());
    }
    if let Some(r) = sdk.retry_config() {
        conf = conf.with_retry_config(r.clone());
    }
    let chain: [(Source, SharedCredentialsProvider); 5] = [
        (
            Source::Environment,
            SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()),
        ),
        (
            Source::Profile,
            SharedCredentialsProvider::new(
                ProfileFileCredentialsProvider::builder()
                    .configure(&conf)
                    .build(),
            ),
        ),
        (
            Source::WebIdentity,
            SharedCredentialsProvider::new(
                WebIdentityTokenCredentialsProvider::builder()
                    .configure(&conf)
                    .build(),
            ),
        ),
        (
            container_source(&env),
            SharedCredentialsProvider::new(
                EcsCredentialsProvider::builder().configure(&conf).build(),
            ),
        ),
        (
            Source::InstanceMetadata,
            SharedCredentialsProvider::new(
                ImdsCredentialsProvider::builder().configure(&conf).build(),
            ),
        ),
    ];
    let mut attempts = Vec::new();
    for (source, provider) in chain {
        match provider.provide_credentials().await {
            Ok(creds) => {
                attempts.push(Attempt {
                    source,
                    outcome: "provided credentials".to_owned(),
                });
                return Walk {
                    attempts,
                    result: Ok((source, creds)),
                };
            }
            Err(e @ CredentialsError::CredentialsNotLoaded(_)) => {
                attempts.push(Attempt {
                    source,
                    outcome: format!("not used: {}", error_chain(&e)),
                });
            }
            // As in the SDK's chain, a configured source that fails ends the walk.
            Err(e) => {
                let mut msg = error_chain(&e);
                if matches!(source, Source::PodIdentity | Source::Container)
                    && msg.contains("Non-success status")
                {
                    // The SDK drops the agent's error body, which holds AWS's reason.
                    if let Some(body) = container_error_body(&env).await {
                        msg.push_str(&format!(": the endpoint answered {body}"));
                    }
                }
                attempts.push(Attempt {
                    source,
                    outcome: format!("failed: {msg}"),
                });
                return Walk {
                    attempts,
                    result: Err((Some(source), msg)),
                };
            }
        }
    }
    Walk {
        attempts,
        result: Err((
            None,
            "no source in the chain provided credentials".to_owned(),
        )),
    }
}
