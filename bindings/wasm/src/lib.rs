//! The aspekt engine as a WebAssembly module with **zero imports**.
//!
//! A thin translation layer over [`aspekt::api`]: JSON in, JSON out, results
//! returned as a pointer and a length packed into one `u64`
//! (`ptr << 32 | len`), never NUL-terminated. Compile once, evaluate many:
//! a compiled definition lives behind a handle until the host drops it.
//!
//! Memory protocol: the host asks for input buffers with [`aspekt_alloc`],
//! writes UTF-8 into them, calls a function, reads the result, and returns
//! **both** the input and the result buffer with [`aspekt_free`]. Nothing
//! else allocates across calls, so repeated evaluations reuse memory.
//!
//! The ABI is documented in the book (chapter "Embedding: the WebAssembly
//! ABI"); [`ABI_VERSION`] changes with any incompatible change.

use std::cell::RefCell;

use aspekt::Evaluator;

/// The ABI version. Hosts check it before anything else.
pub const ABI_VERSION: u32 = 1;

/// A slot of the handle table: its generation and what it holds.
struct Slot {
    generation: u32,
    evaluator: Option<Evaluator>,
}

thread_local! {
    /// Compiled definitions. A handle is `generation << 16 | (index + 1)`
    /// (0 is never a handle): dropping a definition bumps its slot's
    /// generation, so a stale handle is refused instead of silently naming
    /// the next definition compiled into the same slot.
    static HANDLES: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// Slots a module holds at once.
const MAX_SLOTS: usize = 0xffff;

fn slot_of(handle: u32) -> (usize, u32) {
    (((handle & 0xffff) as usize).wrapping_sub(1), handle >> 16)
}

/// Packs an owned string into a leaked boxed slice and returns `ptr << 32 | len`.
fn give(out: String) -> u64 {
    let bytes: Box<[u8]> = out.into_bytes().into_boxed_slice();
    let len = bytes.len() as u64;
    let ptr = Box::into_raw(bytes) as *mut u8 as usize as u64;
    (ptr << 32) | len
}

/// Reads a host buffer as UTF-8 text, or gives the error envelope.
///
/// # Safety
/// `ptr..ptr+len` must be a buffer obtained from [`aspekt_alloc`] (or any
/// memory of this module) that the host has filled and not yet freed.
unsafe fn take(ptr: u32, len: u32) -> Result<String, String> {
    if len == 0 {
        return Ok(String::new());
    }
    // SAFETY: the caller guarantees the range is this module's memory and
    // initialised; we only read it, and copy before returning.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
    // The engine decides what bytes that are not UTF-8 are: a
    // `malformed_json` request error at the root path, as in every binding.
    aspekt::api::text_of_json(bytes).map(str::to_string)
}

fn with_handle(handle: u32, f: impl FnOnce(&Evaluator) -> String) -> String {
    let (index, generation) = slot_of(handle);
    let evaluator = HANDLES.with(|h| {
        h.borrow()
            .get(index)
            .filter(|s| s.generation == generation)
            .and_then(|s| s.evaluator.clone())
    });
    match evaluator {
        Some(e) => f(&e),
        None => aspekt::api::invalid_request_json(
            &format!("handle {handle} is not a compiled definition"),
            "use a handle returned by aspekt_compile that has not been dropped",
        ),
    }
}

/// The ABI version ([`ABI_VERSION`]).
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_abi_version() -> u32 {
    ABI_VERSION
}

/// Allocates `len` bytes for the host to write input into. Returns 0 when
/// `len` is 0.
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_alloc(len: u32) -> u32 {
    if len == 0 {
        return 0;
    }
    let buf: Box<[u8]> = vec![0u8; len as usize].into_boxed_slice();
    Box::into_raw(buf) as *mut u8 as usize as u32
}

/// Frees a buffer from [`aspekt_alloc`] or a result (its pointer and length).
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_free(ptr: u32, len: u32) {
    if ptr == 0 || len == 0 {
        return;
    }
    // SAFETY: every buffer this module hands out is a `Box<[u8]>` of exactly
    // `len` bytes leaked with `Box::into_raw`; the host returns it once.
    unsafe {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            ptr as usize as *mut u8,
            len as usize,
        )));
    }
}

