//! Stage 3, rules.
//!
//! Scripted rules in Rhai, run in a sandbox that hostile definitions cannot
//! escape.
//!
//! The engine is built from `Engine::new_raw()`, whose built-in operators
//! cover integer and float arithmetic, comparisons and logic; every function
//! a rule may call is registered here one by one (arrays, maps, math,
//! conversions) with aspekt's psychometrics prelude. There is no module import, no `eval`, no clock, no randomness;
//! `print` and `debug` go nowhere; variables must be declared; and every
//! resource limit is set ([`Limits`]). Limits apply per rule call.
//!
//! Three Rhai features are closed off because they escape the limits:
//! anonymous functions (closures share captured variables behind a lock, and
//! a contended lock makes Rhai *sleep* — 10 ms at a time, outside every
//! operation budget, and a panic on `wasm32-unknown-unknown`), `curry`
//! (values inside a function pointer, which no size limit counts), and the
//! package sorts (Rust's slice sort may panic when the order is not total,
//! e.g. floats with NaN; they are replaced by a merge sort that cannot).
//! Operations are metered across callbacks ([`meter`]), which Rhai alone
//! counts afresh for each callback.
//! Error messages never echo a runtime value: a rule's failure must not carry
//! an answer into a log. The description of a failure ([`RuleFailure`]) is
//! for `aspekt check` and examples; at evaluation the evaluator words it
//! from the rule's owner and the limit alone.

pub(crate) mod budget;
mod script;

pub(crate) use script::{definition_table, run_definition_script};

use std::any::TypeId;
use std::cmp::Ordering;
use std::fmt;

use crate::definition::toml_text::Node;
use rhai::{
    AST, Array, Dynamic, Engine, EvalAltResult, FnPtr, INT, ImmutableString, LexError, Map,
    NativeCallContext, ParseError, ParseErrorType, Position, Scope,
};

/// Resource limits of one rule call. The defaults are safe for untrusted
/// definitions and ample for scoring rules.
///
/// Rhai copies, compares and drops nested arrays and maps recursively (one
/// native stack frame per level, several in debug builds), and only the
/// size limits bound how deep a value nests: at most `array_size +
/// map_size` levels. The defaults keep that at 768 levels, which a debug
/// build evaluates within a 2 MiB thread stack (about 1.2 KiB per level);
/// raising both sizes far beyond them risks a stack overflow, which aborts
/// the process.
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
            array_size: 512,
            map_size: 256,
            variables: 64,
            functions: 16,
        }
    }
}

impl Limits {
    /// Limits for a definition written in Rhai: it runs once, at compile
    /// time, and may generate many items (a 300-item definition holds about
    /// 2,000 map entries). Natively it runs on its own thread with a 64 MiB
    /// stack, so that values nested as deep as these sizes allow cannot
    /// overflow the stack.
    ///
    /// Rhai copies a whole array or map when a variable holding it is read,
    /// so one operation may copy `array_size + map_size` values: the budget
    /// is the product. These limits keep the worst script near a few
    /// seconds of compile time (with 2,000,000 operations and 10,000-entry
    /// arrays and maps, a copying loop took two minutes).
    pub fn for_definitions() -> Self {
        Limits {
            operations: 100_000,
            string_size: 64 * 1024,
            array_size: 1_024,
            map_size: 4_096,
            variables: 256,
            functions: 64,
            ..Limits::default()
        }
    }
}

/// Marker a score rule returns when its missing-data rule is not met.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Insufficient;

/// An error raised by the prelude. Its message is written by aspekt and
/// holds no runtime value, so it may be shown; an exception a script throws
/// may hold anything and is not.
#[derive(Clone, Debug)]
struct PreludeError(String);

fn prelude_error(message: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(PreludeError(message.into())), Position::NONE).into()
}

/// The operation budget of the rule running on this thread, counted across
/// every nested call.
///
/// Rhai counts operations per runtime state, and a native function calling
/// back into the script (`map`, `filter`, `reduce`, the sorts) runs the
/// callback on a *copy* of that state whose count is dropped on return, so
/// a callback starts again from the caller's count: 500 callbacks of 15,000
/// operations each ran under a 20,000-operation budget, and `map` inside
/// `map` multiplied that without end. The engine's progress callback sees
/// every operation of every copy; the meter adds them up for one run
/// ([`Rule::run`], a definition script) and stops the run when the sum
/// passes the budget. The callbacks of the prelude are charged one
/// operation each on top, so that a native function used as a callback
/// (which Rhai does not count) costs something too.
///
/// Per thread: a run is synchronous, and each thread runs one rule at a
/// time. Outside a run (nothing metered) only Rhai's own count applies.
mod meter {
    use std::cell::Cell;

    thread_local! {
        /// (operations spent, budget) of the run on this thread.
        static RUN: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
    }

    /// A metered run; the previous meter (if any) comes back on drop.
    pub(super) struct Run {
        previous: Option<(u64, u64)>,
    }

