//! Token scopes and the `--scopes` flag.

use std::fmt;
use std::str::FromStr;

/// A permission a personal access token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scope {
    /// Run inference requests.
    Inference,
    /// Read project information.
    ProjectsRead,
    /// Create and modify projects.
    ProjectsWrite,
    /// View deployments and logs.
    DeploymentsRead,
    /// Trigger and manage deployments.
    DeploymentsWrite,
    /// View API keys.
    KeysRead,
    /// Create and manage API keys.
    KeysWrite,
    /// Read account information.
    AccountRead,
}

impl Scope {
    /// Every scope, in the guide's order.
    pub const ALL: [Scope; 8] = [
        Scope::Inference,
        Scope::ProjectsRead,
        Scope::ProjectsWrite,
        Scope::DeploymentsRead,
        Scope::DeploymentsWrite,
        Scope::KeysRead,
        Scope::KeysWrite,
        Scope::AccountRead,
    ];

    /// The scopes requested when `--scopes` is not given.
    pub const DEFAULT: [Scope; 4] = [Scope::Inference, Scope::ProjectsRead, Scope::DeploymentsRead, Scope::AccountRead];

    /// The scope's wire name, such as `projects.read`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Inference => "inference",
            Scope::ProjectsRead => "projects.read",
            Scope::ProjectsWrite => "projects.write",
            Scope::DeploymentsRead => "deployments.read",
            Scope::DeploymentsWrite => "deployments.write",
            Scope::KeysRead => "keys.read",
            Scope::KeysWrite => "keys.write",
            Scope::AccountRead => "account.read",
        }
    }

    /// What the scope allows, as the guide words it.
    pub const fn description(self) -> &'static str {
        match self {
            Scope::Inference => "Run inference requests",
            Scope::ProjectsRead => "Read project information",
            Scope::ProjectsWrite => "Create and modify projects",
            Scope::DeploymentsRead => "View deployments and logs",
            Scope::DeploymentsWrite => "Trigger and manage deployments",
            Scope::KeysRead => "View API keys",
            Scope::KeysWrite => "Create and manage API keys",
            Scope::AccountRead => "Read account information",
        }
    }
}

impl From<Scope> for String {
    fn from(scope: Scope) -> String {
        scope.as_str().to_owned()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name).ok_or_else(|| ScopeError::Unknown {
            name: crate::sanitize_for_display(name),
            suggestion: closest_scope(name),
        })
    }
}

/// Why a `--scopes` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// A name that is not a scope.
    #[error("unknown scope `{name}`{}. Valid scopes: {}", did_you_mean(*.suggestion), valid_list())]
    Unknown {
        /// The name as given, sanitized for display.
        name: String,
        /// The nearest valid scope, when one is close.
        suggestion: Option<Scope>,
    },
    /// The flag held only commas and spaces.
    #[error("no scopes given. Valid scopes: {}", valid_list())]
    Empty,
}

fn did_you_mean(suggestion: Option<Scope>) -> String {
    suggestion.map(|scope| format!(" (did you mean `{scope}`?)")).unwrap_or_default()
}

fn valid_list() -> String {
    Scope::ALL.map(Scope::as_str).join(", ")
}

/// Parses a `--scopes` value: comma-separated names, trimmed, duplicates dropped (first
/// occurrence kept), empty items ignored.
///
/// ```
/// use skytells_auth::skytells::{parse_scopes, Scope};
/// assert_eq!(
///     parse_scopes(" inference, projects.read,inference ").unwrap(),
///     vec![Scope::Inference, Scope::ProjectsRead],
/// );
/// let err = parse_scopes("projects.reed").unwrap_err();
/// assert!(err.to_string().contains("did you mean `projects.read`?"));
/// ```
pub fn parse_scopes(list: &str) -> Result<Vec<Scope>, ScopeError> {
    let mut scopes = Vec::new();
    for name in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
        let scope: Scope = name.parse()?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(ScopeError::Empty);
    }
    Ok(scopes)
}

/// The valid scope nearest to `name` by edit distance, if the typo is small.
fn closest_scope(name: &str) -> Option<Scope> {
    let name = name.to_ascii_lowercase();
    Scope::ALL
        .into_iter()
        .map(|scope| (edit_distance(&name, scope.as_str()), scope))
        .filter(|(distance, scope)| *distance <= scope.as_str().len() / 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, scope)| scope)
}

/// Levenshtein distance over characters; inputs here are a few dozen characters at most.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_round_trips_through_its_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
    }

    #[test]
    fn unknown_scope_lists_the_valid_ones() {
        let message = parse_scopes("inference,admin").unwrap_err().to_string();
        assert!(message.starts_with("unknown scope `admin`. Valid scopes: inference, projects.read"));
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        assert_eq!(closest_scope("deployment.write"), Some(Scope::DeploymentsWrite));
        assert_eq!(closest_scope("Inference"), Some(Scope::Inference));
        assert_eq!(closest_scope("zzz"), None);
    }

    #[test]
    fn empty_lists_are_refused() {
        assert_eq!(parse_scopes(" , ,"), Err(ScopeError::Empty));
    }
}
