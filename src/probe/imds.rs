//! Can this pod reach the node's instance role? It should not: a pod without
//! IRSA would silently use it.

use std::time::Duration;

use aws_config::imds::client::error::ImdsError;
use aws_config::provider_config::ProviderConfig;

use crate::answer::{error_chain, Answer, Observation, Observed};

const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

pub fn endpoint() -> String {
    std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or_else(|_| "http://169.254.169.254".to_owned())
}

fn result(observed: Observed, answer: Answer, note: impl Into<String>) -> Observation {
    let form = format!(
        "IMDSv2 token, then GET {CREDENTIALS_PATH} at {} (1 s timeouts, one attempt)",
        endpoint()
    );
    Observation {
        observed,
        answer,
        form,
        notes: vec![note.into()],
        unsure: None,
        probed: None,
    }
}

pub async fn unreachable() -> Observation {
    let client = aws_config::imds::Client::builder()
        .configure(&ProviderConfig::without_region().with_http_client(crate::aws::http_client()))
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(1))
        .max_attempts(1)
        .build();
    match client.get(CREDENTIALS_PATH).await {
        Ok(roles) => {
            let role = roles
                .as_ref()
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            if role.is_empty() {
                return result(
                    Observed::Denied,
                    Answer::success(200, "no role listed"),
                    "IMDS answers but lists no instance role",
                );
            }
            match client.get(format!("{CREDENTIALS_PATH}{role}")).await {
                Ok(_) => result(
                    Observed::Allowed,
                    Answer::success(200, format!("credentials of the node role {role} were handed out")),
                    format!(
                        "the node role {role} is reachable: a pod without IRSA would silently use it. Require IMDSv2 with a hop limit of 1 \
                         (aws ec2 modify-instance-metadata-options --http-tokens required --http-put-response-hop-limit 1, \
                         or the launch template's metadata options), or block 169.254.169.254/32 with a NetworkPolicy"
                    ),
                ),
                Err(e) => unknown(&e),
            }
        }
        Err(ImdsError::ErrorResponse(r))
            if matches!(r.response().status().as_u16(), 401 | 403 | 404) =>
        {
            result(
                Observed::Denied,
                Answer::ServiceError {
                    status: Some(r.response().status().as_u16()),
                    code: None,
                    message: None,
                },
                "IMDS answers but hands out no instance-role credentials",
            )
        }
        Err(e @ ImdsError::FailedToLoadToken(_)) => {
            let text = error_chain(&e);
            let dispatch = matches!(&e, ImdsError::FailedToLoadToken(t) if t.is_dispatch_failure());
            if dispatch || text.contains("timeout") || text.contains("timed out") {
                result(
                    Observed::Denied,
                    Answer::Transport { detail: text },
                    "instance metadata is out of reach from this pod (as with a hop limit of 1, or no EC2 node)",
                )
            } else {
                unknown(&e)
            }
        }
        Err(e) => unknown(&e),
    }
}

fn unknown(e: &ImdsError) -> Observation {
    result(
        Observed::Unknown,
        Answer::Transport { detail: error_chain(e) },
        "IMDS answered, but not in a way that shows whether it hands out credentials (an IMDSv1-only endpoint may still do so)",
    )
}