    /// Starts metering a run with `budget` operations.
    pub(super) fn start(budget: u64) -> Run {
        Run {
            previous: RUN.with(|r| r.replace(Some((0, budget)))),
        }
    }

    impl Drop for Run {
        fn drop(&mut self) {
            let previous = self.previous;
            RUN.with(|r| r.set(previous));
        }
    }

    /// Spends `n` operations; `false` once the run's budget is exceeded.
    pub(super) fn spend(n: u64) -> bool {
        RUN.with(|r| match r.get() {
            None => true,
            Some((spent, budget)) => {
                let spent = spent.saturating_add(n);
                r.set(Some((spent, budget)));
                spent <= budget
            }
        })
    }
}

/// Calls a callback of the prelude, charging it one operation.
/// One instance for every arity (a slice, not an array): each instance
/// carries Rhai's whole call machinery into the WebAssembly module.
fn call_back(
    ctx: &NativeCallContext,
    f: &FnPtr,
    args: &mut [Dynamic],
) -> Result<Dynamic, Box<EvalAltResult>> {
    if !meter::spend(1) {
        return Err(EvalAltResult::ErrorTooManyOperations(ctx.call_position()).into());
    }
    f.call_raw(ctx, None, args)
}

/// A sandboxed Rhai engine with the prelude registered.
pub(crate) fn engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    // Operators on numbers, strings and booleans are Rhai's built-in ones
    // (checked: overflow and division by zero are errors). Everything else a
    // rule may call is registered below, function by function (`standard`),
    // so the language is exactly what the book documents, on every host.
    // No Rhai package is registered: their extra functions (`sign`,
    // `is_odd`, map `drain` …) were undocumented, and their registration
    // code was 20 KB of the WebAssembly module's gzip size.
    standard(&mut engine);

    engine.set_strict_variables(true);
    engine.set_fail_on_invalid_map_property(true);
    // `eval` would compile code the compiler never saw.
    engine.disable_symbol("eval");
    // Closures capture variables as shared values behind a lock; contention
    // on it makes Rhai sleep outside the operation budget (and panic in
    // WASM). Named functions and `Fn("name")` remain.
    engine.set_allow_anonymous_fn(false);
    // `curry` stores values inside a function pointer, where no size limit
    // looks: `f = f.curry(f)` doubles them at one operation a step. A
    // pointer is then only a function's name (at most `string_size` bytes).
    engine.disable_symbol("curry");
    // Rhai counts the operations of a callback (`map`, `filter`, a sort's
    // comparer …) on a copy of the call's state and forgets them when it
    // returns: every callback got a fresh budget. The meter counts every
    // operation of the rule, wherever it runs.
    engine.on_progress(|_| (!meter::spend(1)).then_some(Dynamic::UNIT));
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

/// The compiler's engine: like [`engine`], and every operation also spends
/// a step of the compile budget, stopping the rule (`ErrorTerminated`) once
/// it is exhausted. Only the compiler's engine carries the compile meter;
/// the evaluator's engine is built without it.
pub(crate) fn metered_engine(limits: &Limits, compile: &crate::rules::budget::Meter) -> Engine {
    let mut engine = engine(limits);
    let compile = compile.clone();
    engine.on_progress(move |_| {
        let within = meter::spend(1) & compile.spend(1);
        (!within).then_some(Dynamic::UNIT)
    });
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
                return Err(prelude_error(format!(
                    "expected numbers or (), found {}",
                    v.type_name()
                )));
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
        let x = number(v).ok_or_else(|| prelude_error(format!("`{k}` is not a number")))?;
        entries.push((k.to_string(), x));
    }
    // Stable sort over the map's id order keeps ties in id order.
    crate::source::sorted::sort_by(&mut entries, |a, b| b.1.total_cmp(&a.1));
    Ok(entries)
}

/// A comparison that may fail (a comparer function that errs or runs out of
/// budget).
type Compare<'a> = dyn FnMut(&Dynamic, &Dynamic) -> Result<Ordering, Box<EvalAltResult>> + 'a;

/// A stable merge sort that cannot panic, whatever the comparison returns:
/// it never indexes, and stops at the comparison's first error. Recursion
/// is log2 of the length (at most the array-size limit).
fn merge_sort(mut v: Array, cmp: &mut Compare<'_>) -> Result<Array, Box<EvalAltResult>> {
    if v.len() <= 1 {
        return Ok(v);
    }
    let right = v.split_off(v.len() / 2);
    let left = merge_sort(v, cmp)?;
    let right = merge_sort(right, cmp)?;
    let mut out = Array::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_right = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => cmp(r, l)? == Ordering::Less,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        let next = if take_right {
            right.next()
        } else {
            left.next()
        };
        out.extend(next);
    }
    Ok(out)
}

/// An order of two values of one type.
type Order = fn(&Dynamic, &Dynamic) -> Ordering;

