// <aspekt-questionnaire>: a drop-in web component that presents aspekt
// questionnaires and evaluates them in the page. Plain custom element, no
// framework, no dependencies besides aspekt.js.
//
//   <script type="module" src="/aspekt/aspekt-questionnaire.js"></script>
//   <aspekt-questionnaire library="who5 brs" locale="de">
//     <div slot="privacy-notice" lang="de">…Ihr Datenschutzhinweis…</div>
//     <div slot="privacy-notice" lang="en">…your privacy notice…</div>
//   </aspekt-questionnaire>
//
// Flow: privacy notice and transparency statement → consent → topics (each
// can be skipped) → evaluation in the page → the participant's report.
//
// Privacy: the only network requests are the ones that load the WebAssembly
// module and the instrument library beside it (`library.json`, see
// aspekt.js). Answers live in this element's memory, are evaluated by the module
// in the page and are never sent anywhere; the answer controls are not in a
// <form>, so not even a broken script can submit them. The `aspekt-report`
// event carries the report, which holds no answers.
//
// Attributes: src, library, locale, audience. Property: definition.
// Events: aspekt-ready, aspekt-locale, aspekt-report, aspekt-error.
// Styling: CSS custom properties (--aspekt-*) and ::part(); see book/src/web.md.

import { Aspekt, AspektError } from "./aspekt.js";

// ------------------------------------------------------------------ texts

const UI = {
  de: {
    language: "Sprache",
    loading: "Der Fragebogen wird geladen …",
    yourQuestionnaires: "Ihre Fragebögen",
    minutes: (n) => `Dauer: etwa ${n} ${n === 1 ? "Minute" : "Minuten"}`,
    items: (n) => `${n} ${n === 1 ? "Frage" : "Fragen"}`,
    privacyHeading: "Datenschutzhinweis",
    noticeVersion: (v) => `Version ${v}`,
    noticeFallback:
      "Ihre Antworten werden ausschließlich hier auf Ihrem Gerät ausgewertet. Sie werden nicht übertragen und nicht gespeichert.",
    transparencyHeading: "Wer sieht was?",
    answersHeading: "Ihre Antworten",
    resultsHeading: "Ihre Ergebnisse",
    seenBy: "Sehen es:",
    notSeenBy: "Sehen es nicht:",
    everyoneElse: "alle anderen",
    and: "und",
    waiver: "Hinweis: Bei diesem Ergebnis konnte nicht vollständig geprüft werden, ob es Rückschlüsse auf einzelne Antworten erlaubt. Begründung:",
    voluntaryHeading: "Freiwillig",
    noRecommendationHeading: "Keine Empfehlung",
    consentLabel: (versions) =>
      versions.length > 0
        ? `Ich habe den Datenschutzhinweis (${versions.map((v) => `Version ${v}`).join(", ")}) gelesen und bin einverstanden, dass meine Antworten hier auf diesem Gerät ausgewertet werden.`
        : "Ich bin einverstanden, dass meine Antworten hier auf diesem Gerät ausgewertet werden.",
    consentButton: "Zustimmen und beginnen",
    consentMissing: "Bitte bestätigen Sie zuerst, dass Sie einverstanden sind.",
    skip: "Dieses Thema überspringen",
    skippedNote: "Übersprungen. Dieses Thema wird nicht ausgewertet, nur als „übersprungen“ vermerkt. Wählen Sie „Dieses Thema überspringen“ noch einmal, um es doch zu beantworten.",
    skippedStatus: (t) => `Thema „${t}“ wird übersprungen.`,
    resumedStatus: (t) => `Thema „${t}“ wird wieder beantwortet.`,
    progress: (a, n) => `${a} von ${n} Fragen beantwortet`,
    clear: "Auswahl löschen",
    clearedStatus: "Auswahl gelöscht.",
    submit: "Auswerten",
    submitAnyway: "Trotzdem auswerten",
    incomplete: (n) =>
      `${n === 1 ? "Eine Frage ist" : `${n} Fragen sind`} noch offen. Sie können ${n === 1 ? "sie" : "sie"} beantworten, das Thema überspringen oder trotzdem auswerten – offene Fragen werden nicht geschätzt.`,
    local: "Ihre Antworten verlassen dieses Gerät nicht.",
    evaluated: "Die Auswertung ist fertig.",
    reportHeading: "Ihr Ergebnis",
    band: (i, of) => `Bereich ${i} von ${of}`,
    reportNote: "Ihre einzelnen Antworten wurden nicht übertragen und nicht gespeichert.",
    restart: "Neu beginnen",
    loadError: "Der Fragebogen konnte nicht geladen werden.",
    evalError: "Die Auswertung ist fehlgeschlagen.",
    details: "Technische Einzelheiten",
  },
  en: {
    language: "Language",
    loading: "Loading the questionnaire …",
    yourQuestionnaires: "Your questionnaires",
    minutes: (n) => `Takes about ${n} ${n === 1 ? "minute" : "minutes"}`,
    items: (n) => `${n} ${n === 1 ? "question" : "questions"}`,
    privacyHeading: "Privacy notice",
    noticeVersion: (v) => `Version ${v}`,
    noticeFallback:
      "Your answers are evaluated only here, on your device. They are neither sent anywhere nor stored.",
    transparencyHeading: "Who sees what?",
    answersHeading: "Your answers",
    resultsHeading: "Your results",
    seenBy: "Seen by:",
    notSeenBy: "Not seen by:",
    everyoneElse: "anyone else",
    and: "and",
    waiver: "Note: for this result it could not be fully checked whether it allows conclusions about single answers. Reason:",
    voluntaryHeading: "Voluntary",
    noRecommendationHeading: "No recommendation",
    consentLabel: (versions) =>
      versions.length > 0
        ? `I have read the privacy notice (${versions.map((v) => `version ${v}`).join(", ")}) and agree that my answers are evaluated here, on this device.`
        : "I agree that my answers are evaluated here, on this device.",
    consentButton: "Agree and start",
    consentMissing: "Please confirm first that you agree.",
    skip: "Skip this topic",
    skippedNote: "Skipped. This topic is not scored, only noted as \"skipped\". Choose \"Skip this topic\" again to answer it after all.",
    skippedStatus: (t) => `Topic "${t}" is skipped.`,
    resumedStatus: (t) => `Topic "${t}" is answered again.`,
    progress: (a, n) => `${a} of ${n} questions answered`,
    clear: "Clear choice",
    clearedStatus: "Choice cleared.",
    submit: "Evaluate",
    submitAnyway: "Evaluate anyway",
    incomplete: (n) =>
      `${n === 1 ? "One question is" : `${n} questions are`} still open. You can answer ${n === 1 ? "it" : "them"}, skip the topic, or evaluate anyway – open questions are not guessed.`,
    local: "Your answers do not leave this device.",
    evaluated: "The evaluation is done.",
    reportHeading: "Your result",
    band: (i, of) => `Range ${i} of ${of}`,
    reportNote: "Your individual answers were neither sent nor stored.",
    restart: "Start again",
    loadError: "The questionnaire could not be loaded.",
    evalError: "The evaluation failed.",
    details: "Technical details",
  },
};

