//! Known identity failures, recognised by what AWS or the SDK says, mapped to
//! the likely cause and the fix.

use super::token::{Claims, STS_AUDIENCE};

/// A cause and its fix, as one line for the report.
pub fn for_error(text: &str, claims: Option<&Claims>) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let has = |s: &str| lower.contains(&s.to_ascii_lowercase());
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
    let mut hints = Vec::new();

    if has("No OpenIDConnect provider found") {
        hints.push(format!(
            "cause: this AWS account has no IAM OIDC provider for the cluster's issuer {iss}. \
             fix: create it (eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve, or \
             aws iam create-open-id-connect-provider --url {iss} --client-id-list {STS_AUDIENCE}) in the account that owns the role"
        ));
    }
    if has("Not authorized to perform sts:AssumeRoleWithWebIdentity") {
        hints.push(format!(
            "cause: the role's trust policy does not accept this pod's token (sub {sub}, aud {aud}). \
             fix: the trust policy needs Effect Allow, Action sts:AssumeRoleWithWebIdentity, Principal Federated \
             arn:aws:iam::<account>:oidc-provider/{issuer_host}, and Condition StringEquals \
             {{\"{issuer_host}:sub\": \"{sub}\", \"{issuer_host}:aud\": \"{STS_AUDIENCE}\"}}; \
             StringEquals cannot hold wildcards: for system:serviceaccount:<namespace>:* use StringLike"
        ));
    }
    if has("Incorrect token audience") {
        hints.push(format!(
            "cause: the token's aud is {aud}; STS accepts only {STS_AUDIENCE} for this provider. \
             fix: remove or correct the ServiceAccount's eks.amazonaws.com/audience annotation (or the projected volume's audience), \
             or add this audience as a client ID of the IAM OIDC provider"
        ));
    }
    if has("permission denied") && has("token") {
        hints.push(
            "cause: the projected token is not readable by the container's user. \
             fix: set the pod's securityContext.fsGroup (e.g. 65534 or the runAsUser's group) so a non-root user can read it"
                .to_owned(),
        );
    }
    if has("ExpiredToken") || has("Token is expired") || has("token expired") {
        hints.push(
            "cause: the token or the session credentials have expired. \
             fix: the kubelet rotates the projected token file; a process must re-read it rather than cache it, and the node's clock must be right (check chrony/NTP)"
                .to_owned(),
        );
    }
    if has("Credential should be scoped to a valid region")
        || (has("SignatureDoesNotMatch") && has("region"))
    {
        hints.push(
            "cause: the request was signed for one region and sent to another region's STS endpoint. \
             fix: set AWS_REGION to the cluster's region and use regional STS (AWS_STS_REGIONAL_ENDPOINTS=regional, the default in current SDKs)"
                .to_owned(),
        );
    }
    if has("RequestTimeTooSkewed") || has("Signature expired") || has("clock skew") {
        hints.push(
            "cause: the node's clock is more than 5 minutes off; AWS rejects the signatures. fix: synchronise the node's clock (chrony, Amazon Time Sync)"
                .to_owned(),
        );
    }
    if has("EKS does not have permissions to assume the associated role") {
        hints.push(
            "cause: the role's trust policy does not let EKS Pod Identity assume it. \
             fix: trust Principal {\"Service\": \"pods.eks.amazonaws.com\"} with Action [\"sts:AssumeRole\", \"sts:TagSession\"]"
                .to_owned(),
        );
    }
    if has("169.254.170.23") && (has("not allowed") || has("invalid") || has("loopback")) {
        hints.push(
            "cause: the SDK predates EKS Pod Identity and rejects its agent address 169.254.170.23. \
             fix: upgrade the application's AWS SDK to a version that supports EKS Pod Identity"
                .to_owned(),
        );
    }
    if has("InvalidClientTokenId") {
        hints.push(
            "cause: AWS does not recognise these credentials here: another account or partition, a deleted user or role, \
             or an opt-in region that is not enabled. fix: check which credentials the pod really has (the source above) and the region"
                .to_owned(),
        );
    }
    hints
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
    fn every_known_failure_has_a_cause_and_fix() {
        let cases = [
            ("InvalidIdentityToken: No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "create-open-id-connect-provider --url https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
            ("AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", "\"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub\": \"system:serviceaccount:demo:app\""),
            ("InvalidIdentityToken: Incorrect token audience", "eks.amazonaws.com/audience"),
            ("failed to read token file: Permission denied (os error 13)", "fsGroup"),
            ("ExpiredTokenException: Token expired: current date/time 1 must be before the expiration date/time 0", "re-read"),
            ("SignatureDoesNotMatch: Credential should be scoped to a valid region.", "AWS_REGION"),
            ("RequestTimeTooSkewed: The difference between the request time and the current time is too large.", "clock"),
            ("AccessDeniedException: EKS does not have permissions to assume the associated role.", "pods.eks.amazonaws.com"),
            ("Invalid Full URI: 169.254.170.23 is not a loopback address or an allowed host", "upgrade"),
            ("InvalidClientTokenId: The security token included in the request is invalid.", "partition"),
        ];
        for (text, fix) in cases {
            let hints = for_error(text, Some(&claims()));
            assert_eq!(hints.len(), 1, "{text}: {hints:?}");
            assert!(
                hints[0].starts_with("cause: ") && hints[0].contains("fix: "),
                "{hints:?}"
            );
            assert!(hints[0].contains(fix), "{text}: {}", hints[0]);
        }
        assert!(for_error("something else entirely", None).is_empty());
    }

    #[test]
    fn trust_policy_hint_says_stringlike_for_wildcards() {
        let h = for_error(
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            Some(&claims()),
        );
        assert!(h[0].contains("StringLike"));
    }
}
