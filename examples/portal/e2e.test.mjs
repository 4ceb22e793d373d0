// End-to-end test of the portal demo in headless Chromium (Debian's
// `chromium`, driven by playwright-core from bindings/wasm/js/node_modules):
//
//   node --test examples/portal/e2e.test.mjs
//
// Consents, answers the WHO-5, skips the BRS topic, submits, checks the
// report and the `aspekt-report` events, switches the language, and records
// every network request to prove that none after loading carries answers.
// Saves a screenshot of the report to examples/portal/screenshot.png.
//
// Skips when Chromium or playwright-core is missing (ASPEKT_E2E_REQUIRED=1
// turns that into a failure) and when the module lacks `aspekt_form`.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { Aspekt } from "../../bindings/wasm/js/aspekt.js";
import { serve } from "./serve.mjs";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const required = process.env.ASPEKT_E2E_REQUIRED === "1";
const screenshot = fileURLToPath(new URL("screenshot.png", import.meta.url));
const wasm = process.env.ASPEKT_WASM ?? fileURLToPath(new URL("../../bindings/wasm/js/aspekt.wasm", import.meta.url));

// The flags from TOOLCHAIN.md, plus no QUIC and no sync: nothing but the
// page's own requests should leave the browser.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

async function prerequisites() {
  let chromium;
  try {
    const require = createRequire(new URL("../../bindings/wasm/js/package.json", import.meta.url));
    ({ chromium } = require("playwright-core"));
  } catch {
    return { missing: "playwright-core is not installed (npm ci in bindings/wasm/js)" };
  }
  if (!existsSync(executablePath)) return { missing: `${executablePath} is missing (apt-get install chromium)` };
  if (!existsSync(wasm)) return { missing: `${wasm} is missing (bash bindings/wasm/build.sh)`, always: true };
  const aspekt = await Aspekt.load(pathToFileURL(wasm));
  if (!aspekt.hasForm) return { skip: "the module does not export aspekt_form yet" };
  return { chromium };
}

const pre = await prerequisites();
if (pre.missing && (required || pre.always)) throw new Error(pre.missing);
const skip = pre.missing ?? pre.skip ?? false;

let server;
let browser;
let profile;

