// Loads the module the tests run against: ASPEKT_WASM, or aspekt.wasm beside
// aspekt.js (written by bindings/wasm/build.sh).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

import { Aspekt } from "../aspekt.js";

export const wasmPath = process.env.ASPEKT_WASM ?? fileURLToPath(new URL("../aspekt.wasm", import.meta.url));

if (!existsSync(wasmPath)) {
  throw new Error(`${wasmPath} is missing: build it with \`bash bindings/wasm/build.sh\``);
}

/** The instrument library bundle beside the module (written by build.sh). */
export const libraryPath = fileURLToPath(new URL("library.json", pathToFileURL(wasmPath)));

/** A fresh instance of the module. */
export function load() {
  return Aspekt.load(pathToFileURL(wasmPath));
}

/** The repository root. */
export const root = new URL("../../../../", import.meta.url);
