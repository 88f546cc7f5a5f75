//! How each action is probed: `send` picks the probe for a check, and each
//! service's module holds its harmless request forms.

pub mod dynamodb;
pub mod imds;
pub mod lookup;
pub mod s3;
pub mod same_settings;
pub mod wire;

use std::collections::HashMap;

use crate::answer::{Answer, Observation};
use crate::catalogue::{Ec2Id, Found, Probe, Sdk};
use crate::check::{BucketKind, Check, ObjectKeyChoice, Place, Target};

/// Sends the probe of one check. `Check::new` only builds the pairs listed;
/// any other is reported as could-not-tell, never as a pass.
pub async fn send(ctx: &Ctx, check: &Check) -> Observation {
    if let Some(reason) = unsupported(check.target()) {
        return Observation::skipped(reason);
    }
    let probe = match &check.action().row().probe {
        Probe::Sdk(s) => *s,
        Probe::Wire(w) => return wire::send(ctx, check, w).await,
    };
    match (probe, check.target()) {
        (Sdk::ListBucket, Target::Bucket(b)) => s3::list_bucket(ctx, b).await,
        (
            read @ (Sdk::GetBucketLocation
            | Sdk::ListBucketMultipartUploads
            | Sdk::ListBucketVersions),
            Target::Bucket(b),
        ) => s3::bucket_read(ctx, b, read).await,
        (
            Sdk::GetObject,
            Target::Object {
                bucket,
                key: ObjectKeyChoice::Named(k),
            },
        ) => s3::get_object(ctx, bucket, k).await,
        (
            Sdk::GetObject,
            Target::Object {
                bucket,
                key: ObjectKeyChoice::Fresh(prefix),
            },
        ) => s3::get_fresh_object(ctx, bucket, prefix).await,
        (Sdk::PutObject, Target::Object { bucket, key }) => s3::put_object(ctx, bucket, key).await,
        (Sdk::DeleteObject, Target::Object { bucket, key }) => {
            s3::delete_object(ctx, bucket, key).await
        }
        (Sdk::DescribeTable, Target::Table(t)) => dynamodb::describe_table(ctx, t).await,
        (Sdk::ListTables, Target::Account) => dynamodb::list_tables(ctx).await,
        (Sdk::GetItem, Target::Item { table, key }) => {
            dynamodb::get_item(ctx, table, key.as_ref()).await
        }
        (Sdk::PutItem, Target::Item { table, key }) => {
            dynamodb::put_item(ctx, table, key.as_ref()).await
        }
        (Sdk::DeleteItem, Target::Item { table, key }) => {
            dynamodb::delete_item(ctx, table, key.as_ref()).await
        }
        (Sdk::DeleteTable, Target::Table(t)) => dynamodb::delete_table(ctx, t).await,
        (Sdk::ImdsUnreachable, Target::Node) => imds::unreachable().await,
        (_, target) => Observation::unknown(
            format!(
                "internal: {} has no probe for {}",
                check.action(),
                target.label()
            ),
            "not sent",
        ),
    }
}

/// Targets whose probes would not mean what they claim, and why.
pub fn unsupported(target: &Target) -> Option<String> {
    let bucket = target
        .bucket()
        .filter(|b| b.kind() == BucketKind::Directory)?;
    Some(format!(
        "not attempted: {bucket} is an S3 directory bucket (S3 Express One Zone). Its requests are authorized through \
         s3express:CreateSession, and a conditional delete of a missing key there answers 204, so these probes would not show \
         what they claim; irsa-verify does not support directory buckets yet"
    ))
}

/// Everything a probe needs: clients holding the caller's credentials.
pub struct Ctx {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Destructive forms run only when the user opted in *and* the identity
    /// is the expected one.
    pub allow_destructive: bool,
    pub tables: HashMap<String, tokio::sync::OnceCell<Result<dynamodb::TableInfo, Answer>>>,
    /// The signed-request path, with the same credentials.
    pub sender: crate::signed::Sender,
    /// The caller's partition, region and account.
    pub place: Place,
    /// Real EC2 IDs, each with its tags, looked up once per run for each
    /// type and set of tag keys listed on (none: every one).
    pub ec2_ids: std::sync::Mutex<HashMap<(Ec2Id, Vec<String>), Ec2Listing>>,
    pub zone: tokio::sync::OnceCell<Result<String, lookup::Lookup>>,
    /// The (user pool ID, app client ID) of the load balancer's first
    /// authenticate-cognito action, looked up once per run.
    pub cognito: tokio::sync::OnceCell<Result<(String, String), lookup::Lookup>>,
    /// The (cluster, node group) the first Auto Scaling group tagged by EKS
    /// names, looked up once per run.
    pub eks_groups: tokio::sync::OnceCell<Result<(String, String), lookup::Lookup>>,
    /// Real ARNs and names of the other services, looked up once per run.
    pub found: HashMap<Found, tokio::sync::OnceCell<Result<String, lookup::Lookup>>>,
    /// The load balancers, target groups and listeners listed, each with
    /// its tags (DescribeTags), looked up once per run.
    pub found_tagged:
        HashMap<Found, tokio::sync::OnceCell<Result<Vec<crate::tags::Listed>, lookup::Lookup>>>,
    /// The listings the lookups send, each sent once per run whichever
    /// lookup asks first (DescribeLoadBalancers serves the first load
    /// balancer and the tagged picks; a listener's DescribeRules its first
    /// rule and the Cognito action): the answer's text, by request.
    listings: std::sync::Mutex<HashMap<String, Listing>>,
}

