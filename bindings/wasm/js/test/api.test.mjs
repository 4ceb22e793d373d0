// The ES module's API: loading, compiling, evaluating, the typed errors, the
// library listing, the memory protocol (compile once, evaluate many without
// growing), and dropping handles.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import {
  ABI_VERSION,
  Aspekt,
  AspektError,
  ConsentError,
  Definition,
  DefinitionError,
  InternalError,
  RequestError,
  RuleError,
  errorFromEnvelope,
} from "../aspekt.js";
import { pathToFileURL } from "node:url";

import { libraryPath, load, wasmPath } from "./load.mjs";

const aspekt = await load();
const CONSENT = { notice: "2026-11" };
const fixture = (name) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Calls an export by the raw ABI: returns the result text. */
function raw(instance, fn, args, input) {
  const x = instance.exports;
  let ptr = 0;
  let len = 0;
  if (input !== undefined) {
    const bytes = typeof input === "string" ? encoder.encode(input) : input;
    len = bytes.length;
    ptr = x.aspekt_alloc(len);
    new Uint8Array(x.memory.buffer, ptr, len).set(bytes);
  }
  const packed = input === undefined ? x[fn](...args) : x[fn](...args, ptr, len);
  assert.equal(typeof packed, "bigint", `${fn} returns a u64 (BigInt)`);
  if (len > 0) x.aspekt_free(ptr, len);
  const bits = BigInt.asUintN(64, packed);
  const outPtr = Number(bits >> 32n);
  const outLen = Number(bits & 0xffffffffn);
  const text = decoder.decode(new Uint8Array(x.memory.buffer, outPtr, outLen));
  x.aspekt_free(outPtr, outLen);
  return text;
}

function who5Answers(code) {
  return { q1: code, q2: code, q3: code, q4: code, q5: code };
}

describe("loading", () => {
  test("the ABI version", () => {
    assert.equal(aspekt.abiVersion, ABI_VERSION);
    assert.equal(aspekt.exports.aspekt_abi_version(), 1);
  });

  test("the module has zero imports", () => {
    const module = new WebAssembly.Module(readFileSync(wasmPath));
    assert.deepEqual(WebAssembly.Module.imports(module), []);
  });

  test("from bytes, a Buffer, a Module and a Response", async () => {
    const bytes = readFileSync(wasmPath);
    const fromBuffer = await Aspekt.load(bytes);
    const fromArrayBuffer = await Aspekt.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const fromModule = await Aspekt.load(new WebAssembly.Module(bytes));
    const fromResponse = await Aspekt.load(
      new Response(bytes, { headers: { "content-type": "application/wasm" } }),
    );
    const fromUntyped = await Aspekt.load(Promise.resolve(new Response(bytes)));
    for (const a of [fromBuffer, fromArrayBuffer, fromModule, fromResponse, fromUntyped]) {
      assert.equal(a.abiVersion, 1);
      assert.equal(a.library().length, aspekt.library().length);
    }
  });

  test("a module that is not aspekt is an InternalError", async () => {
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    await assert.rejects(Aspekt.load(empty), (e) => {
      assert.ok(e instanceof InternalError);
      assert.equal(e.code, "internal");
      assert.match(e.message, /aspekt_compile/);
      return true;
    });
  });

  test("a failed download is an InternalError", async () => {
    await assert.rejects(Aspekt.load(new Response("nope", { status: 404 })), InternalError);
  });
});

describe("library", () => {
  test("lists the built-in instruments with metadata", () => {
    const library = aspekt.library();
    const ids = library.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort(), "sorted by id");
    for (const id of ["brs", "gse", "who5"]) assert.ok(ids.includes(id), `${id} in ${ids}`);
    const who5 = library.find((e) => e.id === "who5");
    assert.equal(who5.items, 5);
    assert.deepEqual(who5.locales, ["de", "en"]);
    assert.equal(who5.mode, "questionnaire");
    assert.equal(typeof who5.title, "string");
    assert.equal(typeof who5.licence, "string");
    assert.equal(who5.commercial_use, false);
    assert.equal(who5.minutes, 2);
  });

  test("every listed instrument compiles", () => {
    for (const entry of aspekt.library()) {
      const d = aspekt.compileLibrary(entry.id);
      assert.equal(d.info.id, entry.id);
      assert.equal(d.info.version, entry.version);
      d.drop();
    }
  });
});

