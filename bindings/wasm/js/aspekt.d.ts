// Types for aspekt.js: the aspekt WebAssembly module in browsers and Node.
// The JSON shapes follow the schemas in schemas/ (request, report, error)
// and the engine's Form, Transparency, Disclosure and library listing.

/** The ABI version this wrapper speaks. */
export declare const ABI_VERSION: 1;

// ------------------------------------------------------------------ requests

/** Consent to a privacy notice (schemas/request.schema.json). */
export interface Consent {
  /** The version of the privacy notice the person agreed to. */
  notice: string;
}

/** A request to evaluate one person's answers (schemas/request.schema.json). */
export interface Request {
  /** Answers by item id: an integer code from the item's scale, or null (not
   * answered). Items left out are not answered. */
  answers?: Record<string, number | null>;
  /** Topics the person declined. A declined topic is never scored. */
  declined?: string[];
  /** Consent to the privacy notice the definition requires. */
  consent?: Consent | null;
  /** Locale of the report's texts; default: the definition's first locale. */
  locale?: string | null;
  /** Who the report is for; default `participant`. */
  audience?: string | null;
}

// ------------------------------------------------------------------ reports

/** Identity of a definition. */
export interface DefinitionRef {
  id: string;
  version: string;
  /** `sha256:` digest of the definition's canonical form. */
  digest: string;
}

/** Identity of the engine. */
export interface EngineRef {
  version: string;
}

/** Whether a result was scored. */
export type Status = "ok" | "declined" | "insufficient";

/** A band's position. */
export interface BandRef {
  id: string;
  /** 0 = lowest band. */
  index: number;
  /** Number of bands. */
  of: number;
}

/** One released result. */
export interface ResultEntry {
  id: string;
  /** The topic the result belongs to. */
  topic: string;
  status: Status;
  /** The band, when `ok`. */
  band: BandRef | null;
  /** Short label in the report's locale. */
  label: string;
  /** Explanation in the report's locale. */
  explanation: string;
}

/** The evaluated summary for one audience (schemas/report.schema.json). It
 * holds no answer, no item id, no item text and no score value. */
export interface Report {
  definition: DefinitionRef;
  engine: EngineRef;
  locale: string;
  audience: string;
  /** The results this audience may see, in definition order. */
  results: ResultEntry[];
}

// ------------------------------------------------------------------ errors

/** Error codes of the JSON surface (schemas/error.schema.json), plus the
 * wrapper's own `internal` for traps and ABI mismatches. */
export type ErrorCode =
  | "malformed_json"
  | "invalid_request"
  | "unknown_item"
  | "invalid_code"
  | "unknown_topic"
  | "answer_in_declined_topic"
  | "unknown_locale"
  | "unknown_audience"
  | "consent_required"
  | "invalid_definition"
  | "unknown_definition"
  | "rule_failed"
  | "internal";

export type RequestErrorCode =
  | "malformed_json"
  | "invalid_request"
  | "unknown_item"
  | "invalid_code"
  | "unknown_topic"
  | "answer_in_declined_topic"
  | "unknown_locale"
  | "unknown_audience"
  | "consent_required";

/** A 1-based line and column (columns count characters). */
export interface LineCol {
  line: number;
  column: number;
}

/** A secondary place that helps explain a diagnostic. */
export interface Related {
  message: string;
  location?: LineCol | null;
}

export type Severity = "error" | "warning";

/** One finding about a definition. `code` is one of the stable diagnostic
 * codes (`syntax`, `unknown_key`, `band_gap`, `disclosure`, …). */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  help?: string | null;
  /** The source's name, e.g. `definition.toml`. */
  file: string;
  location?: LineCol | null;
  /** Other places that help explain it (left out when empty). */
  related?: Related[];
}

/** The body of the error envelope. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  path: string | null;
  help: string | null;
  /** Only for definition errors (left out when empty). */
  diagnostics?: Diagnostic[];
}

/** The error envelope `{"error": {...}}`. */
export interface ErrorEnvelope {
  error: ErrorBody;
}

/** Any error aspekt reports, as an exception. */
export declare class AspektError extends Error {
  readonly code: ErrorCode;
  readonly path: string | null;
  readonly help: string | null;
  /** Diagnostics (definition errors); empty otherwise. */
  readonly diagnostics: Diagnostic[];
  /** The error envelope exactly as the module returned it. */
  readonly json: string;
  constructor(body: ErrorBody, json?: string);
  toJSON(): ErrorEnvelope;
}

/** `invalid_definition` (with `diagnostics`) or `unknown_definition`. */
export declare class DefinitionError extends AspektError {
  readonly code: "invalid_definition" | "unknown_definition";
}

