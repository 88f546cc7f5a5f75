//! The top-level modules of src/ import one another without a cycle.
//! `cargo test --test module_graph -- --nocapture` prints the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules its files name as `crate::X`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in files() {
        let module = module_of(&file).first().cloned().unwrap_or_default();
        if module.is_empty() {
            continue;
        }
        let deps = graph.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                deps.insert(name);
            }
        }
    }
    graph
}

/// Modules in layers: each layer imports only layers below it.
fn layers(graph: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<Vec<String>>, String> {
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut layers = Vec::new();
    while placed.len() < graph.len() {
        let layer: Vec<String> = graph
            .iter()
            .filter(|(m, deps)| !placed.contains(*m) && deps.iter().all(|d| placed.contains(d)))
            .map(|(m, _)| m.clone())
            .collect();
        if layer.is_empty() {
            let stuck: Vec<String> = graph
                .iter()
                .filter(|(m, _)| !placed.contains(*m))
                .map(|(m, deps)| {
                    let open: Vec<&String> = deps.iter().filter(|d| !placed.contains(*d)).collect();
                    format!("{m} -> {open:?}")
                })
                .collect();
            return Err(format!("import cycle among: {}", stuck.join("; ")));
        }
        placed.extend(layer.iter().cloned());
        layers.push(layer);
    }
    Ok(layers)
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = graph();
    let layers = layers(&graph).unwrap_or_else(|e| panic!("{e}"));
    for (i, layer) in layers.iter().enumerate() {
        println!("layer {i}: {}", layer.join(", "));
    }
    // Plain data at the bottom, the flow and the command line on top.
    let level = |m: &str| {
        layers
            .iter()
            .position(|l| l.iter().any(|x| x == m))
            .unwrap_or_else(|| panic!("no module {m}"))
    };
    assert!(
        level("catalogue") < level("check"),
        "checks are rows of the catalogue"
    );
    assert!(level("catalogue") < level("probe") && level("catalogue") < level("policy"));
    assert_eq!(level("arn"), 0);
    assert!(level("probe") > level("check"));
    assert!(level("spec") > level("check").max(level("arn")));
    assert!(level("cli") > level("spec") && level("cli") > level("run"));
}

#[test]
fn the_checker_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_owned()].into());
    g.insert("b".into(), ["a".to_owned()].into());
    g.insert("c".into(), BTreeSet::new());
    let e = layers(&g).unwrap_err();
    assert!(
        e.contains("a -> [\"b\"]") && e.contains("b -> [\"a\"]"),
        "{e}"
    );
}

/// Every .rs file under src/, by its path relative to src/.
fn files() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(&src)
                    .expect("under src")
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read_to_string(&path).expect("read file"));
            }
        }
    }
    out
}

/// The module path of a file: `identity/gather.rs` -> ["identity", "gather"].
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "main") {
        parts.pop();
    }
    parts
}

/// The file that holds a module path, or its nearest ancestor that exists.
fn file_of(files: &BTreeMap<String, String>, path: &[String]) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let p = path[..n].join("/");
        [format!("{p}.rs"), format!("{p}/mod.rs")]
            .into_iter()
            .find(|f| files.contains_key(f))
    })
}

/// File -> the files it names through `crate::` and `super::` paths. A
/// module's own file and its children's are one unit (`mod.rs` declares its
/// children; a child reads its parent's types), so edges between them do not
/// count: what matters are circles between siblings and across modules.
fn file_graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = files();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &files {
        let here = module_of(file);
        let deps = graph.entry(file.clone()).or_default();
        let text: String = text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .collect::<Vec<_>>()
            .join("\n");
        for (prefix, base) in [
            ("crate::", Vec::new()),
            ("super::", here[..here.len().saturating_sub(1)].to_vec()),
        ] {
            for (i, _) in text.match_indices(prefix) {
                if prefix == "super::" && text[..i].ends_with("::") {
                    continue;
                }
                let rest = &text[i + prefix.len()..];
                let path: Vec<String> = rest
                    .split("::")
                    .map(|seg| {
                        seg.chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect::<String>()
                    })
                    .take_while(|seg| {
                        !seg.is_empty()
                            && seg.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    })
                    .collect();
                let full: Vec<String> = base.iter().cloned().chain(path).collect();
                let Some(target) = file_of(&files, &full) else {
                    continue;
                };
                let (a, b) = (module_of(file), module_of(&target));
                let related = a.starts_with(&b) && b.len() + 1 >= a.len()
                    || b.starts_with(&a) && a.len() + 1 >= b.len();
                if target != *file && !related {
                    deps.insert(target);
                }
            }
        }
    }
    graph
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let graph = file_graph();
    assert!(graph.contains_key("identity/assess.rs") && graph.contains_key("identity/gather.rs"));
    assert!(
        graph["identity/assess.rs"].contains("identity/gather.rs"),
        "the checker sees sibling imports: {:?}",
        graph["identity/assess.rs"]
    );
    layers(&graph).unwrap_or_else(|e| panic!("{e}"));
}