describe("library bundle (library.json beside the module)", () => {
  const bundle = JSON.parse(readFileSync(libraryPath, "utf8"));

  test("compileLibrary compiles the bundled text: same digest as compile() with it", () => {
    const who5 = aspekt.compileLibrary("who5");
    const { name, definition, files } = bundle.instruments.who5;
    assert.equal(name, "definitions/who5/definition.toml");
    const direct = aspekt.compile(definition, { name, files });
    assert.equal(who5.info.digest, direct.info.digest);
    who5.drop();
    direct.drop();
  });

  test("the listing and the profile come from the bundle", () => {
    assert.deepEqual(aspekt.library(), bundle.entries);
    assert.deepEqual(aspekt.profile(), bundle.profile);
    assert.equal(aspekt.profile()[0], "who5");
    // A copy: callers cannot change the bundle.
    aspekt.library()[0].id = "changed";
    assert.notEqual(aspekt.library()[0].id, "changed");
  });

  test("given as an object, as text, as bytes, as a Response, or by URL", async () => {
    const bytes = readFileSync(wasmPath);
    const text = readFileSync(libraryPath, "utf8");
    for (const library of [
      bundle,
      text,
      new TextEncoder().encode(text),
      new Response(text),
      pathToFileURL(libraryPath),
    ]) {
      const a = await Aspekt.load(bytes, { library });
      assert.ok(a.hasLibrary);
      assert.equal(a.compileLibrary("brs").id, "brs");
    }
  });

  test("without a library: compileLibrary and library() say why and how to fix it", async () => {
    const none = await Aspekt.load(readFileSync(wasmPath), { library: false });
    assert.equal(none.hasLibrary, false);
    for (const call of [() => none.compileLibrary("who5"), () => none.library()]) {
      assert.throws(call, (e) => {
        assert.ok(e instanceof DefinitionError);
        assert.equal(e.code, "unknown_definition");
        assert.match(e.message, /no instrument library/);
        return true;
      });
    }
    // Compiling text still works, and a bundle can be loaded later.
    await none.loadLibrary(pathToFileURL(libraryPath));
    assert.equal(none.compileLibrary("gse").id, "gse");
  });

  test("a missing default bundle fails late with help; a missing given one fails the load", async () => {
    const dir = new URL("file:///nonexistent-aspekt-dir/");
    await assert.rejects(
      Aspekt.load(readFileSync(wasmPath), { library: new URL("library.json", dir) }),
      (e) => e instanceof DefinitionError && /could not load the instrument library/.test(e.message),
    );
    await assert.rejects(
      Aspekt.load(readFileSync(wasmPath), { library: new Response("nope", { status: 404 }) }),
      (e) => e instanceof DefinitionError && /HTTP 404/.test(e.message),
    );
    await assert.rejects(
      Aspekt.load(readFileSync(wasmPath), { library: { entries: [] } }),
      (e) => e instanceof DefinitionError && /not an aspekt library bundle/.test(e.message),
    );
  });

  test("the raw ABI: the module embeds no library and says where it is", () => {
    const listing = JSON.parse(raw(aspekt, "aspekt_library", []));
    assert.equal(listing.error.code, "invalid_request");
    assert.match(listing.error.message, /embeds no instrument library/);
    assert.match(listing.error.help, /library\.json/);
    assert.throws(
      () => aspekt.compileJson('{"library": "who5"}'),
      (e) => {
        assert.ok(e instanceof DefinitionError);
        assert.equal(e.code, "unknown_definition");
        assert.equal(e.path, "library");
        assert.match(e.message, /cannot compile `who5` by id/);
        assert.match(e.help, /definitions\/who5\/definition\.toml/);
        assert.match(e.help, /library\.json/);
        return true;
      },
    );
  });
});

