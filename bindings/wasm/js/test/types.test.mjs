// The TypeScript declarations compile under `--strict` and fit the API as
// test/types-check.ts uses it. Skips when typescript is not installed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
const skip = !existsSync(tsc) && "typescript is not installed (npm ci in bindings/wasm/js)";

test("aspekt.d.ts and aspekt-questionnaire.d.ts type-check", { skip }, () => {
  const args = [
    tsc,
    "--noEmit",
    "--strict",
    "--target", "es2022",
    "--module", "nodenext",
    "--moduleResolution", "nodenext",
    "--lib", "es2022,dom",
    "--skipLibCheck", "false",
    fileURLToPath(new URL("types-check.ts", import.meta.url)),
  ];
  try {
    execFileSync(process.execPath, args, { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});
