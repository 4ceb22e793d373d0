//! Scripted rules in Rhai, run in a sandbox that hostile definitions cannot
//! escape.
//!
//! The engine is built from `Engine::new_raw()` with only the arithmetic,
//! logic, array, map, math and string packages and aspekt's psychometrics
//! prelude. There is no module import, no `eval`, no clock, no randomness;
//! `print` and `debug` go nowhere; variables must be declared; and every
//! resource limit is set ([`Limits`]). Limits apply per rule call.

use std::fmt;

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, Package,
};
use rhai::{
    AST, Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, ParseError, Position, Scope,
};

/// Resource limits of one rule call. The defaults are safe for untrusted
/// definitions and ample for scoring rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Operations (roughly: expression nodes evaluated, loop iterations).
    pub operations: u64,
    /// Nested function calls.
    pub call_levels: usize,
    /// Nesting depth of expressions at the top level.
    pub expr_depth: usize,
    /// Nesting depth of expressions inside functions.
    pub function_expr_depth: usize,
    /// Bytes in one string.
    pub string_size: usize,
    /// Elements in one array.
    pub array_size: usize,
    /// Entries in one object map.
    pub map_size: usize,
    /// Variables in one scope.
    pub variables: usize,
    /// Functions a script may define.
    pub functions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: 20_000,
            call_levels: 16,
            expr_depth: 32,
            function_expr_depth: 16,
            string_size: 1_024,
            array_size: 1_024,
            map_size: 512,
            variables: 64,
            functions: 16,
        }
    }
}

impl Limits {
    /// Limits for a definition written in Rhai: it runs once, at compile
    /// time, and may generate many items.
    pub fn for_definitions() -> Self {
        Limits {
            operations: 2_000_000,
            string_size: 64 * 1024,
            array_size: 10_000,
            map_size: 10_000,
            variables: 256,
            functions: 64,
            ..Limits::default()
        }
    }
}

/// Marker a score rule returns when its missing-data rule is not met.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Insufficient;

/// A sandboxed Rhai engine with the prelude registered.
pub(crate) fn engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    ArithmeticPackage::new().register_into_engine(&mut engine);
    LogicPackage::new().register_into_engine(&mut engine);
    BasicArrayPackage::new().register_into_engine(&mut engine);
    BasicMapPackage::new().register_into_engine(&mut engine);
    BasicMathPackage::new().register_into_engine(&mut engine);
    BasicStringPackage::new().register_into_engine(&mut engine);
    BasicIteratorPackage::new().register_into_engine(&mut engine);
    BasicFnPackage::new().register_into_engine(&mut engine);

    engine.set_strict_variables(true);
    engine.set_fail_on_invalid_map_property(true);
    // `eval` would compile code the compiler never saw.
    engine.disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});

    engine.set_max_operations(limits.operations.max(1));
    engine.set_max_call_levels(limits.call_levels);
    engine.set_max_expr_depths(limits.expr_depth, limits.function_expr_depth);
    engine.set_max_string_size(limits.string_size.max(1));
    engine.set_max_array_size(limits.array_size.max(1));
    engine.set_max_map_size(limits.map_size.max(1));
    engine.set_max_variables(limits.variables);
    engine.set_max_functions(limits.functions);
    engine.set_max_strings_interned(256);

    prelude(&mut engine);
    engine
}

/// Numbers in an array or map; `()` (unanswered / insufficient) is skipped.
fn numbers<'a>(values: impl Iterator<Item = &'a Dynamic>) -> Result<Vec<f64>, Box<EvalAltResult>> {
    let mut out = Vec::new();
    for v in values {
        if v.is_unit() {
            continue;
        }
        match number(v) {
            Some(x) => out.push(x),
            None => {
                return Err(format!("expected numbers or (), found {}", v.type_name()).into());
            }
        }
    }
    Ok(out)
}

fn number(v: &Dynamic) -> Option<f64> {
    v.as_int()
        .map(|i| i as f64)
        .ok()
        .or_else(|| v.as_float().ok())
}

fn to_dynamic(v: Option<f64>) -> Dynamic {
    v.map_or(Dynamic::UNIT, Dynamic::from_float)
}

fn sum(values: &[f64]) -> f64 {
    values.iter().sum()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| sum(values) / values.len() as f64)
}

