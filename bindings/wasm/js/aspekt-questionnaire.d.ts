// Types for aspekt-questionnaire.js: the <aspekt-questionnaire> element.
import type { AspektError, CompileInfo, Report } from "./aspekt.js";

/** A definition given as text, or with a name and rule files. */
export type DefinitionSource =
  | string
  | { definition: string; name?: string; files?: Record<string, string> };

/**
 * `<aspekt-questionnaire>`: presents aspekt questionnaires and evaluates
 * them in the page.
 *
 * Attributes: `src` (module URL; default `aspekt.wasm` beside the script),
 * `library` (instrument ids, separated by spaces), `locale` (e.g. `de`,
 * `en`), `audience` (default `participant`).
 */
export declare class AspektQuestionnaire extends HTMLElement {
  static readonly observedAttributes: string[];
  /** A definition's TOML text, presented after the `library` instruments. */
  definition: DefinitionSource | null;
  /** The current locale. */
  locale: string | null;
  /** The reports of the last evaluation (they hold no answers). */
  readonly reports: Report[];
  /** Info about the compiled definitions. */
  readonly definitions: CompileInfo[];
  /** Forgets all answers and starts over at the privacy notice. */
  restart(): void;
}

export interface AspektQuestionnaireEventMap {
  /** The definitions compiled; the privacy notice is showing. */
  "aspekt-ready": CustomEvent<{ definitions: CompileInfo[]; locale: string }>;
  /** The participant switched the language. */
  "aspekt-locale": CustomEvent<{ locale: string }>;
  /** One per questionnaire after evaluation: the report (no answers). */
  "aspekt-report": CustomEvent<Report>;
  /** Loading, compiling or evaluating failed. */
  "aspekt-error": CustomEvent<{ error: AspektError | Error }>;
}

declare global {
  interface HTMLElementTagNameMap {
    "aspekt-questionnaire": AspektQuestionnaire;
  }
  interface HTMLElementEventMap extends AspektQuestionnaireEventMap {}
}

export default AspektQuestionnaire;
