//! `--expect-jq FILTER`: jq's language, run by the jaq crates, over the
//! body parsed as strict JSON.
//!
//! A filter is compiled once per run (a compile error is a usage error with
//! its position) and shared by every fetch. Evaluation is bounded: the body
//! may nest at most [`MAX_DEPTH`] levels (checked before parsing, so a
//! hostile body cannot exhaust the stack), and at most [`MAX_OUTPUTS`]
//! outputs are looked at, so `repeat(true)` ends. jaq's values are `Rc`:
//! [`JqFilter::verdict`] is a plain function, called off the async path.

use std::fmt;
use std::sync::Arc;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// Deepest nesting of arrays and objects a body may have.
pub const MAX_DEPTH: usize = 128;
/// Outputs looked at before the filter is taken as passing.
pub const MAX_OUTPUTS: usize = 1000;

/// One compiled `--expect-jq` filter.
#[derive(Clone)]
pub struct JqFilter {
    source: String,
    filter: Arc<Filter>,
}

impl fmt::Debug for JqFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JqFilter").field(&self.source).finish()
    }
}

impl JqFilter {
    /// Compiles `code`; the error names the position (1-based column) and
    /// what was wrong there.
    pub fn compile(code: &str) -> Result<JqFilter, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let at = |s: &str| position(code, s);
        let modules = Loader::new(defs)
            .load(&arena, File { code, path: () })
            .map_err(|errs| {
                let mut msgs = Vec::new();
                for (_, e) in errs {
                    match e {
                        jaq_core::load::Error::Io(v) => {
                            msgs.extend(v.into_iter().map(|(s, m)| format!("{}: {m}", at(s))))
                        }
                        jaq_core::load::Error::Lex(v) => msgs.extend(
                            v.into_iter()
                                .map(|(exp, s)| format!("{}: expected {}", at(s), exp.as_str())),
                        ),
                        jaq_core::load::Error::Parse(v) => msgs.extend(
                            v.into_iter()
                                .map(|(exp, s)| format!("{}: expected {}", at(s), exp.as_str())),
                        ),
                    }
                }
                msgs.join("; ")
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| {
                let mut msgs = Vec::new();
                for (_, v) in errs {
                    for (s, undefined) in v {
                        msgs.push(format!("{}: undefined {} `{s}`", at(s), undefined.as_str()));
                    }
                }
                msgs.join("; ")
            })?;
        Ok(JqFilter {
            source: code.to_owned(),
            filter: Arc::new(filter),
        })
    }

    /// The filter as the user typed it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the filter over `body`: `Ok(())` when it passes, else what was
    /// found, for the check's message.
    pub fn verdict(&self, body: &[u8]) -> Result<(), String> {
        if let Some(at) = too_deep(body, MAX_DEPTH) {
            return Err(format!(
                "body nests deeper than {MAX_DEPTH} levels (at byte {at})"
            ));
        }
        let input =
            jaq_json::read::parse_single(body).map_err(|e| format!("body is not JSON ({e})"))?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = self.filter.id.run((ctx, input)).map(unwrap_valr);
        let mut seen = 0;
        while seen < MAX_OUTPUTS {
            match outputs.next() {
                None => break,
                Some(Err(e)) => return Err(format!("error: {e}")),
                Some(Ok(v @ (Val::Null | Val::Bool(false)))) => {
                    return Err(format!("output {} is {v}", seen + 1));
                }
                Some(Ok(_)) => seen += 1,
            }
        }
        if seen == 0 {
            return Err("no output".to_owned());
        }
        Ok(())
    }
}

/// `line L, column C` of `part`, a slice of `code` (or the end of it).
fn position(code: &str, part: &str) -> String {
    let start = part.as_ptr() as usize;
    let base = code.as_ptr() as usize;
    let offset = if (base..=base + code.len()).contains(&start) {
        start - base
    } else {
        code.len()
    };
    let before = &code[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    if line == 1 {
        format!("column {column}")
    } else {
        format!("line {line}, column {column}")
    }
}

/// The byte offset where `body` first nests deeper than `max` arrays and
/// objects, if it does. Brackets inside strings don't count.
fn too_deep(body: &[u8], max: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in body.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(filter: &str, body: &str) -> Result<(), String> {
        JqFilter::compile(filter).unwrap().verdict(body.as_bytes())
    }

    #[test]
    fn passes_when_every_output_is_truthy() {
        assert_eq!(check(".status == \"UP\"", r#"{"status":"UP"}"#), Ok(()));
        assert_eq!(check(".[]", "[1, \"a\", {}]"), Ok(()));
        // jaq-core's definitions (PR #391 moved them there) are loaded.
        assert_eq!(check("map(select(. > 1)) | length == 2", "[1,2,3]"), Ok(()));
        assert_eq!(check("all(.[]; . > 0)", "[1,2]"), Ok(()));
    }

    #[test]
    fn fails_on_false_null_or_nothing() {
        assert_eq!(
            check(".status == \"UP\"", r#"{"status":"DOWN"}"#),
            Err("output 1 is false".into())
        );
        assert_eq!(check(".[]", "[1, null]"), Err("output 2 is null".into()));
        assert_eq!(check(".missing", "{}"), Err("output 1 is null".into()));
        assert_eq!(check("empty", "{}"), Err("no output".into()));
    }

    #[test]
    fn stops_after_a_thousand_outputs_or_the_first_false() {
        assert_eq!(check("repeat(true)", "1"), Ok(()));
        assert_eq!(
            check("true, false, repeat(true)", "1"),
            Err("output 2 is false".into())
        );
    }

    #[test]
    fn runtime_errors_carry_jq_message() {
        let e = check(".a", "[1]").unwrap_err();
        assert!(e.starts_with("error: "), "{e}");
        let e = check("error(\"custom\")", "1").unwrap_err();
        assert!(e.contains("custom"), "{e}");
    }

    #[test]
    fn body_must_be_strict_json_of_bounded_depth() {
        assert!(
            check(".", "{'a': 1}")
                .unwrap_err()
                .starts_with("body is not JSON")
        );
        assert!(
            check(".", "{} {}")
                .unwrap_err()
                .starts_with("body is not JSON")
        );
        assert!(check(".", "").unwrap_err().starts_with("body is not JSON"));
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(check("true", &ok), Ok(()));
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(check(".", &deep).unwrap_err().contains("deeper than 128"));
        let huge = "[".repeat(1_000_000);
        assert!(check(".", &huge).unwrap_err().contains("deeper than 128"));
        // Brackets in strings are text.
        let quoted = format!("[\"{}\\\"\"]", "[".repeat(500));
        assert_eq!(check("length == 1", &quoted), Ok(()));
    }

    #[test]
    fn compile_errors_name_the_position() {
        let e = JqFilter::compile(".a | ").unwrap_err();
        assert!(e.contains("column"), "{e}");
        let e = JqFilter::compile(".a | nosuchfn(1)").unwrap_err();
        assert_eq!(e, "column 6: undefined filter `nosuchfn`");
        let e = JqFilter::compile("$x").unwrap_err();
        assert!(e.contains("undefined variable"), "{e}");
    }
}