/// Ids of a score map sorted from highest to lowest, ties in id order;
/// `()` entries left out.
fn ranked(map: &Map) -> Result<Vec<(String, f64)>, Box<EvalAltResult>> {
    let mut entries = Vec::new();
    for (k, v) in map {
        if v.is_unit() {
            continue;
        }
        let x = number(v)
            .ok_or_else(|| -> Box<EvalAltResult> { format!("`{k}` is not a number").into() })?;
        entries.push((k.to_string(), x));
    }
    // Stable sort over the map's id order keeps ties in id order.
    entries.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(entries)
}

fn prelude(engine: &mut Engine) {
    engine.register_type_with_name::<Insufficient>("Insufficient");
    engine.register_fn("insufficient", || Insufficient);

    engine.register_fn("sum", |a: Array| numbers(a.iter()).map(|v| sum(&v)));
    engine.register_fn("sum", |m: Map| numbers(m.values()).map(|v| sum(&v)));
    engine.register_fn("mean", |a: Array| {
        numbers(a.iter()).map(|v| to_dynamic(mean(&v)))
    });
    engine.register_fn("mean", |m: Map| {
        numbers(m.values()).map(|v| to_dynamic(mean(&v)))
    });
    engine.register_fn("count_answered", |a: Array| {
        numbers(a.iter()).map(|v| v.len() as i64)
    });
    engine.register_fn("count_answered", |m: Map| {
        numbers(m.values()).map(|v| v.len() as i64)
    });
    // Prorated sum: mean of the answered values × the number of entries.
    engine.register_fn("prorate", |a: Array| {
        let n = a.len() as f64;
        numbers(a.iter()).map(|v| to_dynamic(mean(&v).map(|m| m * n)))
    });
    engine.register_fn("prorate", |m: Map| {
        let n = m.len() as f64;
        numbers(m.values()).map(|v| to_dynamic(mean(&v).map(|x| x * n)))
    });
    engine.register_fn("reverse", |code: i64, min: i64, max: i64| min + max - code);
    engine.register_fn("reverse", |code: (), _min: i64, _max: i64| {
        let () = code;
        Dynamic::UNIT
    });
    engine.register_fn("clamp", |v: f64, lo: f64, hi: f64| v.max(lo).min(hi));
    engine.register_fn("clamp", |v: i64, lo: i64, hi: i64| v.max(lo).min(hi));
    engine.register_fn("rank", |m: Map| {
        ranked(&m).map(|r| {
            r.into_iter()
                .map(|(k, _)| Dynamic::from(k))
                .collect::<Array>()
        })
    });
    // The `k` highest ids. Tie rule "all": every id tied with the k-th is
    // included (the list may be longer than k); "id": ties go in id order
    // (exactly k, or fewer when fewer scores exist).
    engine.register_fn(
        "top",
        |m: Map, k: i64, tie: ImmutableString| -> Result<Array, Box<EvalAltResult>> {
            let r = ranked(&m)?;
            let k = usize::try_from(k).unwrap_or(0);
            let chosen: Vec<String> = match tie.as_str() {
                "id" => r.into_iter().take(k).map(|(id, _)| id).collect(),
                "all" => {
                    let cut = r.get(k.saturating_sub(1)).map(|(_, v)| *v);
                    r.into_iter()
                        .enumerate()
                        .take_while(|(i, (_, v))| *i < k || Some(*v) == cut)
                        .map(|(_, (id, _))| id)
                        .collect()
                }
                other => {
                    return Err(
                        format!("unknown tie rule \"{other}\": use \"all\" or \"id\"").into(),
                    );
                }
            };
            Ok(chosen.into_iter().map(Dynamic::from).collect())
        },
    );
}

/// A rule compiled once, run many times.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) ast: AST,
    /// The variable the rule reads (`items` or `scores`).
    pub(crate) input: &'static str,
}

/// Why a rule failed at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleFailure {
    pub(crate) message: String,
    pub(crate) limit: Option<&'static str>,
}

impl fmt::Display for RuleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The position of a parse error: (line, column), 1-based, if known.
pub(crate) fn parse_position(e: &ParseError) -> Option<(usize, usize)> {
    position(e.position())
}

fn position(p: Position) -> Option<(usize, usize)> {
    Some((p.line()?, p.position().unwrap_or(1)))
}