/// The natural order of an array whose elements share one sortable type:
/// integers, floats (NaN included, by IEEE total order), characters,
/// strings, booleans or ().
fn natural_order(array: &Array) -> Result<Order, Box<EvalAltResult>> {
    let Some(first) = array.first() else {
        return Ok(|_, _| Ordering::Equal);
    };
    let t = first.type_id();
    if array.iter().any(|v| v.type_id() != t) {
        return Err(prelude_error(
            "elements of different types cannot be sorted",
        ));
    }
    let order: Order = if t == TypeId::of::<INT>() {
        |a, b| a.as_int().unwrap_or(0).cmp(&b.as_int().unwrap_or(0))
    } else if t == TypeId::of::<rhai::FLOAT>() {
        |a, b| {
            a.as_float()
                .unwrap_or(0.0)
                .total_cmp(&b.as_float().unwrap_or(0.0))
        }
    } else if t == TypeId::of::<char>() {
        |a, b| {
            a.as_char()
                .unwrap_or('\0')
                .cmp(&b.as_char().unwrap_or('\0'))
        }
    } else if t == TypeId::of::<bool>() {
        |a, b| {
            a.as_bool()
                .unwrap_or(false)
                .cmp(&b.as_bool().unwrap_or(false))
        }
    } else if t == TypeId::of::<ImmutableString>() {
        |a, b| match (
            a.read_lock::<ImmutableString>(),
            b.read_lock::<ImmutableString>(),
        ) {
            (Some(a), Some(b)) => a.as_str().cmp(b.as_str()),
            _ => Ordering::Equal,
        }
    } else if t == TypeId::of::<()>() {
        |_, _| Ordering::Equal
    } else {
        return Err(prelude_error(format!(
            "elements of {} cannot be sorted",
            first.type_name()
        )));
    };
    Ok(order)
}

fn sorted_natural(array: Array, descending: bool) -> Result<Array, Box<EvalAltResult>> {
    let order = natural_order(&array)?;
    merge_sort(array, &mut |a, b| {
        Ok(if descending { order(b, a) } else { order(a, b) })
    })
}

/// Sorts with a comparer function: it returns a number (negative: `a`
/// first, positive: `b` first, 0: keep) or a boolean (`true`: `a` first).
fn sorted_by(
    ctx: &NativeCallContext,
    array: Array,
    comparer: &FnPtr,
) -> Result<Array, Box<EvalAltResult>> {
    merge_sort(array, &mut |a, b| {
        let v = call_back(ctx, comparer, &mut [a.clone(), b.clone()])?;
        if let Ok(n) = v.as_int() {
            Ok(n.cmp(&0))
        } else if let Ok(first) = v.as_bool() {
            Ok(if first {
                Ordering::Less
            } else {
                Ordering::Greater
            })
        } else {
            Err(prelude_error(format!(
                "a sort comparer returns a number or a boolean, not {}",
                v.type_name()
            )))
        }
    })
}

/// Replaces the array package's sorts (`sort`, `sort_by`, `sort_desc`,
/// `order`, `order_by`, `order_desc`) with panic-free ones. Functions
/// registered on the engine take precedence over packages.
fn safe_sorting(engine: &mut Engine) {
    fn in_place(
        array: &mut Array,
        f: impl FnOnce(Array) -> Result<Array, Box<EvalAltResult>>,
    ) -> Result<(), Box<EvalAltResult>> {
        *array = f(std::mem::take(array))?;
        Ok(())
    }
    for name in ["sort", "sort_by"] {
        engine.register_fn(
            name,
            |ctx: NativeCallContext, array: &mut Array, comparer: FnPtr| {
                in_place(array, |a| sorted_by(&ctx, a, &comparer))
            },
        );
    }
    for name in ["order", "order_by"] {
        engine.register_fn(
            name,
            |ctx: NativeCallContext, array: &mut Array, comparer: FnPtr| {
                sorted_by(&ctx, array.clone(), &comparer)
            },
        );
    }
    engine.register_fn("sort", |array: &mut Array| {
        in_place(array, |a| sorted_natural(a, false))
    });
    engine.register_fn("sort_desc", |array: &mut Array| {
        in_place(array, |a| sorted_natural(a, true))
    });
    engine.register_fn("order", |array: &mut Array| {
        sorted_natural(array.clone(), false)
    });
    engine.register_fn("order_desc", |array: &mut Array| {
        sorted_natural(array.clone(), true)
    });
}

