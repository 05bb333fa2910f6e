//! The documentation against the code: the committed flag reference is
//! what `--generate reference` writes; every `--flag` that the README,
//! `docs/*.md` or any flag's help names is a flag of fanout (or one of the
//! few other tools' flags listed below); and help texts that list what the
//! code decides (the kinds `--skip-done` runs again, the flags that hold
//! the body) list all of it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use fanout::cli::Cli;
use fanout::record::ErrorKind;

use crate::support::fanout;

/// The one command that rewrites `docs/reference.md`.
const REGENERATE: &str = "cargo run -- --generate reference > docs/reference.md";

/// Flags the documents name that are not fanout's, on purpose: curl's
/// habits that fanout answers with a hint (SPEC "Habits and mistakes"),
/// and the flags of the other tools the examples run.
const NOT_FANOUT: &[&str] = &[
    // curl habits, each answered with fanout's own way.
    "--retry",
    "--max-time",
    "--head",
    "--location",
    "--compressed",
    "--silent",
    "--fail",
    "--user",
    // curl in the comparison.
    "--parallel",
    // cargo, GNU parallel and Slurm in set-up and examples.
    "--check",
    "--release",
    "--example",
    "--locked",
    "--path",
    "--transferfile",
    "--return",
    "--cleanup",
    "--array",
    // docker in docs/install.md.
    "--rm",
];

/// Flags the contract names that this build does not have yet; the
/// documents already describe them. Once one exists, a test below says to
/// take it off this list.
const NOT_YET: &[&str] = &[];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `--long` and `-s` names of every flag of the command line, with `--help`
/// and `--version`.
fn cli_flags() -> BTreeSet<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut flags = BTreeSet::new();
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            flags.insert(format!("--{long}"));
        }
        if let Some(short) = arg.get_short() {
            flags.insert(format!("-{short}"));
        }
    }
    flags
}

/// Every `--long-flag` in `text`: two dashes after a blank or punctuation,
/// then a letter (so table rules, `--` alone and `a--b` are not flags).
fn long_flags(text: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"(?:^|[^A-Za-z0-9_-])(--[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*)")
        .expect("valid regex");
    re.captures_iter(text).map(|c| c[1].to_owned()).collect()
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("readable docs/").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The help texts of the command and of every flag, long and short.
fn help_texts() -> Vec<(String, String)> {
    let cmd = Cli::command();
    let mut texts = Vec::new();
    for (what, text) in [
        ("about", cmd.get_long_about().or(cmd.get_about())),
        ("after_help", cmd.get_after_help()),
    ] {
        if let Some(text) = text {
            texts.push((what.to_owned(), text.to_string()));
        }
    }
    for arg in cmd.get_arguments() {
        let name = arg.get_id().to_string();
        for text in [arg.get_help(), arg.get_long_help()].into_iter().flatten() {
            texts.push((name.clone(), text.to_string()));
        }
        for value in arg.get_possible_values() {
            if let Some(help) = value.get_help() {
                texts.push((name.clone(), help.to_string()));
            }
        }
    }
    texts
}

fn help_of(long: &str) -> String {
    let cmd = Cli::command();
    let arg = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .unwrap_or_else(|| panic!("no --{long}"));
    arg.get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default()
}

#[test]
fn the_committed_reference_is_what_the_code_generates() {
    let out = fanout().args(["--generate", "reference"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(root().join("docs/reference.md")).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/reference.md differs from what the code generates; regenerate it with:\n    {REGENERATE}"
    );
    assert!(
        generated.contains(REGENERATE),
        "the file says how it is made"
    );
}

#[test]
fn every_flag_has_an_entry_in_the_reference() {
    let reference = read(&root().join("docs/reference.md"));
    let entries: Vec<&str> = reference
        .lines()
        .filter(|l| l.starts_with("### `"))
        .collect();
    let mut missing = Vec::new();
    for flag in cli_flags() {
        let listed = entries
            .iter()
            .any(|e| e.split(['`', ',', ' ']).any(|w| w == flag));
        if !listed {
            missing.push(flag);
        }
    }
    assert!(
        missing.is_empty(),
        "flags without an entry in docs/reference.md: {missing:?}; regenerate it with:\n    {REGENERATE}"
    );
}

#[test]
fn every_flag_the_documents_name_is_a_flag_of_fanout() {
    let flags = cli_flags();
    let mut unknown = Vec::new();
    for path in documents() {
        for flag in long_flags(&read(&path)) {
            let listed = NOT_FANOUT.contains(&flag.as_str()) || NOT_YET.contains(&flag.as_str());
            if !flags.contains(&flag) && !listed {
                unknown.push(format!("{}: {flag}", path.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "flags named in the documents that fanout does not have \
         (fix the text, or list another tool's flag in NOT_FANOUT):\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_lists_of_other_flags_are_true_and_short() {
    let flags = cli_flags();
    let named: BTreeSet<String> = documents()
        .iter()
        .flat_map(|p| long_flags(&read(p)))
        .collect();
    for flag in NOT_FANOUT {
        assert!(
            !flags.contains(*flag),
            "{flag} is a flag of fanout: take it off NOT_FANOUT"
        );
        assert!(
            named.contains(*flag),
            "no document names {flag}: take it off NOT_FANOUT"
        );
    }
    for flag in NOT_YET {
        assert!(
            !flags.contains(*flag),
            "{flag} is a flag of fanout now: take it off NOT_YET"
        );
    }
}

#[test]
fn every_flag_a_help_text_names_is_a_flag_of_fanout() {
    let flags = cli_flags();
    let mut unknown = Vec::new();
    for (arg, text) in help_texts() {
        for flag in long_flags(&text) {
            if !flags.contains(&flag) {
                unknown.push(format!("help of {arg}: {flag}"));
            }
        }
    }
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
}

#[test]
fn skip_done_help_names_every_kind_that_is_not_final() {
    let help = help_of("skip-done");
    for kind in ErrorKind::ALL.into_iter().filter(|k| !k.is_final()) {
        assert!(
            help.contains(&format!("`{}`", kind.as_str())),
            "--skip-done's help does not say `{}` records run again: {help}",
            kind.as_str()
        );
    }
}

#[test]
fn max_body_help_names_every_flag_that_holds_the_body() {
    // The usage error of --max-body 0 names the flags that hold the body,
    // as the code decides them; the help must name the same.
    let out = fanout()
        .args(["--max-body", "0", "--body", "http://127.0.0.1:9/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let message = String::from_utf8(out.stderr).unwrap();
    let holders: BTreeSet<String> = long_flags(&message)
        .into_iter()
        .filter(|f| f != "--max-body")
        .collect();
    assert!(holders.contains("--expect-jq"), "{message}");
    let help = help_of("max-body");
    for flag in &holders {
        assert!(
            long_flags(&help).contains(flag),
            "--max-body's help does not name {flag}: {help}"
        );
    }
}

#[test]
fn the_flag_finder_finds_flags_and_only_flags() {
    let found = long_flags(
        "use `--skip-done FILE`, --http1.1 and -c; not |---|---:|, `-- -L`, a--b or --.",
    );
    let want: BTreeSet<String> = ["--skip-done", "--http1.1"].map(str::to_owned).into();
    assert_eq!(found, want);
}
