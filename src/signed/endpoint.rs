//! Where a request goes and which region signs it, as the SDKs decide:
//! `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the service's
//! endpoint in the region's partition. Pure: the environment is passed in.

use super::services::ServiceDef;

/// The partition a region belongs to: its DNS suffix and the home region
/// that signs requests to the partition's global endpoints.
fn partition(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("amazonaws.com.cn", "cn-northwest-1")
    } else if region.starts_with("us-gov-") {
        ("amazonaws.com", "us-gov-west-1")
    } else {
        ("amazonaws.com", "us-east-1")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub signing_region: String,
}

/// `env` reads one environment variable; `configured` is the SDK's own
/// `AWS_ENDPOINT_URL` (already empty when configured URLs are ignored).
pub fn resolve(
    service: &ServiceDef,
    region: &str,
    configured: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Endpoint {
    let (suffix, home) = partition(region);
    // Shield's API lives in us-east-1 only; the Price List Service's in
    // us-east-1 and ap-south-1 ("AWS Price List Service API provides the
    // following two endpoints: https://api.pricing.us-east-1.amazonaws.com,
    // https://api.pricing.ap-south-1.amazonaws.com", its API reference).
    let region = match service.iam_prefix {
        "pricing" if region == "ap-south-1" => region,
        "shield" | "pricing" if home == "us-east-1" => home,
        _ => region,
    };
    let signing_region = if service.global { home } else { region }.to_owned();
    let ignore =
        env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let specific =
        env(&format!("AWS_ENDPOINT_URL_{}", service.env_id)).filter(|u| !ignore && !u.is_empty());
    if let Some(url) = specific.or_else(|| configured.map(str::to_owned)) {
        return Endpoint {
            url: url.trim_end_matches('/').to_owned(),
            signing_region,
        };
    }
    let host = match (service.global, home) {
        (true, "us-east-1") => format!("{}.{suffix}", service.endpoint_prefix),
        (true, "us-gov-west-1") => format!("{}.us-gov.{suffix}", service.endpoint_prefix),
        _ => format!("{}.{signing_region}.{suffix}", service.endpoint_prefix),
    };
    Endpoint {
        url: format!("https://{host}"),
        signing_region,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed::services::{EC2, ECR, IAM, ROUTE53};

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn regional_global_and_partition_endpoints() {
        let e = resolve(&EC2, "eu-west-1", None, none);
        assert_eq!(e.url, "https://ec2.eu-west-1.amazonaws.com");
        assert_eq!(e.signing_region, "eu-west-1");
        assert_eq!(
            resolve(&ECR, "eu-west-1", None, none).url,
            "https://api.ecr.eu-west-1.amazonaws.com"
        );
        let r = resolve(&ROUTE53, "eu-west-1", None, none);
        assert_eq!(
            (r.url.as_str(), r.signing_region.as_str()),
            ("https://route53.amazonaws.com", "us-east-1")
        );
        let cn = resolve(&EC2, "cn-north-1", None, none);
        assert_eq!(cn.url, "https://ec2.cn-north-1.amazonaws.com.cn");
        let iam_cn = resolve(&IAM, "cn-north-1", None, none);
        assert_eq!(
            (iam_cn.url.as_str(), iam_cn.signing_region.as_str()),
            (
                "https://iam.cn-northwest-1.amazonaws.com.cn",
                "cn-northwest-1"
            )
        );
        assert_eq!(
            resolve(&IAM, "us-gov-east-1", None, none).url,
            "https://iam.us-gov.amazonaws.com"
        );
    }

    /// The Price List Service answers in us-east-1 and ap-south-1 only.
    #[test]
    fn the_price_list_service_is_reached_where_it_is() {
        use crate::signed::services::PRICING;
        let e = resolve(&PRICING, "eu-west-1", None, none);
        assert_eq!(
            (e.url.as_str(), e.signing_region.as_str()),
            ("https://api.pricing.us-east-1.amazonaws.com", "us-east-1")
        );
        assert_eq!(
            resolve(&PRICING, "ap-south-1", None, none).url,
            "https://api.pricing.ap-south-1.amazonaws.com"
        );
        // Behind a custom endpoint, still signed for where it is.
        assert_eq!(
            resolve(&PRICING, "eu-west-1", Some("http://x"), none).signing_region,
            "us-east-1"
        );
    }

    #[test]
    fn the_service_variable_beats_the_general_one_unless_ignored() {
        let env = |k: &str| (k == "AWS_ENDPOINT_URL_EC2").then(|| "http://127.0.0.1:9/".to_owned());
        assert_eq!(
            resolve(&EC2, "eu-west-1", Some("http://general"), env).url,
            "http://127.0.0.1:9"
        );
        assert_eq!(
            resolve(&ECR, "eu-west-1", Some("http://general"), env).url,
            "http://general"
        );
        let ignoring = |k: &str| match k {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_owned()),
            _ => env(k),
        };
        assert_eq!(
            resolve(&EC2, "eu-west-1", None, ignoring).url,
            "https://ec2.eu-west-1.amazonaws.com"
        );
        // Global services keep their signing region behind a custom endpoint.
        assert_eq!(
            resolve(&ROUTE53, "eu-west-1", Some("http://x"), none).signing_region,
            "us-east-1"
        );
    }
}