describe("compile and evaluate", () => {
  test("compile info", () => {
    const who5 = aspekt.compileLibrary("who5");
    assert.ok(who5 instanceof Definition);
    assert.ok(who5.handle > 0);
    assert.equal(who5.info.id, "who5");
    assert.match(who5.info.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(who5.info.locales, ["de", "en"]);
    assert.deepEqual(who5.info.audiences, ["participant", "counsellor"]);
    assert.equal(who5.info.privacy_notice, "2026-11");
    assert.equal(who5.info.mode, "questionnaire");
    assert.deepEqual(who5.info.warnings, []);
    who5.drop();
  });

  test("evaluate: a report object", () => {
    const who5 = aspekt.compileLibrary("who5");
    const report = who5.evaluate({ answers: who5Answers(3), consent: CONSENT, locale: "en" });
    assert.equal(report.definition.id, "who5");
    assert.equal(report.locale, "en");
    assert.equal(report.audience, "participant");
    assert.equal(report.results.length, 1);
    const [r] = report.results;
    assert.equal(r.status, "ok");
    assert.deepEqual(r.band, { id: "good", index: 2, of: 3 });
    assert.equal(r.label, "Good well-being");
    who5.drop();
  });

  test("evaluateJson passes the engine's bytes through", () => {
    const who5 = aspekt.compileLibrary("who5");
    const json = who5.evaluateJson(JSON.stringify({ answers: who5Answers(0), consent: CONSENT }));
    assert.ok(json.startsWith('{"definition":{"id":"who5"'), json);
    assert.equal(JSON.stringify(JSON.parse(json)), json, "compact JSON, unchanged");
    assert.equal(who5.evaluate(JSON.stringify({ answers: who5Answers(0), consent: CONSENT })).results[0].band.id, "low");
    who5.drop();
  });

  test("non-ASCII text in and out (UTF-8 both ways)", () => {
    const text = fixture("umlauts.toml");
    const d = aspekt.compile(text, { name: "umlauts.toml" });
    assert.equal(d.info.id, "umlaute");
    const report = d.evaluate({ answers: { q1: 1, q2: 1 }, locale: "de" });
    assert.equal(report.results[0].label, "Größtenteils „grün“ – 😀");
    d.drop();
  });

  test("compile with rule files", () => {
    const d = aspekt.compile(fixture("with-rule-file.toml"), {
      name: "with-rule-file.toml",
      files: { "band.rhai": fixture("band.rhai") },
    });
    assert.equal(d.evaluate({ answers: { q1: 2, q2: 2 } }).results[0].band.id, "high");
    d.drop();
    assert.throws(
      () => aspekt.compile(fixture("with-rule-file.toml"), { name: "with-rule-file.toml" }),
      (e) => e instanceof DefinitionError && e.diagnostics.some((d) => d.code === "invalid_rule"),
    );
  });
});

describe("errors", () => {
  const who5 = aspekt.compileLibrary("who5");
  const brs = aspekt.compileLibrary("brs");

  const requestErrors = [
    ["malformed_json", () => who5.evaluateJson('{"answers": {"q1": 03}}')],
    ["invalid_request", () => who5.evaluate({ answers: [1, 2] })],
    ["invalid_request", () => who5.evaluate({ answers: {}, participant: "anna" })],
    ["unknown_item", () => who5.evaluate({ answers: { q9: 1 }, consent: CONSENT })],
    ["invalid_code", () => who5.evaluate({ answers: { q1: 77 }, consent: CONSENT })],
    ["unknown_topic", () => who5.evaluate({ declined: ["mood"], consent: CONSENT })],
    [
      "answer_in_declined_topic",
      () => who5.evaluate({ answers: { q1: 1 }, declined: ["wellbeing"], consent: CONSENT }),
    ],
    ["unknown_locale", () => who5.evaluate({ answers: {}, consent: CONSENT, locale: "fr" })],
    ["unknown_audience", () => who5.evaluate({ answers: {}, consent: CONSENT, audience: "agency" })],
  ];
  for (const [code, run] of requestErrors) {
    test(`${code} is a RequestError`, () => {
      assert.throws(run, (e) => {
        assert.ok(e instanceof RequestError, e);
        assert.ok(e instanceof AspektError && e instanceof Error);
        assert.ok(!(e instanceof ConsentError));
        assert.equal(e.code, code);
        assert.equal(e.name, "RequestError");
        assert.equal(typeof e.message, "string");
        assert.ok(e.message.length > 0);
        assert.equal(typeof e.help, "string");
        assert.ok(e.path === null || typeof e.path === "string");
        assert.deepEqual(e.diagnostics, []);
        assert.deepEqual(JSON.parse(e.json), e.toJSON());
        return true;
      });
    });
  }

  test("paths point at the offending value", () => {
    const path = (run) => {
      try {
        run();
      } catch (e) {
        return e.path;
      }
      assert.fail("no error");
    };
    assert.equal(path(() => who5.evaluate({ answers: { q2: 77 }, consent: CONSENT })), "answers.q2");
    assert.equal(path(() => brs.evaluate({ declined: ["resilience", "mood"], consent: CONSENT })), "declined[1]");
    assert.equal(path(() => who5.evaluate({ answers: {}, consent: CONSENT, locale: "fr" })), "locale");
  });

  for (const consent of [undefined, { notice: "2025-01" }]) {
    test(`consent_required is a ConsentError (consent ${JSON.stringify(consent)})`, () => {
      assert.throws(
        () => who5.evaluate({ answers: who5Answers(3), consent }),
        (e) => {
          assert.ok(e instanceof ConsentError);
          assert.ok(e instanceof RequestError, "a kind of RequestError");
          assert.equal(e.name, "ConsentError");
          assert.equal(e.code, "consent_required");
          assert.equal(e.path, "consent.notice");
          assert.match(e.help, /2026-11/);
          return true;
        },
      );
    });
  }

  test("invalid_definition is a DefinitionError with diagnostics", () => {
    assert.throws(
      () => aspekt.compile(fixture("broken.toml"), { name: "broken.toml" }),
      (e) => {
        assert.ok(e instanceof DefinitionError);
        assert.equal(e.name, "DefinitionError");
        assert.equal(e.code, "invalid_definition");
        assert.equal(e.path, null);
        assert.ok(e.diagnostics.length >= 1, e.json);
        // Errors, and the warnings found on the way.
        assert.ok(e.diagnostics.some((d) => d.severity === "error"));
        for (const d of e.diagnostics) {
          assert.equal(d.file, "broken.toml");
          assert.ok(["error", "warning"].includes(d.severity));
          assert.equal(typeof d.code, "string");
          assert.equal(typeof d.location.line, "number");
        }
        assert.ok(e.diagnostics.some((d) => d.code === "unknown_scale"));
        return true;
      },
    );
  });

  test("TOML syntax errors are DefinitionErrors too", () => {
    assert.throws(
      () => aspekt.compile("[questionnaire\nid = ", { name: "x.toml" }),
      (e) => e instanceof DefinitionError && e.diagnostics[0].code === "syntax",
    );
  });

  test("unknown_definition is a DefinitionError", () => {
    assert.throws(
      () => aspekt.compileLibrary("who6"),
      (e) => {
        assert.ok(e instanceof DefinitionError);
        assert.equal(e.code, "unknown_definition");
        assert.equal(e.path, "library");
        assert.match(e.help, /who5/);
        return true;
      },
    );
  });

  test("a malformed compile request is a RequestError", () => {
    assert.throws(() => aspekt.compileJson("{"), (e) => e instanceof RequestError && e.code === "malformed_json");
    assert.throws(
      () => aspekt.compileJson('{"library": "who5", "definition": "x"}'),
      (e) => e instanceof RequestError && e.code === "invalid_request",
    );
    assert.throws(
      () => aspekt.compileJson('{"library": "who5", "colour": "red"}'),
      (e) => e instanceof RequestError && e.code === "invalid_request" && e.path === "colour",
    );
  });

  test("rule_failed is a RuleError, and the definition lives on", () => {
    const hostile = aspekt.compile(fixture("rule-failed.toml"), { name: "rule-failed.toml" });
    const answers = (code) => Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`q${i + 1}`, code]));
    assert.equal(hostile.evaluate({ answers: answers(1) }).results[0].label, "Fine");
    assert.throws(
      () => hostile.evaluate({ answers: answers(4) }),
      (e) => {
        assert.ok(e instanceof RuleError, e);
        assert.equal(e.name, "RuleError");
        assert.equal(e.code, "rule_failed");
        assert.ok(!e.message.includes("16"), `the message repeats a score: ${e.message}`);
        return true;
      },
    );
    assert.equal(hostile.evaluate({ answers: answers(2) }).results[0].label, "Fine");
    hostile.drop();
  });

  test("errorFromEnvelope picks the class by code", () => {
    const cases = {
      consent_required: ConsentError,
      invalid_code: RequestError,
      invalid_definition: DefinitionError,
      unknown_definition: DefinitionError,
      rule_failed: RuleError,
      internal: InternalError,
      something_new: AspektError,
    };
    for (const [code, Class] of Object.entries(cases)) {
      const e = errorFromEnvelope({ error: { code, message: "m", path: null, help: null } });
      assert.equal(e.constructor, Class, code);
      assert.equal(e.code, code);
    }
  });

  test("errors keep the exact envelope bytes", () => {
    const expected = readFileSync(
      new URL("tests/conformance/error-invalid-code/expected.json", new URL("../../../../", import.meta.url)),
      "utf8",
    ).trimEnd();
    try {
      who5.evaluateJson('{\n  "answers": {\n    "q1": 3,\n    "q2": 77\n  },\n  "consent": {\n    "notice": "2026-11"\n  }\n}\n');
      assert.fail("no error");
    } catch (e) {
      assert.equal(e.json, expected);
    }
  });
});

