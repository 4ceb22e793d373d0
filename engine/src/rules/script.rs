//! Definition scripts: a definition written in Rhai runs in the sandbox
//! with the definition limits, and the object map it returns is turned
//! into TOML tables the reader reads like any definition.

use super::*;

/// How deep the value a definition script returns may nest. A definition
/// is about six levels deep (`result` → result → `band` → band → `label`
/// → text); serialising a deeper value to TOML would recurse per level.
const DEFINITION_DEPTH: usize = 32;

/// The stack of the thread a definition script runs on (native only).
#[cfg(not(target_arch = "wasm32"))]
const DEFINITION_STACK: usize = 64 * 1024 * 1024;

/// Runs a definition script and returns the object map it evaluates to, or
/// the error with its (line, column).
///
/// Natively the script runs on a thread of its own with a large stack:
/// [`Limits::for_definitions`] lets a value nest thousands of levels deep,
/// and Rhai clones and drops nested values recursively. The value comes
/// back only if it nests at most [`DEFINITION_DEPTH`] levels.
pub(crate) fn run_definition_script(
    engine: &Engine,
    source: &str,
) -> Result<Dynamic, (Option<(usize, usize)>, String)> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let joined = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("aspekt-definition-script".to_string())
                .stack_size(DEFINITION_STACK)
                .spawn_scoped(scope, || run_definition_script_here(engine, source))
                .map(|handle| handle.join())
        });
        match joined {
            Ok(Ok(result)) => return result,
            Ok(Err(_)) => {
                return Err((
                    None,
                    "the definition script crashed the sandbox (this is a bug in aspekt; please report it)"
                        .to_string(),
                ));
            }
            // No thread available: run on this one.
            Err(_) => {}
        }
    }
    run_definition_script_here(engine, source)
}

fn run_definition_script_here(
    engine: &Engine,
    source: &str,
) -> Result<Dynamic, (Option<(usize, usize)>, String)> {
    let ast = compile_limited(engine, &Scope::new(), source)
        .map_err(|e| (parse_position(&e), e.0.to_string()))?;
    let value = {
        let _run = meter::start(engine.max_operations());
        engine.eval_ast::<Dynamic>(&ast)
    }
    .map_err(|e| {
        let message = failure(&e).message;
        // The position is reported separately, as file:line:col.
        let message = match message.rfind(" (line ") {
            Some(i) => message.get(..i).unwrap_or(&message).to_string(),
            None => message,
        };
        (position(e.position()), message)
    })?;
    if !value.is_map() {
        return Err((
            None,
            format!(
                "it returns {} instead of an object map; end the script with the definition, #{{ questionnaire: #{{...}}, item: [...], ... }}",
                value.type_name()
            ),
        ));
    }
    if nests_deeper(&value, DEFINITION_DEPTH) {
        // Dropped here, on the script's own (large) stack.
        return Err((
            None,
            format!("it returns a value nested more than {DEFINITION_DEPTH} levels deep"),
        ));
    }
    Ok(value)
}

/// The object map a definition script returned, as a TOML table: maps become
/// tables, arrays arrays, and integers, floats, booleans, strings and
/// characters their TOML values. Anything else (`()`, a function pointer, a
/// range) has no TOML form and is refused with its key path. Nesting is
/// bounded by [`run_definition_script`] ([`DEFINITION_DEPTH`]).
pub(crate) fn definition_table(value: &Dynamic) -> Result<Vec<(String, Node)>, String> {
    match node(value, &mut String::new())? {
        Node::Table(t) => Ok(t),
        _ => Err(format!(
            "it returns {} instead of an object map",
            value.type_name()
        )),
    }
}

fn node(value: &Dynamic, path: &mut String) -> Result<Node, String> {
    if let Some(m) = value.read_lock::<Map>() {
        let mut table = Vec::with_capacity(m.len());
        // A Rhai map iterates in key order: the table stays sorted.
        for (key, v) in m.iter() {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let converted = node(v, path)?;
            path.truncate(len);
            table.push((key.to_string(), converted));
        }
        return Ok(Node::Table(table));
    }
    if let Some(a) = value.read_lock::<Array>() {
        let mut array = Vec::with_capacity(a.len());
        for (i, v) in a.iter().enumerate() {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            array.push(node(v, path)?);
            path.truncate(len);
        }
        return Ok(Node::Array(array));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Node::Integer(i));
    }
    if let Ok(f) = value.as_float() {
        return Ok(Node::Float(f));
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Node::Boolean(b));
    }
    if let Ok(c) = value.as_char() {
        return Ok(Node::String(c.to_string()));
    }
    if let Some(s) = value.read_lock::<ImmutableString>() {
        return Ok(Node::String(s.to_string()));
    }
    let at = if path.is_empty() {
        "the definition".to_string()
    } else {
        format!("`{path}`")
    };
    Err(format!(
        "{at} is {}, which TOML cannot represent; use a string, number, boolean, array or object map (leave an optional key out instead of setting it to ())",
        value.type_name()
    ))
}

/// Whether arrays and maps in `v` nest more than `max` levels deep. The
/// recursion stops at `max`.
fn nests_deeper(v: &Dynamic, max: usize) -> bool {
    if let Some(a) = v.read_lock::<Array>() {
        max == 0 || a.iter().any(|x| nests_deeper(x, max - 1))
    } else if let Some(m) = v.read_lock::<Map>() {
        max == 0 || m.values().any(|x| nests_deeper(x, max - 1))
    } else {
        false
    }
}