/// Compiles a rule's source with its input variable declared.
pub(crate) fn compile_rule(
    engine: &Engine,
    source: &str,
    input: &'static str,
) -> Result<Rule, ParseError> {
    // Declared as a variable, not a constant: the optimizer would fold a
    // constant's compile-time value (an empty map) into the rule.
    let mut scope = Scope::new();
    scope.push(input, Map::new());
    let ast = engine.compile_with_scope(&scope, source)?;
    Ok(Rule { ast, input })
}

/// What a rule returned.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Returned {
    Number(f64),
    Insufficient,
    Outcome(String),
}

impl Rule {
    /// Runs the rule on its input map.
    pub(crate) fn run(&self, engine: &Engine, input: Map) -> Result<Returned, RuleFailure> {
        let mut scope = Scope::new();
        scope.push_constant(self.input, input);
        let value = engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &self.ast)
            .map_err(|e| failure(&e))?;
        if value.is::<Insufficient>() {
            return Ok(Returned::Insufficient);
        }
        if let Some(x) = number(&value) {
            return if x.is_finite() {
                Ok(Returned::Number(x))
            } else {
                Err(RuleFailure {
                    message: format!("returned {x}, which is not a finite number"),
                    limit: None,
                })
            };
        }
        if let Ok(s) = value.into_immutable_string() {
            return Ok(Returned::Outcome(s.to_string()));
        }
        Err(RuleFailure {
            message: "returned a value that is neither a number, an outcome id nor insufficient()"
                .to_string(),
            limit: None,
        })
    }
}

fn failure(e: &EvalAltResult) -> RuleFailure {
    let limit = match e {
        EvalAltResult::ErrorTooManyOperations(..) => Some("operations"),
        EvalAltResult::ErrorStackOverflow(..) => Some("call_levels"),
        EvalAltResult::ErrorDataTooLarge(what, ..) => Some(match what.as_str() {
            s if s.contains("string") || s.contains("String") => "string_size",
            s if s.contains("rray") => "array_size",
            s if s.contains("map") || s.contains("Map") => "map_size",
            _ => "data_size",
        }),
        EvalAltResult::ErrorTooManyVariables(..) => Some("variables"),
        _ => None,
    };
    let at = position(e.position())
        .map(|(l, c)| format!(" (line {l}, column {c} of the rule)"))
        .unwrap_or_default();
    let text = e.to_string();
    // Rhai appends its own position; keep ours only.
    let text = match text.rfind(" (line ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_string(),
        None => text,
    };
    let message = match limit {
        Some(l) => format!("hit the sandbox limit `{l}`: {text}{at}"),
        None => format!("{text}{at}"),
    };
    RuleFailure { message, limit }
}

/// Runs a definition script and returns the object map it evaluates to, or
/// the error with its (line, column).
pub(crate) fn run_definition_script(
    engine: &Engine,
    source: &str,
) -> Result<Dynamic, (Option<(usize, usize)>, String)> {
    let ast = engine
        .compile(source)
        .map_err(|e| (parse_position(&e), e.0.to_string()))?;
    engine.eval_ast::<Dynamic>(&ast).map_err(|e| {
        let message = failure(&e).message;
        // The position is reported separately, as file:line:col.
        let message = match message.rfind(" (line ") {
            Some(i) => message.get(..i).unwrap_or(&message).to_string(),
            None => message,
        };
        (position(e.position()), message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, input: &'static str, map: Map) -> Result<Returned, RuleFailure> {
        let engine = engine(&Limits::default());
        let rule = compile_rule(&engine, src, input).map_err(|e| RuleFailure {
            message: e.to_string(),
            limit: None,
        })?;
        rule.run(&engine, map)
    }

    fn scores(pairs: &[(&str, Option<f64>)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.map_or(Dynamic::UNIT, Dynamic::from_float)))
            .collect()
    }

    #[test]
    fn comparisons_of_scores_choose_outcomes() {
        let m = scores(&[("a", Some(4.0)), ("b", Some(0.0))]);
        assert_eq!(
            run(
                r#"if scores.a > scores.b { "a" } else { "b" }"#,
                "scores",
                m
            ),
            Ok(Returned::Outcome("a".into()))
        );
    }

    #[test]
    fn unit_inputs_can_be_tested() {
        let m = scores(&[("a", None), ("b", Some(1.0))]);
        assert_eq!(
            run(
                "if scores.a == () { insufficient() } else { 1 }",
                "scores",
                m
            ),
            Ok(Returned::Insufficient)
        );
    }
}