describe("the raw ABI", () => {
  test("invalid UTF-8 input is a malformed_json envelope at the root path", () => {
    const out = raw(aspekt, "aspekt_compile", [], new Uint8Array([0x7b, 0xff, 0x7d]));
    const e = errorFromEnvelope(out);
    assert.ok(e instanceof RequestError);
    assert.equal(e.code, "malformed_json");
    assert.equal(e.path, ".");
    assert.equal(e.message, "the request is not valid JSON (line 1): it is not UTF-8 text");
  });

  test("an empty input is read as an empty string", () => {
    const out = raw(aspekt, "aspekt_compile", [], "");
    assert.equal(errorFromEnvelope(out).code, "malformed_json");
  });

  test("unknown handles are an invalid_request envelope; dropping them is ignored", () => {
    for (const handle of [0, 9999, 0xffffffff]) {
      const out = raw(aspekt, "aspekt_evaluate", [handle], "{}");
      const e = errorFromEnvelope(out);
      assert.equal(e.code, "invalid_request");
      assert.match(e.message, new RegExp(`handle ${handle >>> 0} is not a compiled definition`));
      assert.equal(errorFromEnvelope(raw(aspekt, "aspekt_disclosure", [handle])).code, "invalid_request");
      aspekt.exports.aspekt_drop(handle);
    }
  });

  test("aspekt_alloc(0) is 0 and aspekt_free(0, 0) is harmless", () => {
    assert.equal(aspekt.exports.aspekt_alloc(0), 0);
    aspekt.exports.aspekt_free(0, 0);
  });
});

