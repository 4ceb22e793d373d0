// Compiled by types.test.mjs with `tsc --noEmit --strict`: the declarations
// describe the API as the tests use it. Not run.
import Aspekt, {
  AspektError,
  ConsentError,
  DefinitionError,
  RequestError,
  type Form,
  type Report,
  type Request,
  type Transparency,
} from "../aspekt.js";
import "../aspekt-questionnaire.js";
import type { AspektQuestionnaire } from "../aspekt-questionnaire.js";

export async function use(bytes: Uint8Array): Promise<string> {
  const aspekt = await Aspekt.load(bytes);
  const version: number = aspekt.abiVersion;
  const ids: string[] = aspekt.library().map((e) => e.id);
  const profile: string[] = aspekt.profile();
  const withBundle = await Aspekt.load(bytes, { library: { format: 1, profile, entries: [], instruments: {} } });
  const without = await Aspekt.load(bytes, { library: false });
  const loaded: boolean = withBundle.hasLibrary && !without.hasLibrary;
  await without.loadLibrary(new URL("./library.json", import.meta.url));
  if (!loaded) return "no library";
  const who5 = aspekt.compileLibrary("who5");
  const notice: string | null = who5.info.privacy_notice;
  const request: Request = {
    answers: { q1: 3, q2: null },
    declined: [],
    consent: notice ? { notice } : null,
    locale: "en",
    audience: "participant",
  };
  let report: Report | undefined;
  try {
    report = who5.evaluate(request);
  } catch (e) {
    if (e instanceof ConsentError) {
      const code: "consent_required" = e.code;
      return code;
    }
    if (e instanceof RequestError) return `${e.code} at ${e.path ?? "?"}: ${e.help ?? ""}`;
    if (e instanceof DefinitionError) return e.diagnostics.map((d) => d.message).join();
    if (e instanceof AspektError) return e.json;
    throw e;
  }
  const json: string = who5.evaluateJson(JSON.stringify(request));
  const form: Form = who5.form("de");
  const codes: number[] = form.topics.flatMap((t) => t.items.flatMap((i) => i.options.map((o) => o.code)));
  const statement: Transparency = who5.transparency();
  const seen: string[] = statement.results.flatMap((r) => r.seen_by);
  const band: string | undefined = report?.results[0]?.band?.id;
  who5.drop();
  return [version, ids, json, codes, seen, band].join();
}

export function element(): void {
  const el = document.createElement("aspekt-questionnaire");
  const typed: AspektQuestionnaire = el;
  typed.definition = { definition: "[questionnaire]", name: "x.toml" };
  el.addEventListener("aspekt-report", (e) => {
    const report: Report = e.detail;
    console.log(report.results.length);
  });
  el.addEventListener("aspekt-error", (e) => console.log(e.detail.error.message));
  el.restart();
}
