//! `--generate reference`: the flag reference in Markdown, written from the
//! same definitions as `--help` (`Cli::command()`), so the two cannot
//! disagree. `docs/reference.md` is this output, committed; a test fails
//! when it differs from what the code writes.

use std::fmt::Write as _;
use std::io;

use clap::{Arg, ArgAction, Command};

/// The one command that rewrites the committed reference.
pub const REGENERATE: &str = "cargo run -- --generate reference > docs/reference.md";

/// Writes the reference of `cmd` as Markdown.
pub(super) fn write(cmd: Command, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(markdown(cmd).as_bytes())
}

/// The reference as text: a title, the usage line, then one section per
/// help heading in the order `--help` shows them, one entry per flag.
pub fn markdown(mut cmd: Command) -> String {
    cmd.build();
    let mut md = String::new();
    let name = cmd.get_name().to_owned();
    let _ = writeln!(md, "# {name} flag reference\n");
    let _ = writeln!(
        md,
        "Generated from the command's own definitions; do not edit by hand. \
         Regenerate with `{REGENERATE}`.\n"
    );
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        let _ = writeln!(md, "{}\n", about.to_string().trim());
    }
    let usage = cmd.render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    let _ = writeln!(md, "```text\n{usage}\n```\n");

    let sections = sections(&cmd);
    let contents: Vec<String> = sections
        .iter()
        .map(|(h, _)| format!("[{h}](#{})", h.to_lowercase().replace(' ', "-")))
        .collect();
    let _ = writeln!(md, "{}\n", contents.join(" · "));
    for (heading, args) in sections {
        let _ = writeln!(md, "## {heading}\n");
        for arg in args {
            entry(&mut md, arg);
        }
    }
    // One newline at the end, as editors leave it.
    let trimmed = md.trim_end().len();
    md.truncate(trimmed);
    md.push('\n');
    md
}

/// The visible arguments grouped by help heading, headings in order of
/// first appearance; positional arguments first, as `--help` shows them.
fn sections(cmd: &Command) -> Vec<(String, Vec<&Arg>)> {
    let mut sections: Vec<(String, Vec<&Arg>)> = Vec::new();
    let mut args: Vec<&Arg> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    // Stable: declaration order within a heading.
    args.sort_by_key(|a| !a.is_positional());
    for arg in args {
        let heading = match arg.get_help_heading() {
            Some(h) => h.to_owned(),
            None if arg.is_positional() => "Arguments".to_owned(),
            None => "Options".to_owned(),
        };
        match sections.iter_mut().find(|(h, _)| *h == heading) {
            Some((_, list)) => list.push(arg),
            None => sections.push((heading, vec![arg])),
        }
    }
    sections
}

/// One flag: its names and value as a heading line, its default, its
/// long help, then its possible values.
fn entry(md: &mut String, arg: &Arg) {
    let _ = writeln!(md, "### `{}`\n", names(arg));
    let mut facts = Vec::new();
    if takes_values(arg) && !arg.is_hide_default_value_set() {
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() {
            facts.push(format!("Default: `{}`.", defaults.join(",")));
        }
    }
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let help = help.trim();
    let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
    if repeatable && !arg.is_positional() && !help.to_lowercase().contains("repeatable") {
        facts.push("Repeatable.".to_owned());
    }
    if !facts.is_empty() {
        let _ = writeln!(md, "{}\n", facts.join(" "));
    }
    if !help.is_empty() {
        let _ = writeln!(md, "{}\n", sentence(help));
    }
    let values: Vec<_> = if takes_values(arg) && !arg.is_hide_possible_values_set() {
        arg.get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .collect()
    } else {
        Vec::new()
    };
    if !values.is_empty() {
        let _ = writeln!(md, "Values:\n");
        for v in values {
            match v.get_help() {
                Some(h) => {
                    let _ = writeln!(md, "- `{}`: {}", v.get_name(), h.to_string().trim());
                }
                None => {
                    let _ = writeln!(md, "- `{}`", v.get_name());
                }
            }
        }
        md.push('\n');
    }
}

/// `-c, --concurrency <N>`, `--header-for <HOST> <HEADER>`, `<URL>...`.
fn names(arg: &Arg) -> String {
    let value = value_names(arg);
    if arg.is_positional() {
        let dots = if matches!(arg.get_action(), ArgAction::Append) {
            "..."
        } else {
            ""
        };
        return format!("{value}{dots}");
    }
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let mut line = names.join(", ");
    if !value.is_empty() {
        line.push(' ');
        line.push_str(&value);
    }
    line
}

fn value_names(arg: &Arg) -> String {
    if !takes_values(arg) {
        return String::new();
    }
    let names: Vec<String> = match arg.get_value_names() {
        Some(names) => names.iter().map(|n| format!("<{n}>")).collect(),
        None => vec![format!("<{}>", arg.get_id().as_str().to_uppercase())],
    };
    names.join(" ")
}

fn takes_values(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

/// Help lines are written without a final full stop, as `--help` shows
/// them; in prose each paragraph ends with one.
fn sentence(help: &str) -> String {
    help.split("\n\n")
        .map(|p| {
            let p = p.trim_end();
            match p.chars().last() {
                Some('.' | '!' | '?' | ':') => p.to_owned(),
                Some(_) => format!("{p}."),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    #[test]
    fn every_visible_flag_has_an_entry_under_its_heading() {
        let md = markdown(Cli::command());
        assert!(md.contains("## Limits\n"), "{md}");
        assert!(md.contains("### `-c, --concurrency <N>`\n\nDefault: `50`."));
        assert!(md.contains("### `--header-for <HOST> <HEADER>`"));
        assert!(md.contains("### `<URL>...`"));
        assert!(md.contains("- `jsonl`: One JSON object per line"));
        for arg in Cli::command().get_arguments() {
            if let Some(long) = arg.get_long() {
                assert!(md.contains(&format!("--{long}")), "--{long} missing");
            }
        }
    }

    #[test]
    fn flags_without_a_value_have_no_default_line() {
        let md = markdown(Cli::command());
        let dedup = md.split("### `--dedup`").nth(1).unwrap();
        let dedup = dedup.split("###").next().unwrap();
        assert!(!dedup.contains("Default"), "{dedup}");
    }

    #[test]
    fn paragraphs_end_with_a_full_stop() {
        assert_eq!(
            sentence("At most N\n\nR is 10/s"),
            "At most N.\n\nR is 10/s."
        );
        assert_eq!(sentence("see (below)"), "see (below).");
        assert_eq!(sentence("Values:"), "Values:");
    }
}
