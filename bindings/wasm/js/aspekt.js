// aspekt in the browser and in Node: an ES module around the zero-import
// WebAssembly module (bindings/wasm). No dependencies.
//
//   import { Aspekt } from "./aspekt.js";
//   const aspekt = await Aspekt.load();               // ./aspekt.wasm beside this file
//   const who5 = aspekt.compileLibrary("who5");       // from ./library.json beside it
//   const report = who5.evaluate({ answers: { q1: 3 }, consent: { notice: "2026-11" } });
//
// The memory protocol of the module (see bindings/wasm/src/lib.rs): the host
// allocates input buffers with `aspekt_alloc`, writes UTF-8 into them, calls
// a function, which returns `ptr << 32 | len` of a UTF-8 result (a u64, so a
// BigInt in JavaScript), and returns both the input and the result buffer
// with `aspekt_free`. Everything here follows that protocol exactly, so
// repeated calls reuse the module's memory instead of growing it.
//
// The module embeds no instrument library (it would make it about 240 KB
// larger): bindings/wasm/build.sh writes it beside the module as
// `library.json` ({"format": 1, "profile", "entries", "instruments": {id:
// {"name", "definition", "files"}}}), which `Aspekt.load` fetches with the
// module; `compileLibrary(id)` compiles the instrument's text from it.

/** The ABI version this wrapper speaks (`aspekt_abi_version()`). */
export const ABI_VERSION = 1;

const REQUIRED_EXPORTS = [
  "memory",
  "aspekt_abi_version",
  "aspekt_alloc",
  "aspekt_free",
  "aspekt_compile",
  "aspekt_evaluate",
  "aspekt_disclosure",
  "aspekt_library",
  "aspekt_drop",
];

