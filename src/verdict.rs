//! Expectation + observation -> verdict, and the run's exit code.

use serde::{Deserialize, Serialize};

use crate::outcome::Observed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Allow,
    Deny,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allow => "allow",
            Expect::Deny => "deny",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Could not tell: never a pass.
    Error,
    Skip,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Skip => "SKIP",
        }
    }
}

pub fn judge(expect: Expect, observed: Observed) -> Status {
    match (expect, observed) {
        (Expect::Allow, Observed::Allowed) | (Expect::Deny, Observed::Denied) => Status::Pass,
        (Expect::Allow, Observed::Denied) | (Expect::Deny, Observed::Allowed) => Status::Fail,
        (_, Observed::Unknown) => Status::Error,
        (_, Observed::NotAttempted) => Status::Skip,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
}

impl Summary {
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> Self {
        let mut s = Summary::default();
        for status in statuses {
            match status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Error => s.error += 1,
                Status::Skip => s.skip += 1,
            }
        }
        s
    }

    /// 1: something is wrong; 3: nothing wrong found, but something unverified.
    pub fn exit_code(&self) -> u8 {
        if self.fail > 0 {
            exit::FAILED
        } else if self.error > 0 {
            exit::UNVERIFIED
        } else {
            exit::OK
        }
    }
}

pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const INVALID_INPUT: u8 = 2;
    pub const UNVERIFIED: u8 = 3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_table() {
        use Observed::*;
        assert_eq!(judge(Expect::Allow, Allowed), Status::Pass);
        assert_eq!(judge(Expect::Deny, Denied), Status::Pass);
        assert_eq!(judge(Expect::Allow, Denied), Status::Fail);
        assert_eq!(judge(Expect::Deny, Allowed), Status::Fail);
        assert_eq!(
            judge(Expect::Deny, Unknown),
            Status::Error,
            "could-not-tell is never a pass"
        );
        assert_eq!(judge(Expect::Allow, Unknown), Status::Error);
        assert_eq!(judge(Expect::Deny, NotAttempted), Status::Skip);
    }

    #[test]
    fn exit_codes() {
        use Status::*;
        assert_eq!(Summary::of([Pass, Skip]).exit_code(), 0);
        assert_eq!(Summary::of([Pass, Error]).exit_code(), 3);
        assert_eq!(Summary::of([Fail, Error]).exit_code(), 1);
        assert_eq!(Summary::of([]).exit_code(), 0);
    }
}
