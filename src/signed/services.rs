//! The services reached through the signed-request path: how each is named,
//! signed, addressed and spoken to.

/// The wire protocol of a service's API (botocore's `metadata.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// EC2's own query dialect: form body, `<Response><Errors><Error>` errors.
    Ec2Query,
    /// awsQuery: form body, `<ErrorResponse><Error>` errors.
    Query,
    /// awsJson 1.0 / 1.1: `X-Amz-Target`, JSON body, `__type` errors.
    Json10,
    Json11,
    /// restJson1: path-routed, JSON errors named by `x-amzn-ErrorType`.
    RestJson,
    /// restXml: path-routed, `<ErrorResponse><Error>` errors.
    RestXml,
}

impl Protocol {
    /// The protocol's Smithy name (`--list-probes --format json`): one name
    /// per wire format, where botocore's `json` leaves 1.0 and 1.1 apart.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Ec2Query => "ec2Query",
            Protocol::Query => "awsQuery",
            Protocol::Json10 => "awsJson1_0",
            Protocol::Json11 => "awsJson1_1",
            Protocol::RestJson => "restJson1",
            Protocol::RestXml => "restXml",
        }
    }

    pub fn is_json(self) -> bool {
        matches!(
            self,
            Protocol::Json10 | Protocol::Json11 | Protocol::RestJson
        )
    }
}

/// One API as the SDKs define it.
#[derive(Debug, PartialEq, Eq)]
pub struct ServiceDef {
    /// The IAM action prefix: `ec2`, `elasticloadbalancing`.
    pub iam_prefix: &'static str,
    /// SigV4 signing name.
    pub signing_name: &'static str,
    /// The first label of the regional endpoint host.
    pub endpoint_prefix: &'static str,
    /// The SDKs' service id, as in `AWS_ENDPOINT_URL_<ID>`.
    pub env_id: &'static str,
    pub protocol: Protocol,
    /// API version (query protocols) or the `X-Amz-Target` prefix (JSON).
    pub version: &'static str,
    /// One endpoint for the whole partition (IAM, Route 53), signed for the
    /// partition's home region.
    pub global: bool,
}

macro_rules! service {
    ($name:ident, $iam:literal, $sign:literal, $host:literal, $env:literal, $proto:ident, $version:literal, $global:literal) => {
        pub const $name: ServiceDef = ServiceDef {
            iam_prefix: $iam,
            signing_name: $sign,
            endpoint_prefix: $host,
            env_id: $env,
            protocol: Protocol::$proto,
            version: $version,
            global: $global,
        };
    };
}

// Names, versions and target prefixes from botocore's service models.
#[rustfmt::skip]
mod defs {
    use super::*;
    service!(EC2,            "ec2",                  "ec2",                  "ec2",                  "EC2",                       Ec2Query, "2016-11-15", false);
    service!(ELBV2,          "elasticloadbalancing", "elasticloadbalancing", "elasticloadbalancing", "ELASTIC_LOAD_BALANCING_V2", Query,    "2015-12-01", false);
    service!(AUTOSCALING,    "autoscaling",          "autoscaling",          "autoscaling",          "AUTO_SCALING",              Query,    "2011-01-01", false);
    service!(WAFV2,          "wafv2",                "wafv2",                "wafv2",                "WAFV2",                     Json11,   "AWSWAF_20190729", false);
    service!(SHIELD,         "shield",               "shield",               "shield",               "SHIELD",                    Json11,   "AWSShield_20160616", false);
    service!(IAM,            "iam",                  "iam",                  "iam",                  "IAM",                       Query,    "2010-05-08", true);
    service!(KMS,            "kms",                  "kms",                  "kms",                  "KMS",                       Json11,   "TrentService", false);
    service!(SECRETSMANAGER, "secretsmanager",       "secretsmanager",       "secretsmanager",       "SECRETS_MANAGER",           Json11,   "secretsmanager", false);
    service!(SSM,            "ssm",                  "ssm",                  "ssm",                  "SSM",                       Json11,   "AmazonSSM", false);
    service!(LOGS,           "logs",                 "logs",                 "logs",                 "CLOUDWATCH_LOGS",           Json11,   "Logs_20140328", false);
    service!(ECR,            "ecr",                  "ecr",                  "api.ecr",              "ECR",                       Json11,   "AmazonEC2ContainerRegistry_V20150921", false);
    service!(ACM,            "acm",                  "acm",                  "acm",                  "ACM",                       Json11,   "CertificateManager", false);
    service!(SQS,            "sqs",                  "sqs",                  "sqs",                  "SQS",                       Json10,   "AmazonSQS", false);
    service!(SNS,            "sns",                  "sns",                  "sns",                  "SNS",                       Query,    "2010-03-31", false);
    service!(EKS,            "eks",                  "eks",                  "eks",                  "EKS",                       RestJson, "", false);
    service!(ROUTE53,        "route53",              "route53",              "route53",              "ROUTE_53",                  RestXml,  "", true);
    service!(XRAY,           "xray",                 "xray",                 "xray",                 "XRAY",                      RestJson, "", false);
    service!(EFS,            "elasticfilesystem",    "elasticfilesystem",    "elasticfilesystem",    "EFS",                       RestJson, "", false);
    service!(STS,            "sts",                  "sts",                  "sts",                  "STS",                       Query,    "2011-06-15", false);
    service!(COGNITO_IDP,    "cognito-idp",          "cognito-idp",          "cognito-idp",          "COGNITO_IDENTITY_PROVIDER", Json11,   "AWSCognitoIdentityProviderService", false);
    service!(PRICING,        "pricing",              "pricing",              "api.pricing",          "PRICING",                   Json11,   "AWSPriceListService", false);
}
pub use defs::*;