/** The request is malformed or does not fit the definition. */
export declare class RequestError extends AspektError {
  readonly code: RequestErrorCode;
}

/** `consent_required`: consent is missing or for another notice version. */
export declare class ConsentError extends RequestError {
  readonly code: "consent_required";
}

/** `rule_failed`: a scripted rule failed or hit a sandbox limit. */
export declare class RuleError extends AspektError {
  readonly code: "rule_failed";
}

/** `internal`: an engine fault, a trap, or a module this wrapper cannot use. */
export declare class InternalError extends AspektError {
  readonly code: "internal";
}

/** The error class for an error code. */
export declare function errorClass(code: string): typeof AspektError;

/** The typed error for an error envelope (object or JSON text). */
export declare function errorFromEnvelope(envelope: ErrorEnvelope | string): AspektError;

// ------------------------------------------------------------------ definitions

export type Mode = "questionnaire" | "interview";

/** What the module reports about a compiled definition. */
export interface CompileInfo {
  id: string;
  version: string;
  digest: string;
  /** Declared locales; the first is the default. */
  locales: string[];
  /** Audiences results can be released to. */
  audiences: string[];
  /** The privacy-notice version consent is required for, if any. */
  privacy_notice: string | null;
  mode: Mode;
  /** Warnings found while compiling. */
  warnings: Diagnostic[];
}

/** One instrument of the library (an entry of `library.json`). */
export interface LibraryEntry {
  id: string;
  version: string;
  /** Title in the default locale. */
  title: string;
  locales: string[];
  /** Number of items. */
  items: number;
  /** Typical minutes to answer. */
  minutes: number | null;
  /** Licence or terms of use. */
  licence: string;
  /** Whether the terms allow commercial use, if known. */
  commercial_use: boolean | null;
  mode: Mode;
}

/** One option of an item. */
export interface FormOption {
  /** The code to send as the answer. */
  code: number;
  label: string;
}

/** One item (question). */
export interface FormItem {
  /** Item id, as used in a request's `answers`. */
  id: string;
  text: string;
  /** The options to choose from, in presentation order. */
  options: FormOption[];
}

/** A group of items the person can decline as a whole. */
export interface FormTopic {
  /** Topic id, as used in a request's `declined`. */
  id: string;
  title: string;
  description: string | null;
  items: FormItem[];
}

/** A questionnaire ready to present, in one locale. Nothing about scoring. */
export interface Form {
  id: string;
  version: string;
  digest: string;
  /** Locale of the texts. */
  locale: string;
  /** Every declared locale; the first is the default. */
  locales: string[];
  title: string;
  description: string;
  instructions: string | null;
  mode: Mode;
  /** The privacy-notice version to consent to first, if any. */
  privacy_notice: string | null;
  minutes: number | null;
  /** Topics in presentation order, each with its items. */
  topics: FormTopic[];
}

/** Who sees one result. */
export interface ResultVisibility {
  id: string;
  /** Result title in the statement's locale. */
  title: string;
  /** Audience ids that receive the result. */
  audiences: string[];
  /** Display names of its audiences (the participant always among them). */
  seen_by: string[];
  /** Display names of those who do not see it. */
  not_seen_by: string[];
  /** The reason of a waiver of the disclosure guarantee, or null. */
  waiver: string | null;
}

/** What a person is told before answering: who sees what. */
export interface Transparency {
  definition: DefinitionRef;
  title: string;
  locale: string;
  mode: Mode;
  privacy_notice: string | null;
  /** Who sees the individual answers (nobody). */
  answers: string;
  results: ResultVisibility[];
  /** That every topic can be skipped, and what happens then. */
  voluntary: string;
  /** That results are material for a conversation, not a recommendation. */
  no_recommendation: string;
  /** The whole statement as plain text, laid out for a terminal. */
  text: string;
}

/** How an outcome's ambiguity was established. */
export type Method = "exact" | "enumerated" | "waived" | "interview" | "derived";

export interface OutcomeFinding {
  outcome: string;
  min_ambiguity: number | null;
  worst_item: string | null;
}

export interface ResultFinding {
  audience: string;
  result: string;
  k: number;
  method: Method;
  jointly_with: string[];
  outcomes: OutcomeFinding[];
  waiver: string | null;
}

/** The disclosure analysis of a definition. */
export interface Disclosure {
  results: ResultFinding[];
}

/** The raw exports of the module (ABI version 1). Results are
 * `ptr << 32 | len` as a (signed) BigInt. */
