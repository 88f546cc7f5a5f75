//! Known identity failures: recognised once, from what AWS or the SDK says,
//! into a typed cause; each cause explains itself with the fix.

use serde::Serialize;

use super::token::{Claims, STS_AUDIENCE};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    NoOidcProvider,
    TrustPolicyRefusesToken,
    IncorrectAudience,
    TokenUnreadable,
    Expired,
    WrongRegionSignature,
    ClockSkew,
    PodIdentityTrust,
    SdkTooOldForPodIdentity,
    UnknownCredentials,
}

impl Cause {
    /// The causes AWS's (or the SDK's) error text names. This is the one place
    /// that reads message text; everything after works on `Cause`.
    pub fn recognise(text: &str) -> Vec<Cause> {
        let lower = text.to_ascii_lowercase();
        let has = |s: &str| lower.contains(&s.to_ascii_lowercase());
        let rules: [(Cause, bool); 10] = [
            (
                Cause::NoOidcProvider,
                has("No OpenIDConnect provider found"),
            ),
            (
                Cause::TrustPolicyRefusesToken,
                has("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
            ),
            (Cause::IncorrectAudience, has("Incorrect token audience")),
            (
                Cause::TokenUnreadable,
                has("permission denied") && has("token"),
            ),
            (
                Cause::Expired,
                has("ExpiredToken") || has("Token is expired") || has("token expired"),
            ),
            (
                Cause::WrongRegionSignature,
                has("Credential should be scoped to a valid region")
                    || (has("SignatureDoesNotMatch") && has("region")),
            ),
            (
                Cause::ClockSkew,
                has("RequestTimeTooSkewed") || has("Signature expired") || has("clock skew"),
            ),
            (
                Cause::PodIdentityTrust,
                has("EKS does not have permissions to assume the associated role"),
            ),
            (
                Cause::SdkTooOldForPodIdentity,
                has("169.254.170.23") && (has("not allowed") || has("invalid") || has("loopback")),
            ),
            (Cause::UnknownCredentials, has("InvalidClientTokenId")),
        ];
        rules
            .into_iter()
            .filter(|(_, hit)| *hit)
            .map(|(c, _)| c)
            .collect()
    }

    /// "cause: ... fix: ...", with the token's own values where they help.
    pub fn explain(self, claims: Option<&Claims>) -> String {
        let iss = claims
            .and_then(|c| c.iss.as_deref())
            .unwrap_or("<the cluster's OIDC issuer URL>");
        let issuer_host = iss.trim_start_matches("https://");
        let sub = claims
            .and_then(|c| c.sub.as_deref())
            .unwrap_or("system:serviceaccount:<namespace>:<serviceaccount>");
        let aud = claims
            .map(|c| c.aud.join(","))
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "(none)".to_owned());
        match self {
            Cause::NoOidcProvider => format!(
                "cause: this AWS account has no IAM OIDC provider for the cluster's issuer {iss}. \
                 fix: create it (eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve, or \
                 aws iam create-open-id-connect-provider --url {iss} --client-id-list {STS_AUDIENCE}) in the account that owns the role"
            ),
            Cause::TrustPolicyRefusesToken => format!(
                "cause: the role's trust policy does not accept this pod's token (sub {sub}, aud {aud}). \
                 fix: the trust policy needs Effect Allow, Action sts:AssumeRoleWithWebIdentity, Principal Federated \
                 arn:aws:iam::<account>:oidc-provider/{issuer_host}, and Condition StringEquals \
                 {{\"{issuer_host}:sub\": \"{sub}\", \"{issuer_host}:aud\": \"{STS_AUDIENCE}\"}}; \
                 StringEquals cannot hold wildcards: for system:serviceaccount:<namespace>:* use StringLike"
            ),
            Cause::IncorrectAudience => format!(
                "cause: the token's aud is {aud}; STS accepts only {STS_AUDIENCE} for this provider. \
                 fix: remove or correct the ServiceAccount's eks.amazonaws.com/audience annotation (or the projected volume's audience), \
                 or add this audience as a client ID of the IAM OIDC provider"
            ),
            Cause::TokenUnreadable => "cause: the projected token is not readable by the container's user. \
                 fix: set the pod's securityContext.fsGroup (e.g. 65534 or the runAsUser's group) so a non-root user can read it"
                .to_owned(),
            Cause::Expired => "cause: the token or the session credentials have expired. \
                 fix: the kubelet rotates the projected token file; a process must re-read it rather than cache it, and the node's clock must be right (check chrony/NTP)"
                .to_owned(),
            Cause::WrongRegionSignature => "cause: the request was signed for one region and sent to another region's STS endpoint. \
                 fix: set AWS_REGION to the cluster's region and use regional STS (AWS_STS_REGIONAL_ENDPOINTS=regional, the default in current SDKs)"
                .to_owned(),
            Cause::ClockSkew => "cause: the node's clock is more than 5 minutes off; AWS rejects the signatures. \
                 fix: synchronise the node's clock (chrony, Amazon Time Sync)"
                .to_owned(),
            Cause::PodIdentityTrust => "cause: the role's trust policy does not let EKS Pod Identity assume it. \
                 fix: trust Principal {\"Service\": \"pods.eks.amazonaws.com\"} with Action [\"sts:AssumeRole\", \"sts:TagSession\"]"
                .to_owned(),
            Cause::SdkTooOldForPodIdentity => "cause: the SDK predates EKS Pod Identity and rejects its agent address 169.254.170.23. \
                 fix: upgrade the application's AWS SDK to a version that supports EKS Pod Identity"
                .to_owned(),
            Cause::UnknownCredentials => "cause: AWS does not recognise these credentials here: another account or partition, a deleted user or role, \
                 or an opt-in region that is not enabled. fix: check which credentials the pod really has (the source above) and the region"
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            iss: Some("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC".into()),
            sub: Some("system:serviceaccount:demo:app".into()),
            aud: vec!["sts.amazonaws.com".into()],
            ..Claims::default()
        }
    }

