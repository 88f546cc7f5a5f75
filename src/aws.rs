//! The SDK configuration: standard AWS settings (AWS_REGION, AWS_ENDPOINT_URL,
//! web identity, container credentials, ...) with bounded timeouts and retries.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

pub async fn load(total: Duration) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3).min(total))
        .operation_attempt_timeout(Duration::from_secs(10).min(total))
        .operation_timeout(total)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        // Standard mode retries throttling, 5xx and connection errors with backoff.
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}