/// The cell of one key in a per-run cache: the first asker fills it, and
/// every other waits for and shares that answer.
pub fn once_per_run<K: std::hash::Hash + Eq, V>(
    cells: &std::sync::Mutex<HashMap<K, std::sync::Arc<tokio::sync::OnceCell<V>>>>,
    key: K,
) -> std::sync::Arc<tokio::sync::OnceCell<V>> {
    cells
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(key)
        .or_default()
        .clone()
}

/// One listing's answer, shared by the lookups that send the same request.
type Listing = std::sync::Arc<tokio::sync::OnceCell<Result<String, Answer>>>;

/// One EC2 listing, shared by the picks that ask for the same type and keys.
pub type Ec2Listing =
    std::sync::Arc<tokio::sync::OnceCell<Result<Vec<crate::tags::Listed>, lookup::Lookup>>>;

impl Ctx {
    /// Sends through the signed path, refusing an EC2 write without DryRun:
    /// one gate, whatever a row says.
    pub async fn send(
        &self,
        request: &crate::signed::Request,
        region: Option<&str>,
    ) -> Result<crate::signed::Reply, Answer> {
        if let Some(reason) = unguarded(request) {
            return Err(Answer::not_sent(reason));
        }
        self.sender.send(request, region).await
    }

    /// A lookup's listing (a read, never a write-back's read-before): sent
    /// once per run, its text shared with every lookup sending the same
    /// request.
    pub async fn listing(&self, request: &crate::signed::Request) -> Result<String, Answer> {
        let key = format!(
            "{} {} {} {:?}",
            request.service.iam_prefix, request.operation, request.path, request.body
        );
        once_per_run(&self.listings, key)
            .get_or_init(|| async {
                self.send(request, None)
                    .await
                    .map(|reply| reply.text().to_owned())
            })
            .await
            .clone()
    }

    pub fn new(
        sdk: &aws_config::SdkConfig,
        credentials: aws_credential_types::Credentials,
        place: Place,
        allow_destructive: bool,
        checks: &[Check],
    ) -> Self {
        let tables = checks
            .iter()
            .filter_map(|c| c.target().table())
            .map(|t| (t.to_string(), tokio::sync::OnceCell::new()))
            .collect();
        Ctx {
            s3: aws_sdk_s3::Client::new(sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            allow_destructive,
            tables,
            sender: crate::signed::Sender::new(sdk, credentials),
            place,
            ec2_ids: std::sync::Mutex::default(),
            zone: tokio::sync::OnceCell::new(),
            cognito: tokio::sync::OnceCell::new(),
            eks_groups: tokio::sync::OnceCell::new(),
            found: Found::ALL
                .iter()
                .map(|k| (*k, tokio::sync::OnceCell::new()))
                .collect(),
            found_tagged: Found::TAGGABLE
                .iter()
                .map(|k| (*k, tokio::sync::OnceCell::new()))
                .collect(),
            listings: std::sync::Mutex::default(),
        }
    }
}

/// An EC2 request that is neither a read nor a DryRun: never sent.
fn unguarded(request: &crate::signed::Request) -> Option<String> {
    let read = ["Describe", "Get", "List"]
        .iter()
        .any(|p| request.operation.starts_with(p));
    let dry = matches!(&request.body, crate::signed::Body::Form(p) if p.iter().any(|(k, v)| k == "DryRun" && v == "true"));
    (request.service.iam_prefix == "ec2" && !read && !dry).then(|| {
        format!(
            "internal: refused to send ec2:{} without DryRun=true",
            request.operation
        )
    })
}

pub use crate::random::random_token;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_buckets_are_not_probed() {
        use crate::check::BucketName;
        let dir = Target::Bucket(BucketName::parse("data--usw2-az1--x-s3").unwrap());
        assert!(unsupported(&dir)
            .unwrap()
            .contains("s3express:CreateSession"));
        let obj = Target::Object {
            bucket: BucketName::parse("data--usw2-az1--x-s3").unwrap(),
            key: ObjectKeyChoice::Fresh(crate::check::KeyPrefix::default()),
        };
        assert!(unsupported(&obj).is_some());
        assert!(unsupported(&Target::Bucket(BucketName::parse("data").unwrap())).is_none());
        assert!(unsupported(&Target::Account).is_none());
    }

    #[test]
    fn ec2_writes_are_never_sent_without_dry_run() {
        use crate::signed::{services, Body, Request};
        let request = |service, operation, params: &[(&str, &str)]| Request {
            service,
            operation,
            method: "POST",
            path: "/".to_owned(),
            body: Body::Form(
                params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
        };
        let delete = request(&services::EC2, "DeleteVolume", &[("VolumeId", "vol-1")]);
        assert!(unguarded(&delete).unwrap().contains("without DryRun"));
        let dry = request(
            &services::EC2,
            "DeleteVolume",
            &[("DryRun", "true"), ("VolumeId", "vol-1")],
        );
        assert!(unguarded(&dry).is_none());
        let not_dry = request(&services::EC2, "TerminateInstances", &[("DryRun", "false")]);
        assert!(unguarded(&not_dry).is_some());
        assert!(
            unguarded(&request(&services::EC2, "DescribeVolumes", &[])).is_none(),
            "reads find real IDs"
        );
        assert!(
            unguarded(&request(&services::ELBV2, "DeleteLoadBalancer", &[])).is_none(),
            "other services' rows carry their own harmless forms"
        );
    }
}