export interface AspektExports {
  memory: WebAssembly.Memory;
  aspekt_abi_version(): number;
  aspekt_alloc(len: number): number;
  aspekt_free(ptr: number, len: number): void;
  aspekt_compile(ptr: number, len: number): bigint;
  aspekt_evaluate(handle: number, ptr: number, len: number): bigint;
  aspekt_disclosure(handle: number): bigint;
  /** Lists the embedded library; the module embeds none, so this returns
   * an `invalid_request` envelope that points to `library.json`. */
  aspekt_library(): bigint;
  aspekt_drop(handle: number): void;
  aspekt_transparency?(handle: number, ptr: number, len: number): bigint;
  aspekt_form?(handle: number, ptr: number, len: number): bigint;
}

/** Where the module comes from. */
export type ModuleSource =
  | string
  | URL
  | Response
  | PromiseLike<Response>
  | ArrayBuffer
  | ArrayBufferView
  | WebAssembly.Module;

/** The instrument library bundle `library.json` that
 * bindings/wasm/build.sh writes beside the module. */
export interface LibraryBundle {
  format: 1;
  /** The counselling profile: instrument ids in session order. */
  profile: string[];
  /** The listing, sorted by id. */
  entries: LibraryEntry[];
  /** Each instrument's text by id: its path (the compile `name`), the
   * definition and its rule files by file name. */
  instruments: Record<string, { name: string; definition: string; files: Record<string, string> }>;
}

/** Where the library bundle comes from; `false` loads none. */
export type LibrarySource = string | URL | Response | ArrayBuffer | ArrayBufferView | LibraryBundle;

export interface LoadOptions {
  /** The library bundle (default: `library.json` beside the module when it
   * is given by URL, else beside aspekt.js; a missing default bundle is
   * reported by `library()` and `compileLibrary()`), or `false`. */
  library?: LibrarySource | PromiseLike<LibrarySource> | false;
}

export interface CompileOptions {
  /** The definition's name for diagnostics (default `definition.toml`);
   * a name ending in `.rhai` compiles a definition written in Rhai. */
  name?: string;
  /** Rule files the definition names, by file name. */
  files?: Record<string, string>;
}

/** A loaded aspekt module. */
export declare class Aspekt {
  /** Loads the module: a URL (default: `aspekt.wasm` beside aspekt.js;
   * `file:` URLs are read from disk in Node), a Response, bytes, or a
   * compiled WebAssembly.Module; and the instrument library bundle. */
  static load(source?: ModuleSource | PromiseLike<ModuleSource>, options?: LoadOptions): Promise<Aspekt>;
  constructor(instance: WebAssembly.Instance);
  readonly abiVersion: number;
  readonly exports: AspektExports;
  readonly memory: WebAssembly.Memory;
  /** Whether the module exports `aspekt_transparency`. */
  readonly hasTransparency: boolean;
  /** Whether the module exports `aspekt_form`. */
  readonly hasForm: boolean;
  /** Loads or replaces the instrument library bundle. */
  loadLibrary(source: LibrarySource | PromiseLike<LibrarySource>): Promise<void>;
  /** Whether an instrument library is loaded. */
  readonly hasLibrary: boolean;
  /** The instrument library; throws {@link DefinitionError} when none is
   * loaded. */
  library(): LibraryEntry[];
  /** The counselling profile: instrument ids in session order. */
  profile(): string[];
  /** Compiles a definition; throws {@link DefinitionError}. */
  compile(text: string, options?: CompileOptions): Definition;
  /** Compiles a library instrument from the loaded bundle; throws
   * {@link DefinitionError} (`unknown_definition`) for an unknown id or
   * when no library is loaded. */
  compileLibrary(id: string): Definition;
  /** Compiles from a raw compile request (`{"definition": …, "name": …,
   * "files": …}`; the module embeds no library, so `{"library": …}` gives
   * `unknown_definition` with help). */
  compileJson(json: string): Definition;
}

/** A compiled definition, alive in the module until dropped. */
export declare class Definition {
  readonly aspekt: Aspekt;
  /** The module's handle; 0 once dropped. */
  readonly handle: number;
  readonly info: CompileInfo;
  readonly id: string;
  readonly dropped: boolean;
  /** Evaluates a request; throws {@link RequestError}, {@link ConsentError},
   * {@link RuleError}. */
  evaluate(request: Request | string): Report;
  /** Evaluates request JSON and returns the report JSON byte for byte as
   * the engine wrote it; on failure the thrown error's `json` is the exact
   * envelope. */
  evaluateJson(json: string): string;
  /** The transparency statement in `locale` (default: the definition's
   * first). Throws {@link RequestError} `unknown_locale`, or
   * {@link InternalError} when the module lacks the export. */
  transparency(locale?: string): Transparency;
  /** The form in `locale` (default: the definition's first). */
  form(locale?: string): Form;
  /** The disclosure analysis. */
  disclosure(): Disclosure;
  /** Frees the definition in the module; afterwards every method throws. */
  drop(): void;
}

export default Aspekt;
