//! Reporters: pure functions from a `RunReport` to bytes.

pub mod human;
pub mod json;
pub mod junit;

use crate::outcome::Observed;

pub fn observed_label(o: Observed) -> &'static str {
    match o {
        Observed::Allowed => "allowed",
        Observed::Denied => "denied",
        Observed::Unknown => "could not tell",
        Observed::NotAttempted => "not attempted",
    }
}