before(async () => {
  if (skip) return;
  server = await serve({ port: 0 });
  // launchPersistentContext takes the fresh --user-data-dir TOOLCHAIN.md
  // asks for (playwright rejects it in `args`).
  profile = mkdtempSync(join(tmpdir(), "aspekt-e2e-"));
  browser = await pre.chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    locale: "de-DE",
    serviceWorkers: "block",
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("portal: consent, answer, skip a topic, submit, report; no answers leave the page", { skip }, async () => {
  const page = browser.pages()[0] ?? (await browser.newPage());
  const origin = new URL(server.url).origin;

  // Every request the page makes, in order, and anything else that could
  // carry data out.
  const requests = [];
  page.on("request", (r) =>
    requests.push({ url: r.url(), method: r.method(), body: r.postData(), type: r.resourceType() }),
  );
  const sockets = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  // Collect the component's events in the page.
  await page.addInitScript(() => {
    window.__events = [];
    for (const type of ["aspekt-ready", "aspekt-report", "aspekt-locale", "aspekt-error"]) {
      document.addEventListener(type, (e) => window.__events.push({ type, detail: JSON.parse(JSON.stringify(e.detail ?? null)) }));
    }
  });

  await page.goto(server.url);
  const q = page.locator("aspekt-questionnaire");

  // ---- privacy notice and transparency statement
  const consentButton = q.getByRole("button", { name: "Zustimmen und beginnen" });
  await consentButton.waitFor();
  // The page, its CSS and scripts and the module are loaded; from here on
  // the page must not make another request.
  await page.waitForLoadState("networkidle");
  const loaded = requests.length;
  assert.ok(
    requests.some((r) => r.url.endsWith("/aspekt/aspekt.wasm")),
    `the module was loaded: ${requests.map((r) => r.url)}`,
  );
  assert.ok(
    requests.some((r) => r.url.endsWith("/aspekt/library.json")),
    `the instrument library was loaded beside it: ${requests.map((r) => r.url)}`,
  );

  await q.getByRole("heading", { name: "Ihre Fragebögen" }).waitFor();
  await q.getByRole("heading", { name: "Datenschutzhinweis" }).waitFor();
  assert.ok(await q.getByText("Verantwortlich: Jobbrücke gGmbH").isVisible(), "the portal's German notice shows");
  assert.ok(!(await q.getByText("Controller: Jobbrücke gGmbH").isVisible()), "the English notice is hidden");
  await q.getByRole("heading", { name: "Wer sieht was?" }).waitFor();
  assert.match(await q.locator(".transparency").innerText(), /die Agentur für Arbeit/);
  assert.match(await q.locator(".transparency").innerText(), /Ihre einzelnen Antworten sieht niemand/);
  await page.screenshot({ path: join(tmpdir(), "aspekt-portal-intro.png"), fullPage: true });

  // ---- consent: required, by keyboard
  await consentButton.click();
  const alert = q.getByText("Bitte bestätigen Sie zuerst, dass Sie einverstanden sind.");
  await alert.waitFor();
  const checkbox = q.getByRole("checkbox", { name: /Datenschutzhinweis \(Version 2026-11\)/ });
  assert.ok(await checkbox.evaluate((el) => el === el.getRootNode().activeElement), "focus moved to the checkbox");
  assert.equal(await checkbox.getAttribute("aria-invalid"), "true");
  await page.keyboard.press("Space");
  assert.ok(await checkbox.isChecked());
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");

  // ---- topics
  const who5 = q.getByRole("heading", { name: "WHO-5-Fragebogen zum Wohlbefinden", level: 2 });
  await who5.waitFor();
  assert.ok(await who5.evaluate((el) => el === el.getRootNode().activeElement), "focus on the first heading");
  // Every control has an accessible name; every item is a labelled group.
  const unlabelled = await q.evaluate((host) =>
    [...host.shadowRoot.querySelectorAll("input")].filter((i) => i.labels.length === 0).length,
  );
  assert.equal(unlabelled, 0, "inputs without a label");
  const item = (text) => q.getByRole("group", { name: text });

  // q1 by keyboard: focus the first option, arrow down to the second.
  const q1 = item("In den letzten zwei Wochen war ich froh und guter Laune.");
  await q1.getByRole("radio", { name: "Die ganze Zeit" }).focus();
  await page.keyboard.press("ArrowDown");
  assert.ok(await q1.getByRole("radio", { name: "Meistens" }).isChecked(), "arrow keys choose an option");
  // q2..q5 by pointer: "Meistens" (4) everywhere → raw 20, score 80: good.
  for (const text of [
    "In den letzten zwei Wochen habe ich mich ruhig und entspannt gefühlt.",
    "In den letzten zwei Wochen habe ich mich energisch und aktiv gefühlt.",
    "In den letzten zwei Wochen habe ich mich beim Aufwachen frisch und ausgeruht gefühlt.",
    "In den letzten zwei Wochen war mein Alltag voller Dinge, die mich interessieren.",
  ]) {
    await item(text).getByRole("radio", { name: "Meistens" }).check();
  }
  assert.match(await q.locator(".progress").innerText(), /^5 von 11 Fragen beantwortet$/);

  // Skip the BRS topic.
  const resilience = q.locator('section.topic[data-topic="resilience"]');
  const skipButton = resilience.getByRole("button", { name: "Dieses Thema überspringen" });
  assert.equal(await skipButton.getAttribute("aria-pressed"), "false");
  await skipButton.click();
  assert.equal(await skipButton.getAttribute("aria-pressed"), "true");
  await resilience.getByText(/^Übersprungen\./).waitFor();
  assert.ok(!(await resilience.locator(".items").isVisible()), "the skipped topic's items are hidden");
  await q.locator('[role="status"]').filter({ hasText: "wird übersprungen" }).waitFor();
  assert.match(await q.locator(".progress").innerText(), /^5 von 5 Fragen beantwortet$/);
  await page.screenshot({ path: join(tmpdir(), "aspekt-portal-questions.png"), fullPage: true });

  // ---- submit and report
  await q.getByRole("button", { name: "Auswerten" }).click();
  const heading = q.getByRole("heading", { name: "Ihr Ergebnis" });
  await heading.waitFor();
  assert.ok(await heading.evaluate((el) => el === el.getRootNode().activeElement), "focus on the report");
  const wellbeing = q.locator('article.result[data-result="wellbeing"]');
  assert.equal(await wellbeing.getAttribute("data-status"), "ok");
  assert.match(await wellbeing.innerText(), /Wohlbefinden in den letzten zwei Wochen/);
  assert.match(await wellbeing.innerText(), /Gutes Wohlbefinden/);
  assert.match(await wellbeing.innerText(), /Bereich 3 von 3/);
  assert.match(await wellbeing.innerText(), /Sehen es: Sie selbst und Ihre Beraterin oder Ihr Berater/);
  const brs = q.locator("article.result").nth(1);
  assert.equal(await brs.getAttribute("data-status"), "declined");
  assert.match(await brs.innerText(), /Übersprungen/);

  const events = await page.evaluate(() => window.__events);
  const reports = events.filter((e) => e.type === "aspekt-report").map((e) => e.detail);
  assert.deepEqual(
    reports.map((r) => [r.definition.id, r.locale, r.audience, r.results.map((x) => [x.id, x.status, x.band?.id ?? null])]),
    [
      ["who5", "de", "participant", [["wellbeing", "ok", "good"]]],
      ["brs", "de", "participant", [["resilience", "declined", null]]],
    ],
  );
  for (const report of reports) {
    const text = JSON.stringify(report);
    assert.ok(!/"answers"|"q\d+"/.test(text), `a report carries answers: ${text}`);
  }
  assert.deepEqual(events.filter((e) => e.type === "aspekt-error"), []);

  // The portal offers to keep the reports; keeping them sends nothing.
  await page.getByRole("button", { name: "Ja, speichern" }).click();
  await page.getByText("Gespeichert (in dieser Demo nur in diesem Browser-Tab).").waitFor();

  // ---- language switch re-renders the report in English
  await q.getByRole("button", { name: "English" }).click();
  await q.getByRole("heading", { name: "Your result" }).waitFor();
  assert.match(await wellbeing.innerText(), /Good well-being/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  assert.ok(await q.getByRole("button", { name: "English" }).evaluate((b) => b.getAttribute("aria-pressed") === "true"));
  await page.screenshot({ path: join(tmpdir(), "aspekt-portal-report-en.png"), fullPage: true });
  await q.getByRole("button", { name: "Deutsch" }).click();
  await q.getByRole("heading", { name: "Ihr Ergebnis" }).waitFor();

  await page.screenshot({ path: screenshot, fullPage: true });

  // ---- the network: nothing after loading, and nothing that could carry answers
  await page.waitForTimeout(300);
  assert.deepEqual(errors, [], "page errors");
  assert.deepEqual(sockets, [], "websockets");
  const after = requests.slice(loaded);
  assert.deepEqual(after, [], "requests after the page and the module loaded");
  for (const r of requests) {
    const url = new URL(r.url);
    assert.equal(url.origin, origin, `a request left the portal's origin: ${r.url}`);
    assert.equal(r.method, "GET", `${r.method} ${r.url}`);
    assert.equal(r.body, null, `a request with a body: ${r.url}`);
    assert.equal(url.search, "", `a request with a query: ${r.url}`);
  }
  assert.deepEqual(
    [...new Set(requests.map((r) => new URL(r.url).pathname))].sort(),
    [
      "/",
      "/aspekt/aspekt-questionnaire.js",
      "/aspekt/aspekt.js",
      "/aspekt/aspekt.wasm",
      "/aspekt/library.json",
      "/portal.css",
      "/portal.js",
    ],
  );
});

test("portal: incomplete answers ask before evaluating; restart forgets everything", { skip }, async () => {
  const page = await browser.newPage();
  const requests = [];
  await page.goto(server.url);
  const q = page.locator("aspekt-questionnaire");
  await q.getByRole("checkbox").waitFor();
  await page.waitForLoadState("networkidle");
  page.on("request", (r) => requests.push(r.url()));
  await q.getByRole("checkbox").check();
  await q.getByRole("button", { name: "Zustimmen und beginnen" }).click();
  await q.getByRole("group", { name: /froh und guter Laune/ }).getByRole("radio", { name: "Ab und zu" }).check();
  // Clear a choice again.
  await q.getByRole("button", { name: "Auswahl löschen" }).click();
  assert.match(await q.locator(".progress").innerText(), /^0 von 11/);
  await q.getByRole("group", { name: /froh und guter Laune/ }).getByRole("radio", { name: "Ab und zu" }).check();
  await q.getByRole("button", { name: "Auswerten" }).click();
  await q.getByText("10 Fragen sind noch offen.", { exact: false }).waitFor();
  await q.getByRole("button", { name: "Trotzdem auswerten" }).click();
  await q.getByRole("heading", { name: "Ihr Ergebnis" }).waitFor();
  const statuses = await q.locator("article.result").evaluateAll((els) => els.map((e) => e.dataset.status));
  assert.deepEqual(statuses, ["insufficient", "insufficient"]);
  await q.getByRole("button", { name: "Neu beginnen" }).click();
  await q.getByRole("button", { name: "Zustimmen und beginnen" }).waitFor();
  assert.ok(!(await q.getByRole("checkbox").isChecked()), "consent is asked again");
  await q.getByRole("checkbox").check();
  await q.getByRole("button", { name: "Zustimmen und beginnen" }).click();
  assert.match(await q.locator(".progress").innerText(), /^0 von 11/, "answers are forgotten");
  assert.deepEqual(requests, [], "requests after loading");
  await page.close();
});