/// The documented standard functions: iteration over ranges and arrays,
/// array basics with `Fn("name")` callbacks, math, conversions and string
/// conversion for interpolation.
fn standard(engine: &mut Engine) {
    use rhai::INT;
    engine.register_iterator::<Array>();
    engine.register_iterator::<std::ops::Range<INT>>();
    engine.register_iterator::<std::ops::RangeInclusive<INT>>();

    // Arrays.
    engine.register_fn("push", |a: &mut Array, v: Dynamic| a.push(v));
    engine.register_fn("len", |a: &mut Array| a.len() as INT);
    engine.register_fn("is_empty", |a: &mut Array| a.is_empty());
    engine.register_fn(
        "contains",
        |ctx: NativeCallContext, a: &mut Array, v: Dynamic| index_of(&ctx, a, &v).map(|i| i >= 0),
    );
    engine.register_fn(
        "index_of",
        |ctx: NativeCallContext, a: &mut Array, v: Dynamic| index_of(&ctx, a, &v),
    );
    engine.register_fn("reverse", |a: &mut Array| a.reverse());

    // Maps: keys and values in key order, size, membership (`"a" in m`),
    // and equality by value, like arrays.
    engine.register_fn("keys", |m: &mut Map| -> Array {
        m.keys()
            .map(|k| Dynamic::from(ImmutableString::from(k.as_str())))
            .collect()
    });
    engine.register_fn("values", |m: &mut Map| -> Array {
        m.values().cloned().collect()
    });
    engine.register_fn("len", |m: &mut Map| m.len() as INT);
    engine.register_fn("is_empty", |m: &mut Map| m.is_empty());
    engine.register_fn("contains", |m: &mut Map, key: ImmutableString| {
        m.contains_key(key.as_str())
    });
    engine.register_fn("==", |ctx: NativeCallContext, a: &mut Map, b: Map| {
        maps_equal(&ctx, a, &b)
    });
    engine.register_fn("!=", |ctx: NativeCallContext, a: &mut Map, b: Map| {
        maps_equal(&ctx, a, &b).map(|e| !e)
    });
    engine.register_fn("==", |ctx: NativeCallContext, a: &mut Array, b: Array| {
        arrays_equal(&ctx, a, &b)
    });
    engine.register_fn("!=", |ctx: NativeCallContext, a: &mut Array, b: Array| {
        arrays_equal(&ctx, a, &b).map(|e| !e)
    });
    engine.register_fn("map", |ctx: NativeCallContext, a: &mut Array, f: FnPtr| {
        a.iter()
            .map(|x| call_back(&ctx, &f, &mut [x.clone()]))
            .collect::<Result<Array, _>>()
    });
    engine.register_fn(
        "filter",
        |ctx: NativeCallContext, a: &mut Array, f: FnPtr| {
            let mut out = Array::new();
            for x in a.iter() {
                if call_back(&ctx, &f, &mut [x.clone()])?
                    .as_bool()
                    .unwrap_or(false)
                {
                    out.push(x.clone());
                }
            }
            Ok::<_, Box<EvalAltResult>>(out)
        },
    );
    engine.register_fn(
        "reduce",
        |ctx: NativeCallContext, a: &mut Array, f: FnPtr, init: Dynamic| {
            a.iter()
                .try_fold(init, |acc, x| call_back(&ctx, &f, &mut [acc, x.clone()]))
        },
    );

    // Math, on integers and floats.
    engine.register_fn("abs", |x: INT| x.checked_abs().unwrap_or(INT::MAX));
    engine.register_fn("abs", |x: f64| x.abs());
    engine.register_fn("floor", |x: f64| x.floor());
    engine.register_fn("ceiling", |x: f64| x.ceil());
    engine.register_fn("round", |x: f64| x.round());
    engine.register_fn("sqrt", |x: f64| x.sqrt());
    engine.register_fn("min", |a: INT, b: INT| a.min(b));
    engine.register_fn("max", |a: INT, b: INT| a.max(b));
    engine.register_fn("min", |a: f64, b: f64| a.min(b));
    engine.register_fn("max", |a: f64, b: f64| a.max(b));
    engine.register_fn("min", |a: INT, b: f64| (a as f64).min(b));
    engine.register_fn("max", |a: INT, b: f64| (a as f64).max(b));
    engine.register_fn("min", |a: f64, b: INT| a.min(b as f64));
    engine.register_fn("max", |a: f64, b: INT| a.max(b as f64));
    engine.register_fn("to_int", |x: INT| x);
    engine.register_fn("to_int", |x: f64| -> Result<INT, Box<EvalAltResult>> {
        if x.is_finite() && x.abs() < 9.0e15 {
            Ok(x.trunc() as INT)
        } else {
            Err(prelude_error(
                "to_int: the number is not finite or too large",
            ))
        }
    });
    engine.register_fn("to_float", |x: INT| x as f64);
    engine.register_fn("to_float", |x: f64| x);
    // Rhai's own formatting (`1016.0` for floats), as interpolation uses.
    engine.register_fn("to_string", |x: Dynamic| x.to_string());
    // `print` and `debug` format their value; the engine then hands the
    // text to `on_print`/`on_debug`, which discard it: a rule has no output.
    engine.register_fn("print", |x: Dynamic| x.to_string());
    engine.register_fn("debug", |x: Dynamic| format!("{x:?}"));
}

/// Whether two values are equal by `==`; values of different types never are.
fn same(ctx: &NativeCallContext, x: &Dynamic, y: &Dynamic) -> bool {
    x.type_id() == y.type_id()
        && ctx
            .call_native_fn::<bool>("==", (x.clone(), y.clone()))
            .unwrap_or(false)
}

/// Element-wise equality of two arrays.
fn arrays_equal(ctx: &NativeCallContext, a: &Array, b: &Array) -> Result<bool, Box<EvalAltResult>> {
    Ok(a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(ctx, x, y)))
}