describe("handles", () => {
  test("drop, and the handle is reused", async () => {
    const a = await load();
    const first = a.compileLibrary("who5");
    const second = a.compileLibrary("brs");
    const h = first.handle;
    assert.notEqual(second.handle, h);
    first.drop();
    assert.ok(first.dropped);
    first.drop(); // idempotent
    const third = a.compileLibrary("gse");
    // The slot (low 16 bits) is reused under a new generation (high bits),
    // so the old handle can never reach the new definition.
    assert.equal(third.handle & 0xffff, h & 0xffff, "the dropped slot is reused");
    assert.notEqual(third.handle, h, "under a new generation");
    // The dropped definition must not reach the new one behind its old handle.
    assert.throws(
      () => first.evaluate({ answers: {}, consent: CONSENT }),
      (e) => e instanceof RequestError && e.code === "invalid_request" && /dropped/.test(e.message),
    );
    assert.throws(() => first.disclosure(), RequestError);
    assert.throws(() => first.evaluateJson("{}"), RequestError);
    assert.equal(third.evaluate({ declined: ["self-efficacy"], consent: CONSENT }).definition.id, "gse");
    assert.equal(second.evaluate({ declined: ["resilience"], consent: CONSENT }).definition.id, "brs");
    second.drop();
    third.drop();
    // By the raw ABI, a dropped handle is an error envelope.
    const out = raw(a, "aspekt_evaluate", [h], "{}");
    assert.equal(errorFromEnvelope(out).code, "invalid_request");
  });

  test("compiling and dropping in a loop neither grows the table nor the memory", async () => {
    const a = await load();
    const round = (i) => a.compileLibrary(i % 2 ? "who5" : "brs");
    for (let i = 0; i < 20; i++) round(i).drop();
    const bytes = a.memory.buffer.byteLength;
    for (let i = 0; i < 300; i++) {
      const d = round(i);
      assert.equal(d.handle & 0xffff, 1, "always the same slot");
      d.drop();
    }
    assert.equal(a.memory.buffer.byteLength, bytes);
  });
});