/** Error codes that are about the request (as opposed to the definition). */
const REQUEST_CODES = new Set([
  "malformed_json",
  "invalid_request",
  "unknown_item",
  "invalid_code",
  "unknown_topic",
  "answer_in_declined_topic",
  "unknown_locale",
  "unknown_audience",
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ------------------------------------------------------------------ errors

/**
 * An error reported by aspekt: the error envelope `{"error": {...}}` of the
 * JSON surface as an exception. `code`, `path` and `help` are the envelope's
 * fields; `json` is the envelope exactly as the module returned it.
 */
export class AspektError extends Error {
  /**
   * @param {{code: string, message: string, path?: string|null, help?: string|null, diagnostics?: any[]}} body
   * @param {string} [json]
   */
  constructor(body, json) {
    super(body.message);
    this.name = new.target.name;
    /** Stable error code, e.g. `invalid_code`. */
    this.code = body.code;
    /** JSON path of the offending value, or null. */
    this.path = body.path ?? null;
    /** How to fix it, or null. */
    this.help = body.help ?? null;
    /** Diagnostics (only for definition errors; empty otherwise). */
    this.diagnostics = body.diagnostics ?? [];
    /** The error envelope as JSON, byte for byte as the module produced it. */
    this.json = json ?? JSON.stringify({ error: body });
  }

  /** The envelope's body as a plain object. */
  toJSON() {
    const body = { code: this.code, message: this.message, path: this.path, help: this.help };
    if (this.diagnostics.length > 0) body.diagnostics = this.diagnostics;
    return { error: body };
  }
}

/** The definition does not compile (`invalid_definition`, with
 * `diagnostics`) or names no library instrument (`unknown_definition`). */
export class DefinitionError extends AspektError {}

/** The request is malformed or does not fit the definition
 * (`malformed_json`, `invalid_request`, `unknown_item`, `invalid_code`,
 * `unknown_topic`, `answer_in_declined_topic`, `unknown_locale`,
 * `unknown_audience`). */
export class RequestError extends AspektError {}

/** Consent to the definition's privacy notice is missing or for another
 * version (`consent_required`). A kind of {@link RequestError}. */
export class ConsentError extends RequestError {}

/** A scripted rule of the definition failed or hit a sandbox limit
 * (`rule_failed`). */
export class RuleError extends AspektError {}

/** A fault inside the engine or the module (`internal`, a trap, a wrong ABI
 * version or missing exports). The instance may be unusable afterwards. */
export class InternalError extends AspektError {}

/** The error class for an error code. */
export function errorClass(code) {
  if (code === "consent_required") return ConsentError;
  if (code === "invalid_definition" || code === "unknown_definition") return DefinitionError;
  if (code === "rule_failed") return RuleError;
  if (REQUEST_CODES.has(code)) return RequestError;
  if (code === "internal") return InternalError;
  return AspektError;
}

/** Builds the typed error for an error envelope (object or JSON text). */
export function errorFromEnvelope(envelope) {
  const json = typeof envelope === "string" ? envelope : JSON.stringify(envelope);
  const body = (typeof envelope === "string" ? JSON.parse(envelope) : envelope).error;
  const Class = errorClass(body.code);
  return new Class(body, json);
}

function internal(message, help = null) {
  return new InternalError({ code: "internal", message, path: null, help });
}

// Results of the module start with exactly this when they are an error
// envelope (serde writes compact JSON, keys in declaration order; a report,
// form or statement never has an `error` key).
const ENVELOPE_PREFIX = '{"error":';

function isEnvelope(text) {
  return text.startsWith(ENVELOPE_PREFIX);
}

// ------------------------------------------------------------------ loading

async function bytesOf(source) {
  if (source instanceof ArrayBuffer) return source;
  if (ArrayBuffer.isView(source)) return source;
  if (typeof Response !== "undefined" && source instanceof Response) {
    if (!source.ok) throw internal(`could not load the aspekt module: HTTP ${source.status} for ${source.url}`);
    return source.arrayBuffer();
  }
  throw new TypeError("Aspekt.load: expected a URL, a Response, bytes or a WebAssembly.Module");
}

function urlOf(source) {
  if (source instanceof URL) return source;
  return new URL(source, globalThis.location?.href ?? import.meta.url);
}

// Reads a URL: fetch, or the file system in Node for `file:` URLs.
async function get(url) {
  if (url.protocol === "file:") {
    // Node: fetch does not read files. The specifier is in a variable so
    // bundlers for the browser leave it alone.
    const fs = "node:fs/promises";
    const { readFile } = await import(/* @vite-ignore */ /* webpackIgnore: true */ fs);
    return readFile(url);
  }
  return fetch(url, { credentials: "same-origin" });
}

async function instantiate(source) {
  if (source === undefined) source = new URL("./aspekt.wasm", import.meta.url);
  if (source && typeof source.then === "function") source = await source;
  if (source instanceof WebAssembly.Module) return WebAssembly.instantiate(source, {});
  if (typeof source === "string" || source instanceof URL) source = await get(urlOf(source));
  if (
    typeof Response !== "undefined" &&
    source instanceof Response &&
    source.ok &&
    typeof WebAssembly.instantiateStreaming === "function" &&
    (source.headers.get("content-type") ?? "").split(";")[0].trim() === "application/wasm"
  ) {
    const { instance } = await WebAssembly.instantiateStreaming(source, {});
    return instance;
  }
  const { instance } = await WebAssembly.instantiate(await bytesOf(source), {});
  return instance;
}

// ------------------------------------------------------------------ library

const LIBRARY_FORMAT = 1;
const LIBRARY_HELP =
  "build the module with bindings/wasm/build.sh, which writes library.json beside aspekt.wasm, " +
  "and serve it there, or pass its location: Aspekt.load(module, { library: url })";

function libraryError(message, help = LIBRARY_HELP) {
  return new DefinitionError({ code: "unknown_definition", message, path: "library", help });
}

// Where the bundle is by default: beside the module when the module is
// given by URL, else beside this file.
function defaultLibrary(source) {
  if (typeof source === "string" || source instanceof URL) return new URL("library.json", urlOf(source));
  return new URL("./library.json", import.meta.url);
}

// Reads and checks a library bundle: a URL, a Response, bytes, JSON text or
// the parsed object.
async function readLibrary(source) {
  const where = typeof source === "string" || source instanceof URL ? String(source) : "the given bundle";
  let bundle = source;
  if (bundle && typeof bundle.then === "function") bundle = await bundle;
  if (typeof bundle === "string" || bundle instanceof URL) {
    let url = null;
    try {
      url = urlOf(bundle);
    } catch {
      // Not a URL: JSON text.
    }
    if (url !== null && !(typeof bundle === "string" && bundle.trimStart().startsWith("{"))) {
      try {
        bundle = await get(url);
      } catch (e) {
        throw libraryError(`could not load the instrument library from ${url}: ${e?.message ?? e}`);
      }
    }
  }
  if (typeof Response !== "undefined" && bundle instanceof Response) {
    if (!bundle.ok) {
      throw libraryError(`could not load the instrument library: HTTP ${bundle.status} for ${bundle.url || where}`);
    }
    bundle = await bundle.text();
  }
  if (bundle instanceof ArrayBuffer || ArrayBuffer.isView(bundle)) bundle = decoder.decode(bundle);
  if (typeof bundle === "string") {
    try {
      bundle = JSON.parse(bundle);
    } catch (e) {
      throw libraryError(`the instrument library at ${where} is not JSON: ${e.message}`);
    }
  }
  if (
    bundle === null ||
    typeof bundle !== "object" ||
    bundle.format !== LIBRARY_FORMAT ||
    !Array.isArray(bundle.entries) ||
    typeof bundle.instruments !== "object" ||
    bundle.instruments === null
  ) {
    throw libraryError(
      `${where} is not an aspekt library bundle (format ${LIBRARY_FORMAT} with \`entries\` and \`instruments\`)`,
      "use the library.json that bindings/wasm/build.sh wrote together with the module",
    );
  }
  return bundle;
}

// ------------------------------------------------------------------ instance

const finalizer =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry(({ aspekt, handle }) => aspekt._dropHandle(handle))
    : null;

/** A loaded aspekt module. Create with {@link Aspekt.load}. */
export class Aspekt {
  /**
   * Loads and instantiates the module, and the instrument library beside it.
   *
   * @param {string|URL|Response|Promise<Response>|ArrayBuffer|ArrayBufferView|WebAssembly.Module} [source]
   *   where the module is: a URL (relative URLs resolve against the page,
   *   `file:` URLs are read from disk in Node), a fetch `Response`, the
   *   module's bytes, or a compiled `WebAssembly.Module`. Default:
   *   `aspekt.wasm` beside this file.
   * @param {{library?: string|URL|Response|ArrayBuffer|ArrayBufferView|object|false}} [options]
   *   `library`: where the instrument library bundle (`library.json`) is —
   *   a URL, a `Response`, its bytes or text, or the parsed object — or
   *   `false` to load none. Default: `library.json` beside the module when
   *   the module is given by URL, else beside this file. A bundle given here
   *   must load; the default one may be missing, and then `library()` and
   *   `compileLibrary()` say why.
   * @returns {Promise<Aspekt>}
   */
  static async load(source, options = {}) {
    const given = options.library;
    const library =
      given === false
        ? Promise.resolve({ error: libraryError("no instrument library was loaded (Aspekt.load with library: false)") })
        : readLibrary(given ?? defaultLibrary(source)).then(
            (bundle) => ({ bundle }),
            (error) => {
              if (given !== undefined) throw error;
              return { error };
            },
          );
    // Both at once; the library must not leave an unhandled rejection when
    // the module fails.
    const [instance, lib] = await Promise.all([instantiate(source), library]);
    const aspekt = new Aspekt(instance);
    aspekt._library = lib;
    return aspekt;
  }

  /** @param {WebAssembly.Instance} instance */
  constructor(instance) {
    const exports = instance.exports;
    const missing = REQUIRED_EXPORTS.filter((name) => !(name in exports));
    if (missing.length > 0) {
      throw internal(
        `this is not an aspekt module: it lacks ${missing.join(", ")}`,
        "load the aspekt_wasm.wasm built by bindings/wasm/build.sh",
      );
    }
    /** The raw exports, for hosts that speak the ABI themselves. */
    this.exports = exports;
    /** The module's linear memory. */
    this.memory = exports.memory;
    /** `aspekt_abi_version()`. */
    this.abiVersion = exports.aspekt_abi_version();
    if (this.abiVersion !== ABI_VERSION) {
      throw internal(
        `the module speaks ABI version ${this.abiVersion}, this wrapper speaks ${ABI_VERSION}`,
        "use the aspekt.js that was built together with the module",
      );
    }
    this._broken = null;
    this._library = { error: libraryError("no instrument library was loaded (the Aspekt was constructed directly)", "call aspekt.loadLibrary(url) or use Aspekt.load") };
  }

  /**
   * Loads (or replaces) the instrument library bundle: a URL, a `Response`,
   * its bytes or text, or the parsed object (see {@link Aspekt.load}).
   * @returns {Promise<void>}
   */
  async loadLibrary(source) {
    this._library = { bundle: await readLibrary(source) };
  }

  /** Whether an instrument library is loaded. */
  get hasLibrary() {
    return this._library.bundle !== undefined;
  }

  _bundle() {
    if (this._library.bundle === undefined) throw this._library.error;
    return this._library.bundle;
  }

  /** Whether the module exports `aspekt_transparency`. */
  get hasTransparency() {
    return typeof this.exports.aspekt_transparency === "function";
  }

  /** Whether the module exports `aspekt_form`. */
  get hasForm() {
    return typeof this.exports.aspekt_form === "function";
  }

  // Writes `text` into a fresh module buffer, calls `fn(...args, ptr, len)`,
  // reads the packed result and frees both buffers.
  _call(fn, args, text) {
    if (this._broken) throw this._broken;
    const x = this.exports;
    let ptr = 0;
    let len = 0;
    if (text !== undefined) {
      const bytes = encoder.encode(text);
      len = bytes.length;
      if (len > 0) {
        ptr = x.aspekt_alloc(len);
        if (ptr === 0) throw internal(`aspekt_alloc(${len}) failed`);
        new Uint8Array(x.memory.buffer, ptr, len).set(bytes);
      }
    }
    let packed;
    try {
      packed = text === undefined ? fn(...args) : fn(...args, ptr, len);
    } catch (e) {
      // A trap (a panic aborts): the module's state is undefined from here on.
      this._broken = internal(
        `the aspekt module trapped: ${e?.message ?? e}`,
        "load the module again; please report this with the definition and request",
      );
      throw this._broken;
    } finally {
      if (len > 0 && !this._broken) x.aspekt_free(ptr, len);
    }
    return this._take(packed);
  }

  // Unpacks `ptr << 32 | len` (a signed i64 in JavaScript), decodes the
  // UTF-8 result and frees it.
  _take(packed) {
    const bits = BigInt.asUintN(64, BigInt(packed));
    const ptr = Number(bits >> 32n);
    const len = Number(bits & 0xffffffffn);
    if (len === 0) return "";
    // A fresh view: the call may have grown (and so detached) the buffer.
    const text = decoder.decode(new Uint8Array(this.memory.buffer, ptr, len));
    this.exports.aspekt_free(ptr, len);
    return text;
  }

  _dropHandle(handle) {
    if (!this._broken) this.exports.aspekt_drop(handle);
  }

  /**
   * The instrument library with metadata (from the loaded bundle), sorted
   * by id. Throws a {@link DefinitionError} when no library is loaded.
   * @returns {import("./aspekt.js").LibraryEntry[]}
   */
  library() {
    return structuredClone(this._bundle().entries);
  }

  /** The counselling profile: the library instruments a session goes
   * through by default, in order (`definitions/PROFILE.md`). */
  profile() {
    return [...(this._bundle().profile ?? [])];
  }

  /**
   * Compiles a definition's text (TOML, or Rhai when `name` ends in `.rhai`).
   * Throws a {@link DefinitionError} with `diagnostics` when it does not
   * compile.
   *
   * @param {string} text
   * @param {{name?: string, files?: Record<string, string>}} [options]
   *   `name` for diagnostics (default `definition.toml`); `files`: rule files
   *   the definition names, by file name.
   */
  compile(text, options = {}) {
    if (typeof text !== "string") throw new TypeError("compile: the definition must be a string");
    const request = { definition: text };
    if (options.name !== undefined) request.name = options.name;
    if (options.files !== undefined) request.files = options.files;
    return this._compile(JSON.stringify(request));
  }

  /**
   * Compiles a library instrument by id, e.g. `who5`: its text from the
   * loaded bundle, under its path (`definitions/who5/definition.toml`) with
   * its rule files — the same evaluator, digest and reports as the native
   * library. Throws a {@link DefinitionError} (`unknown_definition`) for an
   * unknown id or when no library is loaded.
   */
  compileLibrary(id) {
    const { instruments } = this._bundle();
    const instrument = Object.hasOwn(instruments, id) ? instruments[id] : undefined;
    if (instrument === undefined) {
      const known = Object.keys(instruments).sort().map((k) => `\`${k}\``).join(", ");
      throw libraryError(`the library has no instrument \`${id}\``, `use one of ${known}`);
    }
    return this.compile(instrument.definition, { name: instrument.name, files: instrument.files ?? {} });
  }

  /** Compiles from the raw compile request JSON. */
  compileJson(json) {
    return this._compile(json);
  }

  _compile(json) {
    const out = this._call(this.exports.aspekt_compile, [], json);
    if (isEnvelope(out)) throw errorFromEnvelope(out);
    const { handle, definition } = JSON.parse(out);
    return new Definition(this, handle, definition);
  }
}

// ------------------------------------------------------------------ definition

/** A compiled definition, alive in the module until {@link Definition#drop}. */
export class Definition {
  /** @param {Aspekt} aspekt @param {number} handle @param {object} info */
  constructor(aspekt, handle, info) {
    this.aspekt = aspekt;
    /** The module's handle (handles of dropped definitions are reused). */
    this.handle = handle;
    /** What the module reported about the definition (id, version, digest,
     * locales, audiences, privacy_notice, mode, warnings). */
    this.info = info;
    this._token = {};
    finalizer?.register(this, { aspekt, handle }, this._token);
  }

  get id() {
    return this.info.id;
  }

  get dropped() {
    return this.handle === 0;
  }

  _live() {
    if (this.handle === 0) {
      throw new RequestError({
        code: "invalid_request",
        message: `the definition \`${this.info.id}\` was dropped`,
        path: null,
        help: "compile it again",
      });
    }
    return this.handle;
  }

  _result(out) {
    if (isEnvelope(out)) throw errorFromEnvelope(out);
    return out;
  }

  /**
   * Evaluates a request and returns the report's JSON exactly as the engine
   * wrote it. Throws the typed error (whose `json` is the exact error
   * envelope) otherwise.
   * @param {string} json
   * @returns {string}
   */
  evaluateJson(json) {
    if (typeof json !== "string") throw new TypeError("evaluateJson: the request must be a string");
    const handle = this._live();
    return this._result(this.aspekt._call(this.aspekt.exports.aspekt_evaluate, [handle], json));
  }

  /**
   * Evaluates a request (an object, serialised with JSON.stringify, or JSON
   * text) and returns the report.
   */
  evaluate(request) {
    const json = typeof request === "string" ? request : JSON.stringify(request);
    return JSON.parse(this.evaluateJson(json));
  }

  _localeCall(name, locale) {
    const fn = this.aspekt.exports[name];
    if (typeof fn !== "function") {
      throw internal(`this aspekt module has no \`${name}\``, "rebuild it with bindings/wasm/build.sh");
    }
    const handle = this._live();
    const input = locale === undefined || locale === null ? "" : JSON.stringify({ locale });
    return JSON.parse(this._result(this.aspekt._call(fn, [handle], input)));
  }

  /**
   * The transparency statement (who sees which result) in `locale`, or the
   * definition's default locale.
   */
  transparency(locale) {
    return this._localeCall("aspekt_transparency", locale);
  }

  /** The form (topics, items and options to present) in `locale`, or the
   * definition's default locale. */
  form(locale) {
    return this._localeCall("aspekt_form", locale);
  }

  /** The disclosure analysis. */
  disclosure() {
    const handle = this._live();
    return JSON.parse(this._result(this.aspekt._call(this.aspekt.exports.aspekt_disclosure, [handle])));
  }

  /** Frees the compiled definition in the module. Idempotent; afterwards
   * every method throws. */
  drop() {
    if (this.handle === 0) return;
    finalizer?.unregister(this._token);
    this.aspekt._dropHandle(this.handle);
    this.handle = 0;
  }
}

if (typeof Symbol.dispose === "symbol") {
  Definition.prototype[Symbol.dispose] = Definition.prototype.drop;
}

export default Aspekt;