const LANGUAGE_NAMES = { de: "Deutsch", en: "English" };

function ui(locale) {
  return UI[locale] ?? UI[String(locale).split("-")[0]] ?? UI.en;
}

function languageName(locale) {
  if (LANGUAGE_NAMES[locale]) return LANGUAGE_NAMES[locale];
  try {
    return new Intl.DisplayNames([locale], { type: "language" }).of(locale) ?? locale;
  } catch {
    return locale;
  }
}

function join(names, and) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} ${and} ${names[names.length - 1]}`;
}

// ------------------------------------------------------------------ styles

const STYLE = `
:host {
  --_accent: var(--aspekt-accent, #0b5cad);
  --_accent-contrast: var(--aspekt-accent-contrast, #ffffff);
  --_text: var(--aspekt-text, #1f2328);
  --_muted: var(--aspekt-muted, #57606a);
  --_background: var(--aspekt-background, #ffffff);
  --_surface: var(--aspekt-surface, #f6f8fa);
  --_border: var(--aspekt-border, #d0d7de);
  --_focus: var(--aspekt-focus, var(--_accent));
  --_danger: var(--aspekt-danger, #b42318);
  --_radius: var(--aspekt-radius, 8px);
  --_space: var(--aspekt-spacing, 1rem);
  display: block;
  max-width: var(--aspekt-max-width, 48rem);
  font-family: var(--aspekt-font, inherit);
  font-size: var(--aspekt-font-size, 1rem);
  line-height: 1.5;
  color: var(--_text);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.root {
  background: var(--_background);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  padding: calc(var(--_space) * 1.5);
}
.bar {
  display: flex; justify-content: space-between; align-items: center;
  gap: var(--_space); flex-wrap: wrap;
  margin-bottom: var(--_space);
}
.switch { display: inline-flex; gap: 0; border: 1px solid var(--_border); border-radius: var(--_radius); overflow: hidden; }
.switch button {
  font: inherit; font-size: 0.875em; border: 0; margin: 0;
  padding: 0.3em 0.8em; background: var(--_background); color: var(--_text); cursor: pointer;
}
.switch button + button { border-left: 1px solid var(--_border); }
.switch button[aria-pressed="true"] { background: var(--_accent); color: var(--_accent-contrast); }
h2, h3, h4 { line-height: 1.25; margin: 0 0 0.5em; }
h2 { font-size: 1.5em; }
h3 { font-size: 1.15em; }
h4 { font-size: 1em; }
h2:focus { outline: none; }
p { margin: 0 0 0.75em; }
.muted { color: var(--_muted); }
.small { font-size: 0.875em; }
section.block {
  border-top: 1px solid var(--_border);
  padding-top: var(--_space); margin-top: var(--_space);
}
.notice-version { font-size: 0.875em; color: var(--_muted); }
ul.instruments, ul.visibility { padding-left: 1.2em; margin: 0 0 0.75em; }
ul.visibility li { margin-bottom: 0.5em; }
.visibility dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 0.5em; margin: 0.25em 0 0; }
.visibility dt { color: var(--_muted); }
.visibility dd { margin: 0; }
.waiver { font-size: 0.875em; border-left: 3px solid var(--_danger); padding-left: 0.5em; }
.consent {
  background: var(--_surface); border-radius: var(--_radius);
  padding: var(--_space); margin-top: var(--_space);
}
.check { display: flex; gap: 0.6em; align-items: flex-start; cursor: pointer; }
.check input { width: 1.2em; height: 1.2em; margin: 0.15em 0 0; flex: none; accent-color: var(--_accent); }
button.primary, button.secondary, button.link {
  font: inherit; cursor: pointer; border-radius: var(--_radius);
}
button.primary {
  background: var(--_accent); color: var(--_accent-contrast);
  border: 1px solid var(--_accent); padding: 0.55em 1.2em; font-weight: 600;
}
button.secondary {
  background: var(--_background); color: var(--_accent);
  border: 1px solid var(--_accent); padding: 0.4em 0.9em;
}
button.secondary[aria-pressed="true"] { background: var(--_accent); color: var(--_accent-contrast); }
button.secondary[aria-pressed="true"]::before { content: "✓ "; }
button.link {
  background: none; border: 0; padding: 0; color: var(--_accent);
  text-decoration: underline; font-size: 0.875em;
}
:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
.actions { display: flex; gap: var(--_space); align-items: center; flex-wrap: wrap; margin-top: var(--_space); }
.error {
  color: var(--_danger); font-weight: 600; margin: 0.5em 0 0;
}
.error:empty { display: none; }
.instrument + .instrument { margin-top: calc(var(--_space) * 2); }
.topic {
  border: 1px solid var(--_border); border-radius: var(--_radius);
  padding: var(--_space); margin: var(--_space) 0; background: var(--_background);
}
.topic-head { display: flex; justify-content: space-between; align-items: flex-start; gap: var(--_space); flex-wrap: wrap; }
.topic-head h3 { margin: 0.2em 0 0.25em; }
.topic.skipped { background: var(--_surface); }
.skipped-note { color: var(--_muted); margin: 0.5em 0 0; }
fieldset.item { border: 0; margin: 0; padding: 0.9em 0 0; min-width: 0; }
fieldset.item legend { font-weight: 600; padding: 0; margin-bottom: 0.4em; display: flex; gap: 0.5em; }
fieldset.item legend .num { color: var(--_muted); font-weight: 400; min-width: 1.5em; }
.options { display: flex; flex-wrap: wrap; gap: 0.4em; }
.option {
  display: inline-flex; gap: 0.45em; align-items: center; cursor: pointer;
  border: 1px solid var(--_border); border-radius: var(--_radius);
  padding: 0.35em 0.75em 0.35em 0.6em; background: var(--_background);
}
.option:hover { border-color: var(--_accent); }
.option:has(input:checked) { border-color: var(--_accent); background: color-mix(in srgb, var(--_accent) 10%, var(--_background)); }
.option input { margin: 0; flex: none; accent-color: var(--_accent); }
.item-foot { min-height: 1.5em; margin-top: 0.25em; }
.progress { color: var(--_muted); font-size: 0.875em; }
.result {
  border: 1px solid var(--_border); border-left: 4px solid var(--_accent);
  border-radius: var(--_radius); padding: var(--_space); margin: var(--_space) 0;
}
.result[data-status="declined"], .result[data-status="insufficient"] { border-left-color: var(--_muted); }
.result .label { font-size: 1.1em; font-weight: 700; margin-bottom: 0.25em; }
.bands { display: flex; gap: 3px; margin: 0.4em 0 0.2em; max-width: 14em; }
.bands span { flex: 1; height: 0.5em; border-radius: 2px; background: var(--_border); }
.bands span.on { background: var(--_accent); }
.seen { font-size: 0.875em; color: var(--_muted); margin: 0; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
details.technical { margin-top: 0.5em; font-size: 0.875em; }
details.technical pre { white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 30em) {
  .root { padding: var(--_space); }
  .options { flex-direction: column; }
}
@media (forced-colors: active) {
  .bands span.on { background: Highlight; }
  .option:has(input:checked) { outline: 2px solid Highlight; }
}
`;

// ------------------------------------------------------------------ helpers

/** Creates an element; text children become text nodes (never HTML). */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** One loaded module per URL, shared by every element on the page. */
const modules = new Map();

function loadModule(src) {
  const url = src ? new URL(src, document.baseURI).href : new URL("./aspekt.wasm", import.meta.url).href;
  if (!modules.has(url)) {
    const loading = Aspekt.load(url);
    loading.catch(() => modules.delete(url));
    modules.set(url, loading);
  }
  return modules.get(url);
}

let instances = 0;

// ------------------------------------------------------------------ element

export class AspektQuestionnaire extends HTMLElement {
  static observedAttributes = ["src", "library", "locale", "audience"];

  #root;
  #main;
  #switch;
  #status;
  #style;
  #prefix = `aq${++instances}`;
  #definitionSource = null;
  #aspekt = null;
  #defs = [];
  #locales = [];
  #locale = null;
  #stage = "loading";
  #answers = [];
  #skipped = [];
  #confirmIncomplete = false;
  #reports = [];
  #error = null;
  #cache = new Map();
  #generation = 0;
  #scheduled = false;

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: "open" });
    this.#style = h("style", {}, STYLE);
    const localeStyle = h("style", { class: "locale-style" });
    this.#switch = h("div", { class: "switch", role: "group", part: "locale-switch" });
    this.#status = h("div", { class: "sr-only", role: "status", "aria-live": "polite", part: "status" });
    this.#main = h("div", { class: "stage" });
    this.#root = h(
      "div",
      { class: "root", part: "container" },
      h("div", { class: "bar", part: "header" }, h("span"), this.#switch),
      this.#status,
      this.#main,
    );
    shadow.append(this.#style, localeStyle, this.#root);
  }

  connectedCallback() {
    if (!this.#aspekt && this.#stage === "loading") this.#schedule();
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === "locale") {
      if (value && value !== this.#locale && this.#locales.includes(value)) this.#setLocale(value, false);
      return;
    }
    if (name === "audience") {
      if (this.#stage === "report") this.#evaluate();
      return;
    }
    if (this.isConnected) this.#schedule();
  }

  /** The definition's TOML text (or `{definition, name, files}`), presented
   * after the `library` instruments. */
  get definition() {
    return this.#definitionSource;
  }

  set definition(value) {
    this.#definitionSource = value ?? null;
    if (this.isConnected) this.#schedule();
  }

  /** The current locale. */
  get locale() {
    return this.#locale;
  }

  set locale(value) {
    this.setAttribute("locale", value);
  }

  /** The reports of the last evaluation (they hold no answers). */
  get reports() {
    return this.#reports.slice();
  }

  /** The compiled definitions' info. */
  get definitions() {
    return this.#defs.map((d) => d.info);
  }

  /** Forgets all answers and starts over at the privacy notice. */
  restart() {
    this.#clearAnswers();
    this.#reports = [];
    this.#stage = "intro";
    this.#render();
    this.#focusHeading();
  }

  // -------------------------------------------------------------- loading

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#init();
    });
  }

  async #init() {
    const generation = ++this.#generation;
    for (const d of this.#defs) d.drop();
    this.#defs = [];
    this.#cache.clear();
    this.#reports = [];
    this.#stage = "loading";
    this.#render();
    try {
      const aspekt = await loadModule(this.getAttribute("src"));
      if (generation !== this.#generation) return;
      if (!aspekt.hasForm) {
        throw new AspektError({
          code: "internal",
          message: "this aspekt module has no `aspekt_form` export; rebuild it with bindings/wasm/build.sh",
          path: null,
          help: null,
        });
      }
      this.#aspekt = aspekt;
      const ids = (this.getAttribute("library") ?? "").split(/[\s,]+/).filter(Boolean);
      const defs = ids.map((id) => aspekt.compileLibrary(id));
      const source = this.#definitionSource;
      if (source) {
        const text = typeof source === "string" ? source : source.definition;
        const options = typeof source === "string" ? {} : { name: source.name, files: source.files };
        defs.push(aspekt.compile(text, options));
      }
      if (defs.length === 0) {
        throw new AspektError({
          code: "invalid_request",
          message: "no questionnaire: set the `library` attribute or the `definition` property",
          path: null,
          help: null,
        });
      }
      this.#defs = defs;
      // Locales every definition offers, in the first one's order.
      this.#locales = defs[0].info.locales.filter((l) => defs.every((d) => d.info.locales.includes(l)));
      if (this.#locales.length === 0) this.#locales = [defs[0].info.locales[0]];
      this.#locale = this.#pickLocale();
      this.#clearAnswers();
      this.#stage = "intro";
      this.#error = null;
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#stage = "error";
      this.#error = error;
      this.#emit("aspekt-error", { error });
    }
    this.#render();
    if (this.#stage === "intro") {
      this.#emit("aspekt-ready", { definitions: this.definitions, locale: this.#locale });
    }
  }

  #pickLocale() {
    const wanted = [
      this.getAttribute("locale"),
      this.closest("[lang]")?.getAttribute("lang"),
      ...(navigator.languages ?? []),
    ].filter(Boolean);
    for (const w of wanted) {
      if (this.#locales.includes(w)) return w;
      const base = w.split("-")[0];
      if (this.#locales.includes(base)) return base;
    }
    return this.#locales[0];
  }

  #clearAnswers() {
    this.#answers = this.#defs.map(() => new Map());
    this.#skipped = this.#defs.map(() => new Set());
    this.#confirmIncomplete = false;
  }

  #texts(locale = this.#locale) {
    if (!this.#cache.has(locale)) {
      const forms = this.#defs.map((d) => d.form(locale));
      const statements = this.#aspekt.hasTransparency ? this.#defs.map((d) => d.transparency(locale)) : null;
      this.#cache.set(locale, { forms, statements });
    }
    return this.#cache.get(locale);
  }

  // -------------------------------------------------------------- rendering

  #render() {
    const t = ui(this.#locale ?? this.getAttribute("locale") ?? "de");
    this.#root.setAttribute("lang", this.#locale ?? this.getAttribute("locale") ?? "");
    this.#renderSwitch(t);
    this.#renderLocaleStyle();
    let content;
    switch (this.#stage) {
      case "loading":
        content = h("p", { class: "muted", role: "status" }, t.loading);
        break;
      case "error":
        content = this.#renderError(t, t.loadError, this.#error);
        break;
      case "intro":
        content = this.#renderIntro(t);
        break;
      case "questions":
        content = this.#renderQuestions(t);
        break;
      case "report":
        content = this.#renderReport(t);
        break;
    }
    this.#main.replaceChildren(content);
  }

  #renderLocaleStyle() {
    // Slotted privacy notices with a `lang` show only in the current locale.
    const style = this.shadowRoot.querySelector(".locale-style");
    const locale = this.#locale;
    style.textContent = locale
      ? `::slotted([lang]:not([lang="${CSS.escape(locale)}"])) { display: none !important; }`
      : "";
  }

  #renderSwitch(t) {
    this.#switch.setAttribute("aria-label", `${t.language} / Language`);
    this.#switch.hidden = this.#locales.length < 2;
    const buttons = this.#locales.map((l) =>
      h(
        "button",
        {
          type: "button",
          lang: l,
          "aria-pressed": String(l === this.#locale),
          "data-locale": l,
          onclick: () => this.#setLocale(l, true),
        },
        languageName(l),
      ),
    );
    // Keep focus on the pressed button across re-renders.
    const focused = this.shadowRoot.activeElement?.dataset?.locale;
    this.#switch.replaceChildren(...buttons);
    if (focused) this.#switch.querySelector(`[data-locale="${CSS.escape(focused)}"]`)?.focus();
  }

  #setLocale(locale, fromUser) {
    if (!this.#locales.includes(locale) || locale === this.#locale) return;
    this.#locale = locale;
    if (fromUser) this.setAttribute("locale", locale);
    if (this.#stage === "report") {
      this.#evaluate(false);
    } else {
      this.#render();
    }
    this.#emit("aspekt-locale", { locale });
  }

  #renderError(t, headline, error) {
    const details = [];
    if (error instanceof AspektError) {
      details.push(`${error.code}: ${error.message}`);
      if (error.help) details.push(error.help);
      for (const d of error.diagnostics ?? []) {
        const at = d.location ? `${d.file}:${d.location.line}:${d.location.column}` : d.file;
        details.push(`${at} ${d.severity} [${d.code}] ${d.message}`);
      }
    } else if (error) {
      details.push(String(error?.message ?? error));
    }
    return h(
      "div",
      { role: "alert", part: "error" },
      h("p", { class: "error" }, headline),
      details.length > 0 &&
        h("details", { class: "technical" }, h("summary", {}, t.details), h("pre", {}, details.join("\n"))),
    );
  }

  #renderIntro(t) {
    const { forms, statements } = this.#texts();
    const id = this.#prefix;
    const notices = [...new Set(forms.map((f) => f.privacy_notice).filter(Boolean))];
    const single = forms.length === 1;

    const overview = single
      ? [
          h("h2", { tabindex: "-1", class: "stage-heading" }, forms[0].title),
          h("p", {}, forms[0].description),
          h("p", { class: "muted small" }, this.#facts(t, forms[0])),
        ]
      : [
          h("h2", { tabindex: "-1", class: "stage-heading" }, t.yourQuestionnaires),
          h(
            "ul",
            { class: "instruments" },
            forms.map((f) =>
              h("li", {}, h("strong", {}, f.title), " – ", f.description, " ", h("span", { class: "muted small" }, `(${this.#facts(t, f)})`)),
            ),
          ),
        ];

    const notice = h(
      "section",
      { class: "block", part: "notice", "aria-labelledby": `${id}-notice` },
      h("h3", { id: `${id}-notice` }, t.privacyHeading),
      h("slot", { name: "privacy-notice" }, h("p", {}, t.noticeFallback)),
      notices.length > 0 && h("p", { class: "notice-version" }, notices.map(t.noticeVersion).join(", ")),
    );

    const transparency = statements && this.#renderTransparency(t, statements, forms);

    const checkbox = h("input", {
      type: "checkbox",
      id: `${id}-consent`,
      "aria-describedby": `${id}-consent-error`,
    });
    const error = h("p", { class: "error", id: `${id}-consent-error`, role: "alert" });
    const consent = h(
      "div",
      { class: "consent", part: "consent" },
      h("label", { class: "check", for: `${id}-consent` }, checkbox, h("span", {}, t.consentLabel(notices))),
      error,
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "primary",
            part: "button primary-button consent-button",
            onclick: () => {
              if (!checkbox.checked) {
                checkbox.setAttribute("aria-invalid", "true");
                error.textContent = t.consentMissing;
                checkbox.focus();
                return;
              }
              this.#stage = "questions";
              this.#render();
              this.#focusHeading();
            },
          },
          t.consentButton,
        ),
      ),
    );
    checkbox.addEventListener("change", () => {
      if (checkbox.checked) {
        checkbox.removeAttribute("aria-invalid");
        error.textContent = "";
      }
    });

    return h("div", { class: "intro" }, overview, notice, transparency, consent);
  }

  #facts(t, form) {
    const items = form.topics.reduce((n, topic) => n + topic.items.length, 0);
    return [t.items(items), form.minutes ? t.minutes(form.minutes) : null].filter(Boolean).join(" · ");
  }

  #renderTransparency(t, statements, forms) {
    const id = this.#prefix;
    const several = statements.length > 1;
    const answers = [...new Set(statements.map((s) => s.answers))];
    return h(
      "section",
      { class: "block transparency", part: "transparency", "aria-labelledby": `${id}-transparency` },
      h("h3", { id: `${id}-transparency` }, t.transparencyHeading),
      h("h4", {}, t.answersHeading),
      answers.map((a) => h("p", {}, a)),
      h("h4", {}, t.resultsHeading),
      h(
        "ul",
        { class: "visibility" },
        statements.flatMap((s, i) =>
          s.results.map((r) =>
            h(
              "li",
              {},
              h("strong", {}, r.title),
              several && h("span", { class: "muted small" }, ` · ${forms[i].title}`),
              h(
                "dl",
                {},
                h("dt", {}, t.seenBy),
                h("dd", {}, join(r.seen_by, t.and)),
                h("dt", {}, t.notSeenBy),
                h("dd", {}, join([...r.not_seen_by, t.everyoneElse], t.and)),
              ),
              r.waiver && h("p", { class: "waiver" }, `${t.waiver} ${r.waiver}`),
            ),
          ),
        ),
      ),
      h("h4", {}, t.voluntaryHeading),
      h("p", {}, statements[0].voluntary),
      h("h4", {}, t.noRecommendationHeading),
      h("p", {}, statements[0].no_recommendation),
    );
  }

  #renderQuestions(t) {
    const { forms } = this.#texts();
    const id = this.#prefix;
    const progress = h("p", { class: "progress", id: `${id}-progress` });
    const error = h("p", { class: "error", role: "alert", id: `${id}-submit-error` });
    const submit = h(
      "button",
      { type: "button", class: "primary", part: "button primary-button submit-button", "aria-describedby": `${id}-submit-error` },
      this.#confirmIncomplete ? t.submitAnyway : t.submit,
    );

    const update = () => {
      const { answered, total } = this.#count(forms);
      progress.textContent = t.progress(answered, total);
    };

    const instruments = forms.map((form, i) =>
      h(
        "section",
        { class: "instrument", "aria-labelledby": `${id}-f${i}` },
        h("h2", { id: `${id}-f${i}`, tabindex: i === 0 ? "-1" : null, class: i === 0 ? "stage-heading" : null }, form.title),
        form.instructions && h("p", { class: "muted" }, form.instructions),
        form.topics.map((topic) => this.#renderTopic(t, i, topic, update, () => this.#resetConfirm(t, submit, error))),
      ),
    );

    submit.addEventListener("click", () => {
      const { answered, total } = this.#count(forms);
      if (answered < total && !this.#confirmIncomplete) {
        this.#confirmIncomplete = true;
        error.textContent = t.incomplete(total - answered);
        submit.textContent = t.submitAnyway;
        return;
      }
      this.#evaluate(true);
    });

    update();
    return h(
      "div",
      { class: "questions" },
      instruments,
      h(
        "div",
        { class: "actions" },
        submit,
        progress,
      ),
      error,
      h("p", { class: "muted small" }, t.local),
    );
  }

  #resetConfirm(t, submit, error) {
    if (!this.#confirmIncomplete) return;
    this.#confirmIncomplete = false;
    submit.textContent = t.submit;
    error.textContent = "";
  }

  #count(forms) {
    let answered = 0;
    let total = 0;
    forms.forEach((form, i) => {
      for (const topic of form.topics) {
        if (this.#skipped[i].has(topic.id)) continue;
        for (const item of topic.items) {
          total++;
          if (this.#answers[i].has(item.id)) answered++;
        }
      }
    });
    return { answered, total };
  }

  #renderTopic(t, i, topic, update, changed) {
    const id = `${this.#prefix}-${i}-${topic.id}`;
    const skipped = () => this.#skipped[i].has(topic.id);
    const note = h("p", { class: "skipped-note", id: `${id}-note`, hidden: !skipped() }, t.skippedNote);
    const items = h(
      "div",
      { class: "items", id: `${id}-items`, hidden: skipped() },
      topic.items.map((item, n) => this.#renderItem(t, i, item, n, update, changed)),
    );
    const section = h("section", {
      class: `topic${skipped() ? " skipped" : ""}`,
      part: "topic",
      "aria-labelledby": `${id}-title`,
      "data-topic": topic.id,
    });
    const skip = h(
      "button",
      {
        type: "button",
        class: "secondary skip",
        part: "button skip-button",
        "aria-pressed": String(skipped()),
        "aria-controls": `${id}-items`,
        "aria-describedby": `${id}-title`,
        onclick: () => {
          const now = !skipped();
          if (now) {
            this.#skipped[i].add(topic.id);
            // A skipped topic carries no answers.
            for (const item of topic.items) this.#answers[i].delete(item.id);
            for (const input of items.querySelectorAll("input")) input.checked = false;
            for (const clear of items.querySelectorAll(".item-foot button")) clear.hidden = true;
          } else {
            this.#skipped[i].delete(topic.id);
          }
          skip.setAttribute("aria-pressed", String(now));
          items.hidden = now;
          note.hidden = !now;
          section.classList.toggle("skipped", now);
          this.#announce(now ? t.skippedStatus(topic.title) : t.resumedStatus(topic.title));
          changed();
          update();
        },
      },
      t.skip,
    );
    section.append(
      h(
        "div",
        { class: "topic-head" },
        h("div", {}, h("h3", { id: `${id}-title` }, topic.title), topic.description && h("p", { class: "muted" }, topic.description)),
        skip,
      ),
      note,
      items,
    );
    return section;
  }

  #renderItem(t, i, item, n, update, changed) {
    const name = `${this.#prefix}-${i}-${item.id}`;
    const current = this.#answers[i].get(item.id);
    const clear = h(
      "button",
      {
        type: "button",
        class: "link",
        hidden: current === undefined,
        "aria-describedby": `${name}-legend`,
        onclick: () => {
          this.#answers[i].delete(item.id);
          for (const input of fieldset.querySelectorAll("input")) input.checked = false;
          clear.hidden = true;
          this.#announce(t.clearedStatus);
          fieldset.querySelector("input")?.focus();
          changed();
          update();
        },
      },
      t.clear,
    );
    const fieldset = h(
      "fieldset",
      { class: "item", part: "item", "data-item": item.id },
      h("legend", { id: `${name}-legend` }, h("span", { class: "num", "aria-hidden": "true" }, `${n + 1}.`), h("span", {}, item.text)),
      h(
        "div",
        { class: "options" },
        item.options.map((option) =>
          h(
            "label",
            { class: "option", part: "option" },
            h("input", {
              type: "radio",
              name,
              value: option.code,
              checked: current === option.code,
              onchange: () => {
                this.#answers[i].set(item.id, option.code);
                clear.hidden = false;
                changed();
                update();
              },
            }),
            h("span", {}, option.label),
          ),
        ),
      ),
      h("div", { class: "item-foot" }, clear),
    );
    return fieldset;
  }

  #requests() {
    const consentFor = (info) => (info.privacy_notice ? { notice: info.privacy_notice } : undefined);
    const audience = this.getAttribute("audience") || undefined;
    return this.#defs.map((d, i) => ({
      answers: Object.fromEntries(this.#answers[i]),
      declined: [...this.#skipped[i]],
      consent: consentFor(d.info),
      locale: this.#locale,
      audience,
    }));
  }

  #evaluate(fromSubmit) {
    const t = ui(this.#locale);
    let reports;
    try {
      reports = this.#requests().map((request, i) => this.#defs[i].evaluate(request));
    } catch (error) {
      this.#emit("aspekt-error", { error });
      if (this.#stage === "questions") {
        const box = this.#main.querySelector(".questions > .error");
        if (box) box.textContent = `${t.evalError} ${error.message}`;
        return;
      }
      this.#stage = "error";
      this.#error = error;
      this.#render();
      return;
    }
    this.#reports = reports;
    this.#stage = "report";
    this.#render();
    if (fromSubmit) {
      this.#focusHeading();
      this.#announce(t.evaluated);
      for (const report of reports) this.#emit("aspekt-report", report);
    }
  }

  #renderReport(t) {
    const { forms, statements } = this.#texts();
    const several = this.#reports.length > 1;
    return h(
      "div",
      { class: "report", part: "report" },
      h("h2", { tabindex: "-1", class: "stage-heading" }, t.reportHeading),
      this.#reports.map((report, i) => {
        const form = forms[i];
        const statement = statements?.[i];
        return h(
          "section",
          { class: "instrument", "aria-label": form.title },
          several && h("h3", {}, form.title),
          report.results.map((r) => this.#renderResult(t, r, form, statement, several)),
        );
      }),
      h("p", { class: "muted small" }, t.reportNote),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "secondary", part: "button restart-button", onclick: () => this.restart() }, t.restart),
      ),
    );
  }

  #renderResult(t, result, form, statement, several) {
    const visibility = statement?.results.find((r) => r.id === result.id);
    const title =
      visibility?.title ?? form.topics.find((topic) => topic.id === result.topic)?.title ?? result.id;
    const Heading = several ? "h4" : "h3";
    return h(
      "article",
      { class: "result", part: "result", "data-result": result.id, "data-status": result.status },
      h(Heading, {}, title),
      h("p", { class: "label" }, result.label),
      result.band &&
        result.band.of > 1 && [
          h(
            "div",
            { class: "bands", "aria-hidden": "true" },
            Array.from({ length: result.band.of }, (_, k) => h("span", { class: k === result.band.index ? "on" : null })),
          ),
          h("p", { class: "muted small" }, t.band(result.band.index + 1, result.band.of)),
        ],
      h("p", {}, result.explanation),
      visibility && h("p", { class: "seen" }, `${t.seenBy} ${join(visibility.seen_by, t.and)}`),
    );
  }

  // -------------------------------------------------------------- misc

  #focusHeading() {
    this.#main.querySelector(".stage-heading")?.focus();
  }

  #announce(message) {
    // Clear first so the same message is announced again.
    this.#status.textContent = "";
    setTimeout(() => {
      this.#status.textContent = message;
    }, 50);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

if (!customElements.get("aspekt-questionnaire")) {
  customElements.define("aspekt-questionnaire", AspektQuestionnaire);
}

export default AspektQuestionnaire;