    #[test]
    fn every_known_failure_is_recognised_and_explained_with_a_fix() {
        let cases = [
            ("InvalidIdentityToken: No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", Cause::NoOidcProvider, "create-open-id-connect-provider --url https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
            ("AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", Cause::TrustPolicyRefusesToken, "\"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub\": \"system:serviceaccount:demo:app\""),
            ("InvalidIdentityToken: Incorrect token audience", Cause::IncorrectAudience, "eks.amazonaws.com/audience"),
            ("failed to read token file: Permission denied (os error 13)", Cause::TokenUnreadable, "fsGroup"),
            ("ExpiredTokenException: Token expired: current date/time 1 must be before the expiration date/time 0", Cause::Expired, "re-read"),
            ("SignatureDoesNotMatch: Credential should be scoped to a valid region.", Cause::WrongRegionSignature, "AWS_REGION"),
            ("RequestTimeTooSkewed: The difference between the request time and the current time is too large.", Cause::ClockSkew, "clock"),
            ("AccessDeniedException: EKS does not have permissions to assume the associated role.", Cause::PodIdentityTrust, "pods.eks.amazonaws.com"),
            ("Invalid Full URI: 169.254.170.23 is not a loopback address or an allowed host", Cause::SdkTooOldForPodIdentity, "upgrade"),
            ("InvalidClientTokenId: The security token included in the request is invalid.", Cause::UnknownCredentials, "partition"),
        ];
        for (text, cause, fix) in cases {
            assert_eq!(Cause::recognise(text), [cause], "{text}");
            let hint = cause.explain(Some(&claims()));
            assert!(
                hint.starts_with("cause: ") && hint.contains("fix: "),
                "{hint}"
            );
            assert!(hint.contains(fix), "{text}: {hint}");
        }
        assert!(Cause::recognise("something else entirely").is_empty());
    }

    #[test]
    fn trust_policy_hint_says_stringlike_for_wildcards() {
        assert!(Cause::TrustPolicyRefusesToken
            .explain(Some(&claims()))
            .contains("StringLike"));
    }
}
