//! ARNs, role references and ServiceAccounts: parsed once into types.

use std::fmt;

use serde::Serialize;

/// The parts of an ARN this tool reads.
#[derive(Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?;
        let service = parts.next()?;
        let _region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next()?;
        Some(Arn {
            partition,
            service,
            account,
            resource,
        })
    }

    /// The role behind a caller ARN: assumed-role/ROLE/SESSION or role/PATH/ROLE.
    pub fn role_name(&self) -> Option<&'a str> {
        match self.service {
            "sts" => self
                .resource
                .strip_prefix("assumed-role/")?
                .split('/')
                .next(),
            "iam" => self.resource.strip_prefix("role/")?.rsplit('/').next(),
            _ => None,
        }
    }

    pub fn session_name(&self) -> Option<&'a str> {
        (self.service == "sts").then(|| {
            self.resource
                .strip_prefix("assumed-role/")?
                .split('/')
                .nth(1)
        })?
    }
}

/// A role reference or ServiceAccount that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("`{0}` is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")]
    RoleArn(String),
    #[error("`{0}` is neither a role ARN nor a role name")]
    Role(String),
    #[error("`{0}` is not NAMESPACE:SERVICEACCOUNT (lowercase names)")]
    ServiceAccount(String),
}

/// The caller is the expected role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub role: String,
    pub account: String,
}

impl fmt::Display for Matched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "caller is role {} in account {}",
            self.role, self.account
        )
    }
}

/// Why the caller is not the expected role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("the caller ARN `{0}` cannot be read")]
    Unreadable(String),
    #[error("the caller is not a role session but `{resource}`; expected role {expected}")]
    NotRole { resource: String, expected: String },
    /// What differs, and the session name when it is an EC2 instance id.
    #[error("wrong identity: {}{}", problems.join("; "), instance.as_ref().map(|i| format!(
        ". The session `{i}` is an EC2 instance id: the pod is using the node's instance role, so IRSA was not applied to it"
    )).unwrap_or_default())]
    Wrong {
        problems: Vec<String>,
        instance: Option<String>,
    },
}

/// The role the caller must be: an IAM role ARN or a bare role name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRef {
    pub raw: String,
    pub partition: Option<String>,
    pub account: Option<String>,
    pub name: String,
}

impl RoleRef {
    pub fn parse(raw: &str) -> Result<Self, RefError> {
        let raw = raw.trim();
        if let Some(arn) = Arn::parse(raw) {
            let name = match (arn.service, arn.resource.strip_prefix("role/")) {
                ("iam", Some(path_and_name)) => path_and_name.rsplit('/').next().unwrap_or(""),
                _ => "",
            };
            if name.is_empty() || arn.account.is_empty() {
                return Err(RefError::RoleArn(raw.to_owned()));
            }
            return Ok(RoleRef {
                raw: raw.to_owned(),
                partition: Some(arn.partition.to_owned()),
                account: Some(arn.account.to_owned()),
                name: name.to_owned(),
            });
        }
        let valid = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(valid) {
            return Err(RefError::Role(raw.to_owned()));
        }
        Ok(RoleRef {
            raw: raw.to_owned(),
            partition: None,
            account: None,
            name: raw.to_owned(),
        })
    }