describe("disclosure", () => {
  test("the analysis per audience and result", () => {
    const who5 = aspekt.compileLibrary("who5");
    const { results } = who5.disclosure();
    assert.deepEqual(
      results.map((r) => [r.audience, r.result]).sort(),
      [
        ["counsellor", "wellbeing"],
        ["participant", "wellbeing"],
      ],
    );
    for (const r of results) {
      assert.equal(typeof r.k, "number");
      assert.ok(["exact", "enumerated", "witnessed", "waived", "interview"].includes(r.method));
      assert.ok(Array.isArray(r.outcomes));
    }
    who5.drop();
  });
});

describe("compile once, evaluate many", () => {
  test("10,000 evaluations do not grow the memory after warm-up", async (t) => {
    const a = await load();
    const who5 = a.compileLibrary("who5");
    const brs = a.compileLibrary("brs");
    const requests = [];
    for (let code = 0; code <= 5; code++) {
      requests.push(JSON.stringify({ answers: who5Answers(code), consent: CONSENT, locale: code % 2 ? "en" : "de" }));
    }
    requests.push(JSON.stringify({ answers: { q1: 5, q2: null }, consent: CONSENT }));
    requests.push(JSON.stringify({ declined: ["wellbeing"], consent: CONSENT, audience: "counsellor" }));
    const bad = [
      '{"answers": {"q1": 77}, "consent": {"notice": "2026-11"}}',
      '{"answers": {"q1": 3}}',
      "{not json",
    ];
    const round = (i) => {
      const report = who5.evaluateJson(requests[i % requests.length]);
      assert.ok(report.length > 100);
      assert.throws(() => who5.evaluateJson(bad[i % bad.length]), AspektError);
      if (i % 10 === 0) brs.evaluate({ declined: ["resilience"], consent: CONSENT });
      if (i % 100 === 0) {
        who5.disclosure();
        if (a.hasForm) who5.form(i % 200 ? "en" : undefined);
        if (a.hasTransparency) who5.transparency("de");
      }
      // The listing compiles every instrument (≈ 0.2 s): now and then.
      if (i % 2500 === 0) a.library();
    };
    for (let i = 0; i < 500; i++) round(i);
    const warm = a.memory.buffer.byteLength;
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) round(i);
    const ms = performance.now() - started;
    assert.equal(a.memory.buffer.byteLength, warm, "memory grew during 10,000 evaluations");
    // Each round is one report and one error; keep an eye on the cost.
    t.diagnostic(`10,000 rounds in ${Math.round(ms)} ms (${Math.round((ms * 1000) / 10_000)} µs each)`);
    who5.drop();
    brs.drop();
  });
});