/// Equality of two maps: the same keys, with equal values.
fn maps_equal(ctx: &NativeCallContext, a: &Map, b: &Map) -> Result<bool, Box<EvalAltResult>> {
    Ok(a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, x), (kb, y))| ka == kb && same(ctx, x, y)))
}

/// Position of `v` in `a` by `==` (of the same type), or -1.
fn index_of(
    ctx: &NativeCallContext,
    a: &Array,
    v: &Dynamic,
) -> Result<rhai::INT, Box<EvalAltResult>> {
    Ok(a.iter()
        .position(|x| same(ctx, x, v))
        .map_or(-1, |i| i as rhai::INT))
}

fn prelude(engine: &mut Engine) {
    safe_sorting(engine);
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
                // No k-th value to tie with.
                "all" if k == 0 => Vec::new(),
                "all" => {
                    let cut = r.get(k.saturating_sub(1)).map(|(_, v)| *v);
                    r.into_iter()
                        .enumerate()
                        .take_while(|(i, (_, v))| *i < k || Some(*v) == cut)
                        .map(|(_, (id, _))| id)
                        .collect()
                }
                // The rule's string is not repeated: it may be computed.
                _ => {
                    return Err(prelude_error("unknown tie rule: use \"all\" or \"id\""));
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
    let ast = compile_limited(engine, &scope, source)?;
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
        let value = {
            let _run = meter::start(engine.max_operations());
            engine.eval_ast_with_scope::<Dynamic>(&mut scope, &self.ast)
        }
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
        // The meter ends a run by terminating it; nothing else does.
        EvalAltResult::ErrorTooManyOperations(..) | EvalAltResult::ErrorTerminated(..) => {
            Some("operations")
        }
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
    let text = describe(e);
    let message = match limit {
        Some(l) => format!("hit the sandbox limit `{l}`: {text}{at}"),
        None => format!("{text}{at}"),
    };
    RuleFailure { message, limit }
}

/// What went wrong, without any runtime value: Rhai's messages repeat
/// operands, indices, map keys and thrown values, which may be answers.
fn describe(e: &EvalAltResult) -> String {
    use EvalAltResult as E;
    match e {
        E::ErrorRuntime(v, _) => match v.read_lock::<PreludeError>() {
            Some(p) => p.0.clone(),
            None => "threw an exception (its value is not shown: an error message must not carry answers)".to_string(),
        },
        E::ErrorArithmetic(m, _) => {
            let kind = m.split(':').next().unwrap_or_default().trim();
            if kind.is_empty() || kind.contains(|c: char| c.is_ascii_digit()) {
                "arithmetic error".to_string()
            } else {
                kind.to_string()
            }
        }
        E::ErrorArrayBounds(..) => "array index out of bounds".to_string(),
        E::ErrorStringBounds(..) => "string index out of bounds".to_string(),
        E::ErrorBitFieldBounds(..) => "bit index out of bounds".to_string(),
        E::ErrorIndexNotFound(..) => "index not found".to_string(),
        E::ErrorPropertyNotFound(..) => {
            "property not found (a rule's map holds only the ids it declares)".to_string()
        }
        E::ErrorTerminated(..) => "Too many operations".to_string(),
        // `Fn(name)` takes a computed string: show a name only when it
        // looks written, not derived from a number.
        E::ErrorFunctionNotFound(signature, _) => {
            let name = signature.split(" (").next().unwrap_or_default();
            let written = |c: char| c.is_ascii_alphabetic() || "_+-*/%<>=!&|^".contains(c);
            if !name.is_empty() && name.chars().all(written) {
                format!("function not found: {signature}")
            } else {
                "function not found (its name is not shown: it may be computed)".to_string()
            }
        }
        E::ErrorInFunctionCall(name, _, inner, _) => {
            format!("{} (in function `{name}`)", describe(inner))
        }
        other => {
            // The remaining messages name types, functions and variables
            // of the script, not values. Rhai appends its own position.
            let text = other.to_string();
            match text.rfind(" (line ") {
                Some(i) => text.get(..i).unwrap_or(&text).to_string(),
                None => text,
            }
        }
    }
}

/// Compiles with the input variable in scope, naming the sandbox limit a
/// parse error hits.
fn compile_limited(engine: &Engine, scope: &Scope<'_>, source: &str) -> Result<AST, ParseError> {
    engine
        .compile_with_scope(scope, source)
        .map_err(|e| name_parse_limit(engine, e))
        .map_err(|e| name_curry(source, e))
}

/// What a rule using `curry` hears: Rhai reports the disabled keyword as
/// "reserved keyword 'curry' is disabled" (`curry(f, x)`) or "Expecting
/// name of a property" (`f.curry(x)`).
fn name_curry(source: &str, e: ParseError) -> ParseError {
    let ParseError(kind, pos) = e;
    // The position of the property Rhai expected: where `curry` stands.
    let at_curry = || {
        let (Some(line), Some(column)) = (pos.line(), pos.position()) else {
            return false;
        };
        let at = crate::source::span::offset_of(source, line, column);
        source.get(at..).is_some_and(|t| t.starts_with("curry"))
    };
    let curry = match &*kind {
        ParseErrorType::BadInput(LexError::ImproperSymbol(symbol, _)) => symbol == "curry",
        ParseErrorType::PropertyExpected => at_curry(),
        _ => false,
    };
    if !curry {
        return ParseError(kind, pos);
    }
    ParseError(
        Box::new(ParseErrorType::BadInput(LexError::Runtime(
            "`curry` is not available in rules: a curried function pointer holds values no sandbox limit counts; pass the values as arguments when calling the function instead"
                .to_string(),
        ))),
        pos,
    )
}

fn name_parse_limit(engine: &Engine, e: ParseError) -> ParseError {
    let ParseError(kind, pos) = e;
    let message = match &*kind {
        ParseErrorType::ExprTooDeep => format!(
            "hit the sandbox limit `expr_depth`: expressions nest at most {} levels ({} inside functions)",
            engine.max_expr_depth(),
            engine.max_function_expr_depth()
        ),
        ParseErrorType::TooManyFunctions => format!(
            "hit the sandbox limit `functions`: a rule defines at most {} functions",
            engine.max_functions()
        ),
        ParseErrorType::LiteralTooLarge(what, max) => {
            let limit = if what.contains("string") {
                "string_size"
            } else if what.contains("array") {
                "array_size"
            } else {
                "map_size"
            };
            format!("hit the sandbox limit `{limit}`: {what} exceeds the maximum ({max})")
        }
        ParseErrorType::BadInput(LexError::StringTooLong(max)) => format!(
            "hit the sandbox limit `string_size`: a string literal exceeds the maximum ({max})"
        ),
        _ => return ParseError(kind, pos),
    };
    ParseError(
        Box::new(ParseErrorType::BadInput(LexError::Runtime(message))),
        pos,
    )
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

    fn array(values: &[Option<f64>]) -> String {
        let parts: Vec<String> = values
            .iter()
            .map(|v| v.map_or("()".to_string(), |x| format!("{x:?}")))
            .collect();
        format!("[{}]", parts.join(", "))
    }

    /// Runs a rule over `scores` and returns its number.
    fn number(src: &str, m: Map) -> f64 {
        match run(src, "scores", m) {
            Ok(Returned::Number(x)) => x,
            other => panic!("{src}: {other:?}"),
        }
    }

    /// The prelude behaves as the book's rule chapter says.
    #[test]
    fn prelude_semantics() {
        let none = Map::new;
        let a = array(&[Some(1.0), Some(2.0), None]);
        assert_eq!(number(&format!("sum({a})"), none()), 3.0);
        assert_eq!(number("sum([])", none()), 0.0);
        assert_eq!(number("sum([(), ()])", none()), 0.0);
        assert_eq!(number("mean([3, (), 4])", none()), 3.5);
        assert_eq!(
            run("mean([(), ()])", "scores", none()),
            Err(RuleFailure {
                message:
                    "returned a value that is neither a number, an outcome id nor insufficient()"
                        .to_string(),
                limit: None
            })
        );
        assert_eq!(number("count_answered([1, (), 3])", none()), 2.0);
        assert_eq!(number("prorate([2, (), 4])", none()), 9.0);
        assert_eq!(number("prorate([2, 3])", none()), 5.0);
        assert_eq!(number("reverse(2, 1, 5)", none()), 4.0);
        assert_eq!(
            number("if reverse((), 1, 5) == () { 1 } else { 0 }", none()),
            1.0
        );
        assert_eq!(number("clamp(120.0, 0.0, 100.0)", none()), 100.0);
        assert_eq!(number("clamp(-3, 0, 10)", none()), 0.0);
        assert!(run("clamp(5, 0.0, 10.0)", "scores", none()).is_err());
        // Maps work like arrays.
        let m = scores(&[("a", Some(3.0)), ("b", None), ("c", Some(4.0))]);
        assert_eq!(number("sum(scores)", m.clone()), 7.0);
        assert_eq!(number("mean(scores)", m.clone()), 3.5);
        assert_eq!(number("count_answered(scores)", m.clone()), 2.0);
        assert_eq!(number("prorate(scores)", m), 10.5);
        // Non-numbers are errors, with a message naming the type only.
        let e = run("sum([\"x\"])", "scores", none()).unwrap_err();
        assert!(
            e.message
                .starts_with("expected numbers or (), found string"),
            "{e}"
        );
    }

    #[test]
    fn rank_and_top_follow_their_tie_rules() {
        let m = || {
            scores(&[
                ("b", Some(2.0)),
                ("a", Some(2.0)),
                ("c", Some(5.0)),
                ("d", None),
            ])
        };
        let is = |src: &str, want: &str| {
            let rule = format!("if {src} == {want} {{ \"yes\" }} else {{ \"no\" }}");
            assert_eq!(
                run(&rule, "scores", m()),
                Ok(Returned::Outcome("yes".into())),
                "{src} should be {want}"
            );
        };
        is("rank(scores)", r#"["c", "a", "b"]"#);
        is(r#"top(scores, 1, "all")"#, r#"["c"]"#);
        is(r#"top(scores, 2, "all")"#, r#"["c", "a", "b"]"#);
        is(r#"top(scores, 2, "id")"#, r#"["c", "a"]"#);
        is(r#"top(scores, 9, "id")"#, r#"["c", "a", "b"]"#);
        is(r#"top(scores, 0, "all")"#, "[]");
        is(r#"top(scores, -1, "id")"#, "[]");
        let e = run(r#"top(scores, 1, "most")"#, "scores", m()).unwrap_err();
        assert!(e.message.starts_with("unknown tie rule"), "{e}");
    }

    #[test]
    fn sorting_cannot_panic() {
        // 40 floats with NaN among them: Rust's slice sort panics on this
        // (not a total order); the sandbox's merge sort does not.
        let src = r#"
            let a = [];
            for i in 0..40 { a.push(if i % 3 == 0 { 0.0 / 0.0 } else { (i * 7 % 13).to_float() }); }
            a.sort();
            if a[0] > a[1] { return "unsorted"; }
            a.sort_desc();
            let b = a.order();
            fn liar(x, y) { -1 }
            b.sort(Fn("liar"));
            fn desc(x, y) { y - x }
            let c = [3, 1, 2];
            c.sort(Fn("desc"));
            let d = ["b", "a"].order();
            if c == [3, 2, 1] && d == ["a", "b"] { "sorted" } else { "unsorted" }
        "#;
        assert_eq!(
            run(src, "scores", Map::new()),
            Ok(Returned::Outcome("sorted".into()))
        );
        // Mixed types and comparer errors are errors, not panics.
        assert!(run("[1, \"a\"].sort(); 1", "scores", Map::new()).is_err());
        let e = run(
            "fn stall(x, y) { loop {} } [3, 1, 2].sort(Fn(\"stall\")); 1",
            "scores",
            Map::new(),
        )
        .unwrap_err();
        assert_eq!(e.limit, Some("operations"));
    }

    #[test]
    fn messages_do_not_repeat_values() {
        for src in [
            "throw 1234",
            "let x = 1234 / 0;",
            "let x = [][1234];",
            "let m = #{}; m[\"1234\"]",
            "let f = Fn(\"f1234\"); f.call()",
        ] {
            let e = run(src, "scores", Map::new()).unwrap_err();
            assert!(!e.message.contains("1234"), "{src}: {e}");
        }
    }

    /// Operators are Rhai's built-in ones (no package registered): integer
    /// and float arithmetic, mixed comparisons, checked overflow, `!`.
    #[test]
    fn operators_are_the_documented_ones() {
        let none = Map::new;
        assert_eq!(number("1 + 2.5", none()), 3.5);
        assert_eq!(number("7 / 2", none()), 3.0);
        assert_eq!(number("7.5 % 2", none()), 1.5);
        assert_eq!(number("2 ** 10", none()), 1024.0);
        assert_eq!(
            number(
                "if 3 > 2.5 && 1 == 1.0 && !(2.0 <= 1) { 1 } else { 0 }",
                none()
            ),
            1.0
        );
        assert_eq!(number("let x = 2; x **= 3; x -= 0.5; x", none()), 7.5);
        for overflow in [
            "9223372036854775807 + 1",
            "1 / 0",
            "5 % 0",
            "2 ** 63",
            "2 ** -1",
        ] {
            assert!(run(overflow, "scores", none()).is_err(), "{overflow}");
        }
    }

    /// Maps have exactly the functions the book lists: `keys`, `values`,
    /// `len`, `is_empty`, `contains` (and `in`), `==` and `!=`.
    #[test]
    fn maps_have_the_documented_functions() {
        let m = scores(&[("a", Some(3.0)), ("b", None), ("c", Some(4.0))]);
        let n = |src: &str| number(src, m.clone());
        assert_eq!(
            n("let s = 0.0; for k in scores.keys() { if scores[k] != () { s += scores[k]; } } s"),
            7.0
        );
        assert_eq!(n("scores.keys().len() + scores.len()"), 6.0);
        assert_eq!(n("sum(scores.values())"), 7.0);
        assert_eq!(
            n(
                "if \"a\" in scores && !(\"z\" in scores) && scores.contains(\"c\") { 1 } else { 0 }"
            ),
            1.0
        );
        assert_eq!(
            n("if scores.is_empty() || #{}.len() != 0 { 0 } else { 1 }"),
            1.0
        );
        assert_eq!(
            n(
                "if #{a: 1, b: [2]} == #{b: [2], a: 1} && #{a: 1} != #{a: 1.5} && #{a: 1} != #{b: 1} { 1 } else { 0 }"
            ),
            1.0
        );
        // Keys are strings: they index the map and compare with strings.
        assert_eq!(n("if scores.keys()[0] == \"a\" { 1 } else { 0 }"), 1.0);
    }

    /// What Rhai's packages added beyond the book is not there.
    #[test]
    fn undocumented_package_functions_are_not_available() {
        let m = scores(&[("a", Some(3.0))]);
        for src in [
            "sign(-2)",
            "is_odd(3)",
            "is_zero(0)",
            "scores.remove(\"a\")",
            "scores.get(\"a\")",
            "let x = scores + #{b: 1}; 1",
            "scores.to_json()",
        ] {
            let e = run(src, "scores", m.clone()).unwrap_err();
            assert!(e.message.contains("not found"), "{src}: {e}");
        }
    }

    #[test]
    fn curry_is_not_available() {
        let engine = engine(&Limits::default());
        for src in [
            "let f = Fn(\"g\");\nf = f.curry(1); 1",
            "let f = Fn(\"g\"); curry(f, 1); 1",
            "let f = Fn(\"g\"); f.curry(); 1",
        ] {
            let e = compile_rule(&engine, src, "scores").unwrap_err();
            assert!(
                e.to_string().contains("`curry` is not available"),
                "{src}: {e}"
            );
        }
        // A pointer to the keyword cannot be made, so it cannot be called.
        let e = run(
            "fn g(x) { x } let c = Fn(\"curry\"); c.call(Fn(\"g\"), 1); 1",
            "scores",
            Map::new(),
        )
        .unwrap_err();
        assert_eq!(e.limit, None, "{e}");
        // Function pointers without curry remain, for callbacks.
        assert_eq!(
            run(
                "fn twice(x) { x * 2 } let f = Fn(\"twice\"); f.call(2) + call(f, 3) + [4].map(f)[0]",
                "scores",
                Map::new()
            ),
            Ok(Returned::Number(18.0))
        );
    }

    /// Callbacks of `map`, `filter`, `reduce` and the sorts spend the
    /// rule's one budget: Rhai alone gave each callback a fresh one.
    #[test]
    fn callbacks_share_the_operation_budget() {
        let burn = "fn burn(x) { let s = 0; for j in 0..2000 { s += 1; } s } ";
        for call in [
            "a.map(Fn(\"burn\"))",
            "a.filter(Fn(\"burn\"))",
            "a.reduce(Fn(\"burn2\"), 0)",
            "a.sort(Fn(\"burn2\"))",
            "a.order_by(Fn(\"burn2\"))",
        ] {
            let src = format!(
                "{burn} fn burn2(x, y) {{ burn(x) }} let a = []; for i in 0..20 {{ a.push(i); }} {call}; 1"
            );
            // 20 callbacks of about 6,000 operations each: within Rhai's
            // per-call count, beyond the rule's budget.
            let e = run(&src, "scores", Map::new()).unwrap_err();
            assert_eq!(e.limit, Some("operations"), "{call}: {e}");
            // Two callbacks fit.
            let small = src.replace("0..20", "0..2");
            assert!(run(&small, "scores", Map::new()).is_ok(), "{call}");
        }
        // A native function as the callback is charged too.
        let e = run(
            "let a = []; for i in 0..500 { a.push([]); } for k in 0..100 { a.map(Fn(\"len\")); } 1",
            "scores",
            Map::new(),
        )
        .unwrap_err();
        assert_eq!(e.limit, Some("operations"), "{e}");
    }

    #[test]
    fn closures_are_not_available() {
        let engine = engine(&Limits::default());
        assert!(compile_rule(&engine, "let f = |x| x + 1; 1", "scores").is_err());
    }

    #[test]
    fn parse_limits_are_named() {
        let engine = engine(&Limits::default());
        let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        let e = compile_rule(&engine, &deep, "scores").unwrap_err();
        assert!(e.to_string().contains("`expr_depth`"), "{e}");
        let long = format!("\"{}\"", "x".repeat(2_000));
        let e = compile_rule(&engine, &long, "scores").unwrap_err();
        assert!(e.to_string().contains("`string_size`"), "{e}");
    }

    #[test]
    fn definition_scripts_return_shallow_maps() {
        let engine = engine(&Limits::for_definitions());
        assert!(run_definition_script(&engine, "#{ a: [#{ b: 1 }] }").is_ok());
        let (_, e) = run_definition_script(&engine, "let x = 1;").unwrap_err();
        assert!(e.contains("instead of an object map"), "{e}");
        let (_, e) =
            run_definition_script(&engine, "let v = []; for i in 0..40 { v = [v]; } #{ v: v }")
                .unwrap_err();
        assert!(e.contains("nested more than 32 levels"), "{e}");
        // Thousands of levels deep: refused by the limits, on a large stack.
        let (_, e) =
            run_definition_script(&engine, "let v = []; loop { v = [#{ x: v }]; }").unwrap_err();
        assert!(e.contains("sandbox limit"), "{e}");
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
#[cfg(test)]
mod interpolation {
    use super::*;
    #[test]
    fn interpolation_formats_like_rhai() {
        let engine = engine(&Limits::default());
        let s: String = engine
            .eval(r#"let x = 1016.0; let i = 3; `f${x}-${i}-${true}`"#)
            .unwrap_or_default();
        assert_eq!(s, "f1016.0-3-true");
    }
}
