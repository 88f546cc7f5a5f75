//! IAM's wildcards, one matcher for policies, trust policies and the catalogue.

/// Does a pattern hold IAM's wildcards (`*` or `?`), so that it names no
/// one thing?
pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// `*` matches any run of characters, `?` any one (IAM's wildcards).
pub fn wildcard(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| {
        if ignore_case {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let (p, v): (Vec<char>, Vec<char>) = (
        fold(pattern).chars().collect(),
        fold(value).chars().collect(),
    );
    // Iterative matching with backtracking to the last `*`.
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Do two IAM patterns share a value (`instance/i-0abc` and `instance/*`
/// do)? Case-sensitive, as resource ARNs are matched.
pub fn overlap(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // seen[i][j]: a[..i] and b[..j] can produce the same string.
    let mut seen = vec![vec![false; b.len() + 1]; a.len() + 1];
    let mut todo = vec![(0usize, 0usize)];
    while let Some((i, j)) = todo.pop() {
        if seen[i][j] {
            continue;
        }
        seen[i][j] = true;
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        let mut next = Vec::new();
        if x == Some('*') {
            next.push((i + 1, j));
            if y.is_some_and(|c| c != '*') {
                next.push((i, j + 1));
            }
        }
        if y == Some('*') {
            next.push((i, j + 1));
            if x.is_some_and(|c| c != '*') {
                next.push((i + 1, j));
            }
        }
        if let (Some(x), Some(y)) = (x, y) {
            if x != '*' && y != '*' && (x == '?' || y == '?' || x == y) {
                next.push((i + 1, j + 1));
            }
        }
        todo.extend(next);
    }
    seen[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_overlap_when_they_share_a_value() {
        assert!(overlap("instance/i-0abc", "instance/*"));
        assert!(overlap("instance/*", "instance/i-0abc"));
        assert!(overlap("a*c", "ab*"));
        assert!(overlap("secret:db-??????", "secret:db-AbCdEf"));
        assert!(!overlap("instance/i-0abc", "instance/i-0def"));
        assert!(!overlap("secret:db-??????", "secret:db-AbCdE"));
        assert!(!overlap("log-group:app", "log-group:app:*"));
        assert!(overlap("log-group:app:*", "log-group:app:log-stream:"));
        assert!(!overlap("parameter/app/*", "parameter/app"));
        assert!(overlap("*", ""));
        assert!(!overlap("a", ""));
    }
}
