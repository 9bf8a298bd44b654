// Visor's dev loader for JavaScript apps. `visor dev` builds a project's component once around
// this module instead of `app.js`, and hands it the app, bundled by esbuild into one CommonJS
// script, through the environment (VISOR_DEV_SOURCES) on every start: a saved change then runs
// on the component already compiled, without building it again. The engine and `visor.js` stay
// as they were built; a change to `visor.js`, `wit/` or `visor.toml` makes `visor dev` build anew.

import * as gfx from "visor:app/gfx@0.2.0";
import * as bus from "visor:app/bus@0.2.0";
import * as log from "visor:app/log@0.2.0";
import * as clock from "visor:app/clock@0.2.0";
import { getEnvironment } from "wasi:cli/environment@0.2.3";
import * as sdk from "./visor.js";

// What the app's bundle may import: the app world's interfaces and the SDK, as built.
const MODULES = {
  "visor:app/gfx@0.2.0": gfx,
  "visor:app/bus@0.2.0": bus,
  "visor:app/log@0.2.0": log,
  "visor:app/clock@0.2.0": clock,
  "./visor.js": sdk,
};

// The app's own exports (init and frame), once loaded.
let world = null;

function load() {
  const source = new Map(getEnvironment()).get("VISOR_DEV_SOURCES");
  if (source === undefined) throw new Error("VISOR_DEV_SOURCES is not set: this component runs under visor dev");
  const module = { exports: {} };
  const require = (specifier) => {
    if (specifier in MODULES) return MODULES[specifier];
    throw new Error(`'${specifier}' cannot be imported: an app imports visor:app/gfx, bus, log, clock and ./visor.js`);
  };
  new Function("require", "module", "exports", source)(require, module, module.exports);
  return module.exports;
}

export function init() {
  try {
    world = load();
  } catch (e) {
    throw `loading app.js threw: ${e}${e && e.stack ? "\n" + e.stack : ""}`;
  }
  return world.init();
}

export function frame(info) {
  if (world === null) throw "frame called before init succeeded";
  return world.frame(info);
}