    /// Compares account and role name (an assumed-role ARN drops the role's
    /// path, so a raw string comparison would be wrong).
    pub fn matches(&self, caller_arn: &str) -> Result<Matched, Mismatch> {
        let Some(caller) = Arn::parse(caller_arn) else {
            return Err(Mismatch::Unreadable(caller_arn.to_owned()));
        };
        let Some(role) = caller.role_name() else {
            return Err(Mismatch::NotRole {
                resource: caller.resource.to_owned(),
                expected: self.name.clone(),
            });
        };
        let mut problems = Vec::new();
        // IAM role names are case-insensitive.
        if !role.eq_ignore_ascii_case(&self.name) {
            problems.push(format!("role `{role}` is not the expected `{}`", self.name));
        }
        if let Some(account) = self.account.as_deref().filter(|a| *a != caller.account) {
            problems.push(format!(
                "account {} is not the expected {account}",
                caller.account
            ));
        }
        if let Some(partition) = self.partition.as_deref().filter(|p| *p != caller.partition) {
            problems.push(format!(
                "partition {} is not the expected {partition}",
                caller.partition
            ));
        }
        if problems.is_empty() {
            return Ok(Matched {
                role: role.to_owned(),
                account: caller.account.to_owned(),
            });
        }
        Err(Mismatch::Wrong {
            problems,
            instance: caller
                .session_name()
                .filter(|s| s.starts_with("i-"))
                .map(str::to_owned),
        })
    }
}

impl fmt::Display for RoleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A Kubernetes ServiceAccount, given as NAMESPACE:NAME.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
}

impl ServiceAccount {
    pub fn parse(s: &str) -> Result<Self, RefError> {
        let dns = |p: &str| {
            !p.is_empty()
                && p.len() <= 253
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        };
        match s.split_once(':') {
            Some((ns, sa)) if dns(ns) && dns(sa) => Ok(ServiceAccount {
                namespace: ns.to_owned(),
                name: sa.to_owned(),
            }),
            _ => Err(RefError::ServiceAccount(s.to_owned())),
        }
    }

    /// The `sub` claim of this ServiceAccount's projected token.
    pub fn subject(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

impl fmt::Display for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.namespace, self.name)
    }
}

impl From<ServiceAccount> for String {
    fn from(sa: ServiceAccount) -> String {
        sa.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_from_arn_or_name() {
        let r = RoleRef::parse("arn:aws:iam::111122223333:role/eks/team/my-app").unwrap();
        assert_eq!(
            (r.account.as_deref(), r.name.as_str()),
            (Some("111122223333"), "my-app")
        );
        assert_eq!(RoleRef::parse("my-app").unwrap().account, None);
        assert!(RoleRef::parse("arn:aws:iam::111122223333:user/bob").is_err());
        assert!(RoleRef::parse("has space").is_err());
        assert!(RoleRef::parse("").is_err());
    }

    #[test]
    fn assumed_role_matches_role_with_path() {
        let expected = RoleRef::parse("arn:aws:iam::111122223333:role/eks/my-app").unwrap();
        let caller = "arn:aws:sts::111122223333:assumed-role/my-app/botocore-session-1";
        assert!(expected.matches(caller).is_ok());
        assert!(
            RoleRef::parse("MY-APP").unwrap().matches(caller).is_ok(),
            "role names are case-insensitive"
        );
    }

    #[test]
    fn wrong_account_role_or_principal_kind_fails() {
        let expected = RoleRef::parse("arn:aws:iam::111122223333:role/my-app").unwrap();
        let e = expected
            .matches("arn:aws:sts::999999999999:assumed-role/my-app/s")
            .unwrap_err()
            .to_string();
        assert!(e.contains("account 999999999999"), "{e}");
        let e = expected
            .matches("arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc123")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("role `eks-node-role`") && e.contains("node's instance role"),
            "{e}"
        );
        let e = expected
            .matches("arn:aws:iam::111122223333:user/ci")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a role session"), "{e}");
        assert!(expected
            .matches("arn:aws-cn:sts::111122223333:assumed-role/my-app/s")
            .is_err());
    }

    #[test]
    fn service_accounts() {
        let sa = ServiceAccount::parse("demo:app").unwrap();
        assert_eq!(sa.subject(), "system:serviceaccount:demo:app");
        assert_eq!(sa.to_string(), "demo:app");
        for bad in ["demo", "Demo:app", ":app", "demo:"] {
            assert!(ServiceAccount::parse(bad).is_err(), "{bad}");
        }
    }
}
