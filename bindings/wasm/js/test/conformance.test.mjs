// The shared conformance corpus (tests/conformance/, see its README) through
// the WebAssembly module: the same definition and request give the same
// bytes as the Rust engine. `evaluateCase` mirrors `evaluate_case` in
// engine/tests/conformance.rs step by step, without normalising anything.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { AspektError } from "../aspekt.js";
import { load, root } from "./load.mjs";

const corpus = new URL("tests/conformance/", root);
const aspekt = await load();

/** @returns {string} the report JSON, or the error envelope JSON */
function evaluateCase(definition, request) {
  // 1. An evaluator: the library instrument, or the inline text compiled
  //    under the name `definition.toml`; on failure, the error envelope.
  let evaluator;
  try {
    evaluator =
      "library" in definition
        ? aspekt.compileLibrary(definition.library)
        : aspekt.compile(definition.inline, { name: "definition.toml" });
  } catch (e) {
    if (e instanceof AspektError) return e.json;
    throw e;
  }
  // 2. + 3. evaluate the request text unchanged: the report, or the envelope.
  try {
    return evaluator.evaluateJson(request);
  } catch (e) {
    if (e instanceof AspektError) return e.json;
    throw e;
  } finally {
    evaluator.drop();
  }
}

const names = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test("the corpus is there", () => {
  assert.ok(names.length >= 15, `only ${names.length} cases in ${corpus.pathname}`);
});

for (const name of names) {
  test(`conformance: ${name}`, () => {
    const dir = new URL(`${name}/`, corpus);
    const meta = JSON.parse(readFileSync(new URL("case.json", dir), "utf8"));
    const inline = new URL("definition.toml", dir);
    const definition =
      typeof meta.library === "string"
        ? { library: meta.library }
        : { inline: readFileSync(inline, "utf8") };
    assert.ok(
      ("library" in definition) !== existsSync(inline),
      `${name}: give either \`library\` in case.json or a definition.toml, not both`,
    );
    const request = readFileSync(new URL("request.json", dir), "utf8");
    const expected = readFileSync(new URL("expected.json", dir));
    const output = evaluateCase(definition, request);
    const actual = Buffer.from(`${output}\n`, "utf8");
    // Compare the text first for a readable diff, then the bytes.
    assert.equal(actual.toString("utf8"), expected.toString("utf8"), `${name}: output differs`);
    assert.ok(actual.equals(expected), `${name}: bytes differ`);
  });
}