/// Compiles a definition from a JSON compile request
/// (`{"definition": "...", "name": "x.toml", "files": {...}}`). Returns
/// `{"handle": N, "definition": {...}}` or the error envelope.
///
/// The module embeds no instrument library (the engine's `library` feature
/// is off: it would add about 240 KB). `bindings/wasm/build.sh` writes the
/// library beside the module as `library.json`; a host compiles an
/// instrument by sending its text, name and rule files from there.
/// `{"library": "who5"}` gives `unknown_definition` with that help.
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_compile(ptr: u32, len: u32) -> u64 {
    // SAFETY: see `take`; the host passes a buffer it filled.
    let input = match unsafe { take(ptr, len) } {
        Ok(s) => s,
        Err(e) => return give(e),
    };
    give(match aspekt::api::compile_json(&input) {
        Ok((evaluator, info)) => {
            let handle = HANDLES.with(|h| {
                let mut h = h.borrow_mut();
                // Reuse a dropped slot, so compiling and dropping in a loop
                // does not grow the table.
                let index = match h.iter().position(|s| s.evaluator.is_none()) {
                    Some(i) => i,
                    None if h.len() < MAX_SLOTS => {
                        h.push(Slot {
                            generation: 0,
                            evaluator: None,
                        });
                        h.len() - 1
                    }
                    None => return None,
                };
                let slot = h.get_mut(index)?;
                slot.evaluator = Some(evaluator);
                Some((slot.generation << 16) | (index as u32 + 1))
            });
            let Some(handle) = handle else {
                return give(aspekt::api::invalid_request_json(
                    "65,535 definitions are compiled at once; none can be added",
                    "drop definitions you no longer need with aspekt_drop",
                ));
            };
            format!("{{\"handle\":{handle},\"definition\":{info}}}")
        }
        Err(envelope) => envelope,
    })
}

/// Evaluates a JSON request with a compiled definition: the report, or the
/// error envelope.
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_evaluate(handle: u32, ptr: u32, len: u32) -> u64 {
    // SAFETY: see `take`.
    let input = match unsafe { take(ptr, len) } {
        Ok(s) => s,
        Err(e) => return give(e),
    };
    give(with_handle(handle, |e| {
        aspekt::api::evaluate_json(e, &input)
    }))
}

/// The transparency statement of a compiled definition (input
/// `{"locale": "de"}`, or empty for the default locale).
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_transparency(handle: u32, ptr: u32, len: u32) -> u64 {
    // SAFETY: see `take`.
    let input = match unsafe { take(ptr, len) } {
        Ok(s) => s,
        Err(e) => return give(e),
    };
    give(with_handle(handle, |e| {
        aspekt::api::transparency_json(e, &input)
    }))
}

/// The form of a compiled definition: topics, items and options to present
/// (input as for [`aspekt_transparency`]).
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_form(handle: u32, ptr: u32, len: u32) -> u64 {
    // SAFETY: see `take`.
    let input = match unsafe { take(ptr, len) } {
        Ok(s) => s,
        Err(e) => return give(e),
    };
    give(with_handle(handle, |e| aspekt::api::form_json(e, &input)))
}

/// The disclosure analysis of a compiled definition.
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_disclosure(handle: u32) -> u64 {
    give(with_handle(handle, aspekt::api::disclosure_json))
}

/// The embedded instrument library with its metadata. The module embeds
/// none, so this is an `invalid_request` envelope whose help points to
/// `library.json` (see [`aspekt_compile`]).
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_library() -> u64 {
    give(aspekt::api::library_json())
}

/// Drops a compiled definition. Unknown handles are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn aspekt_drop(handle: u32) {
    let (index, generation) = slot_of(handle);
    HANDLES.with(|h| {
        if let Some(slot) = h.borrow_mut().get_mut(index)
            && slot.generation == generation
            && slot.evaluator.is_some()
        {
            slot.evaluator = None;
            // Stale handles to this slot are refused from now on.
            slot.generation = (slot.generation + 1) & 0xffff;
        }
    });
}