describe("form and transparency", () => {
  const skipForm = !aspekt.hasForm && "the module does not export aspekt_form yet";
  const skipTransparency = !aspekt.hasTransparency && "the module does not export aspekt_transparency yet";

  test("a module without the exports: a clear InternalError", async () => {
    // The same instance, seen as an older module that lacks both exports.
    const { aspekt_form, aspekt_transparency, ...older } = aspekt.exports;
    const old = new Aspekt({ exports: older });
    await old.loadLibrary(pathToFileURL(libraryPath));
    assert.equal(old.hasForm, false);
    assert.equal(old.hasTransparency, false);
    const who5 = old.compileLibrary("who5");
    assert.throws(() => who5.form("en"), (e) => e instanceof InternalError && /aspekt_form/.test(e.message));
    assert.throws(() => who5.transparency(), (e) => e instanceof InternalError && /aspekt_transparency/.test(e.message));
    who5.drop();
  });

  test("form: topics, items and options in a locale", { skip: skipForm }, () => {
    const who5 = aspekt.compileLibrary("who5");
    const en = who5.form("en");
    assert.equal(en.id, "who5");
    assert.equal(en.locale, "en");
    assert.deepEqual(en.locales, ["de", "en"]);
    assert.equal(en.title, "WHO-5 Well-Being Index");
    assert.equal(en.privacy_notice, "2026-11");
    assert.equal(en.mode, "questionnaire");
    assert.equal(en.digest, who5.info.digest);
    assert.equal(en.topics.length, 1);
    const [topic] = en.topics;
    assert.equal(topic.id, "wellbeing");
    assert.deepEqual(topic.items.map((i) => i.id), ["q1", "q2", "q3", "q4", "q5"]);
    assert.deepEqual(topic.items[0].options[0], { code: 5, label: "All of the time" });
    assert.equal(topic.items[0].options.length, 6);
    // Nothing about scoring.
    const keys = JSON.stringify(en);
    for (const word of ['"band', '"score', '"weight', '"reverse', '"keying']) {
      assert.ok(!keys.includes(word), `the form mentions ${word}`);
    }
    const de = who5.form();
    assert.equal(de.locale, "de", "default: the first locale");
    assert.equal(de.topics[0].items[0].options[0].label, "Die ganze Zeit");
    assert.deepEqual(who5.form("de"), de);
    who5.drop();
  });

  test("form: an undeclared locale is a RequestError", { skip: skipForm }, () => {
    const who5 = aspekt.compileLibrary("who5");
    assert.throws(
      () => who5.form("fr"),
      (e) => e instanceof RequestError && e.code === "unknown_locale" && e.path === "locale",
    );
    who5.drop();
  });

  test("form and transparency by the raw ABI: empty, {}, null, bad input", { skip: skipForm || skipTransparency }, () => {
    const who5 = aspekt.compileLibrary("who5");
    for (const fn of ["aspekt_form", "aspekt_transparency"]) {
      const locale = (input) => JSON.parse(raw(aspekt, fn, [who5.handle], input)).locale;
      assert.equal(locale(""), "de", `${fn}: empty input is the default locale`);
      assert.equal(locale("{}"), "de");
      assert.equal(locale('{"locale": null}'), "de");
      assert.equal(locale('{"locale": "en"}'), "en");
      for (const [input, code] of [
        ['{"locale": 3}', "invalid_request"],
        ['{"colour": "red"}', "invalid_request"],
        ["{", "malformed_json"],
        ['{"locale": "fr"}', "unknown_locale"],
      ]) {
        assert.equal(errorFromEnvelope(raw(aspekt, fn, [who5.handle], input)).code, code, `${fn} ${input}`);
      }
      assert.equal(errorFromEnvelope(raw(aspekt, fn, [9999], "")).code, "invalid_request");
    }
    who5.drop();
  });

  test("transparency: who sees which result", { skip: skipTransparency }, () => {
    const who5 = aspekt.compileLibrary("who5");
    const en = who5.transparency("en");
    assert.equal(en.locale, "en");
    assert.deepEqual(en.definition, { id: "who5", version: who5.info.version, digest: who5.info.digest });
    assert.equal(en.results.length, 1);
    assert.deepEqual(en.results[0].audiences, ["participant", "counsellor"]);
    assert.deepEqual(en.results[0].seen_by, ["you", "your counsellor"]);
    assert.ok(en.results[0].not_seen_by.includes("the employment agency"));
    assert.equal(en.results[0].waiver, null);
    assert.match(en.answers, /Nobody sees your individual answers/);
    assert.equal(typeof en.voluntary, "string");
    assert.equal(typeof en.no_recommendation, "string");
    assert.match(en.text, /the employment agency/);
    const de = who5.transparency();
    assert.equal(de.locale, "de");
    assert.match(de.text, /Wer sieht was\?/);
    assert.throws(() => who5.transparency("fr"), (e) => e instanceof RequestError && e.code === "unknown_locale");
    who5.drop();
  });
});
