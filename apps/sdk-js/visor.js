// The Visor app SDK for JavaScript: write an AR app as an ES module, build it with
// `visor build` (componentize-js) into a WebAssembly component against the `app` world in
// `wit/visor.wit`. It mirrors the Rust SDK (visor_sdk) and the Python one (visor):
//
// - `exportApp(Class)`: an app is a class created once by `init` and asked for each frame;
//   `export const { init, frame } = exportApp(MyApp)` exports it;
// - `Mat4`: column-major 4x4 matrices (translation, scale, rotation, product) and their WIT form;
// - `mesh`: vertices and the quad and cube shapes;
// - `Canvas`: an RGBA canvas with 8x8 bitmap text, for labels drawn into textures;
// - `Panel`: a textured rectangle in the world showing a canvas (HUDs, windows);
// - `info`, `warn`, `error`, `nowSeconds`: the shell's log and clock.
//
// Imports of the app world are ES imports of `visor:app/INTERFACE@0.2.0`; WIT names are
// camelCased (`submit-draw` is `submitDraw`), records are plain objects, variants are
// `{ tag, val }`, and a WIT error comes back as a thrown error whose `payload` is the value.

import * as gfx from "visor:app/gfx@0.2.0";
import * as log from "visor:app/log@0.2.0";
import * as clock from "visor:app/clock@0.2.0";

// --- apps --------------------------------------------------------------------------------------

let app = null;

// An exception's message and stack (file and line), which the shell shows in its log, the admin
// panel and `visor dev`'s overlay.
function describe(what, e) {
  const payload = e && e.payload !== undefined ? JSON.stringify(e.payload) : null;
  const stack = e && e.stack ? `\n${e.stack}` : "";
  return `${what} threw: ${payload ?? String(e)}${stack}`;
}

/** The app world's `init` and `frame`, running one instance of `AppClass`: its constructor
 * sets up buffers and pipelines, `input(event)` (optional) receives the events routed to it
 * since its last frame just before `frame(info)` records that frame's draws. */
export function exportApp(AppClass) {
  return {
    init() {
      try {
        app = new AppClass();
      } catch (e) {
        throw describe(`new ${AppClass.name}()`, e);
      }
    },
    frame(info) {
      if (app === null) throw "frame called before init succeeded";
      try {
        if (app.input) for (const event of info.events) app.input(event);
        app.frame(info);
      } catch (e) {
        throw describe(`${AppClass.name}.frame`, e);
      }
    },
  };
}

export function info(message) {
  log.write("info", String(message));
}
export function warn(message) {
  log.write("warn", String(message));
}
export function error(message) {
  log.write("error", String(message));
}
/** Seconds on the shell's monotonic clock (the clock of `displayTimeNs`). */
export function nowSeconds() {
  return Number(clock.nowNs()) * 1e-9;
}

// --- matrices ----------------------------------------------------------------------------------

/** A column-major 4x4 matrix: `m[c * 4 + r]` is row r of column c; `a.mul(b)` applies b
 * first, then a (as in glam). */
export class Mat4 {
  constructor(m) {
    if (m.length !== 16) throw new RangeError(`a Mat4 holds 16 numbers, column by column; got ${m.length}`);
    this.m = Float64Array.from(m);
  }
  static identity() {
    return new Mat4([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  }
  static translation(x, y, z) {
    return new Mat4([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, x, y, z, 1]);
  }
  static scale(x, y = x, z = x) {
    return new Mat4([x, 0, 0, 0, 0, y, 0, 0, 0, 0, z, 0, 0, 0, 0, 1]);
  }
  static rotationX(a) {
    const [c, s] = [Math.cos(a), Math.sin(a)];
    return new Mat4([1, 0, 0, 0, 0, c, s, 0, 0, -s, c, 0, 0, 0, 0, 1]);
  }
  static rotationY(a) {
    const [c, s] = [Math.cos(a), Math.sin(a)];
    return new Mat4([c, 0, -s, 0, 0, 1, 0, 0, s, 0, c, 0, 0, 0, 0, 1]);
  }
  static rotationZ(a) {
    const [c, s] = [Math.cos(a), Math.sin(a)];
    return new Mat4([c, s, 0, 0, -s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  }
  mul(other) {
    const [a, b] = [this.m, other.m];
    const out = new Array(16);
    for (let c = 0; c < 4; c++)
      for (let r = 0; r < 4; r++) {
        let sum = 0;
        for (let k = 0; k < 4; k++) sum += a[k * 4 + r] * b[c * 4 + k];
        out[c * 4 + r] = sum;
      }
    return new Mat4(out);
  }
  transformPoint([x, y, z]) {
    const m = this.m;
    return [0, 1, 2].map((r) => m[r] * x + m[4 + r] * y + m[8 + r] * z + m[12 + r]);
  }
  toWit() {
    const m = this.m;
    const col = (c) => ({ x: m[c * 4], y: m[c * 4 + 1], z: m[c * 4 + 2], w: m[c * 4 + 3] });
    return { c0: col(0), c1: col(1), c2: col(2), c3: col(3) };
  }
  static fromWit(w) {
    return new Mat4([w.c0, w.c1, w.c2, w.c3].flatMap((c) => [c.x, c.y, c.z, c.w]));
  }
}

// --- meshes ------------------------------------------------------------------------------------

/** A vertex from arrays: position [x, y, z], normal [x, y, z], straight-alpha linear colour
 * [r, g, b, a] and texture coordinate [u, v]. */
function vertex([px, py, pz], [nx, ny, nz], [r, g, b, a], [u, v]) {
  return { position: { x: px, y: py, z: pz }, normal: { x: nx, y: ny, z: nz }, color: { x: r, y: g, z: b, w: a }, uv: { x: u, y: v } };
}

export const mesh = {
  vertex,
  /** A quad in the z = 0 plane, centred on the origin, facing +z: four vertices (bottom-left,
   * bottom-right, top-right, top-left) and six indices. */
  quad(width, height, color) {
    const [w, h, n] = [width / 2, height / 2, [0, 0, 1]];
    const vertices = [
      vertex([-w, -h, 0], n, color, [0, 1]),
      vertex([w, -h, 0], n, color, [1, 1]),
      vertex([w, h, 0], n, color, [1, 0]),
      vertex([-w, h, 0], n, color, [0, 0]),
    ];
    return { vertices, indices: new Uint32Array([0, 1, 2, 0, 2, 3]) };
  },
  /** An axis-aligned cube of edge `size` centred on the origin: 24 vertices (flat normals, one
   * colour per face, in the order +x, -x, +y, -y, +z, -z) and 36 indices. */
  cube(size, faceColors) {
    const h = size / 2;
    const faces = [
      [[1, 0, 0], [0, 0, -1], [0, 1, 0]],
      [[-1, 0, 0], [0, 0, 1], [0, 1, 0]],
      [[0, 1, 0], [1, 0, 0], [0, 0, -1]],
      [[0, -1, 0], [1, 0, 0], [0, 0, 1]],
      [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
      [[0, 0, -1], [-1, 0, 0], [0, 1, 0]],
    ];
    const vertices = [];
    const indices = [];
    faces.forEach(([n, u, v], face) => {
      const base = vertices.length;
      for (const [su, sv] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
        const p = [0, 1, 2].map((i) => (n[i] + u[i] * su + v[i] * sv) * h);
        vertices.push(vertex(p, n, faceColors[face], [(su + 1) / 2, (1 - sv) / 2]));
      }
      indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
    });
    return { vertices, indices: new Uint32Array(indices) };
  },
};

// --- canvas and panel --------------------------------------------------------------------------

// 128 glyphs of 8 rows, a bit per pixel, least significant bit leftmost: the public-domain
// font8x8 "basic" set (BASIC_LEGACY), as the Rust SDK's canvas uses.
const FONT = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000183c3c1818001800363600000000000036367f367f3636000c3e031e301f0c00006333180c6663001c361c6e3b336e000606030000000000180c0606060c1800060c1818180c060000663cff3c660000000c0c3f0c0c000000000000000c0c060000003f0000000000000000000c0c006030180c060301003e63737b6f673e000c0e0c0c0c0c3f001e33301c06333f001e33301c30331e00383c36337f3078003f031f3030331e001c06031f33331e003f3330180c0c0c001e33331e33331e001e33333e30180e00000c0c00000c0c00000c0c00000c0c06180c0603060c180000003f00003f0000060c1830180c06001e3330180c000c003e637b7b7b031e000c1e33333f3333003f66663e66663f003c66030303663c001f36666666361f007f46161e16467f007f46161e16060f003c66030373667c003333333f333333001e0c0c0c0c0c1e007830303033331e006766361e366667000f06060646667f0063777f7f6b63630063676f7b736363001c36636363361c003f66663e06060f001e3333333b1e38003f66663e366667001e33070e38331e003f2d0c0c0c0c1e003333333333333f0033333333331e0c006363636b7f7763006363361c1c3663003333331e0c0c1e007f6331184c667f001e06060606061e0003060c18306040001e18181818181e00081c36630000000000000000000000ff0c0c18000000000000001e303e336e000706063e66663b0000001e3303331e003830303e33336e0000001e333f031e001c36060f06060f0000006e33333e301f0706366e666667000c000e0c0c0c1e00300030303033331e070666361e3667000e0c0c0c0c0c1e000000337f7f6b630000001f333333330000001e3333331e0000003b66663e060f00006e33333e307800003b6e66060f0000003e031e301f00080c3e0c0c2c18000000333333336e0000003333331e0c000000636b7f7f3600000063361c36630000003333333e301f00003f190c263f00380c0c070c0c38001818180018181800070c0c380c0c07006e3b0000000000000000000000000000";
const glyphRow = (code, row) => parseInt(FONT.substr((code * 8 + row) * 2, 2), 16);

/** RGBA8 pixels with 8x8 bitmap text, for labels drawn into textures. */
export class Canvas {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 4);
  }
  clear(rgba) {
    for (let i = 0; i < this.pixels.length; i += 4) this.pixels.set(rgba, i);
  }
  /** Fill a rectangle, clipped to the canvas. */
  rect(x, y, width, height, rgba) {
    const [x0, y0] = [Math.max(0, x), Math.max(0, y)];
    const [x1, y1] = [Math.min(this.width, x + width), Math.min(this.height, y + height)];
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.pixels.set(rgba, (py * this.width + px) * 4);
  }
  /** A one-pixel outline of a rectangle. */
  outline(x, y, width, height, rgba) {
    if (width <= 0 || height <= 0) return;
    this.rect(x, y, width, 1, rgba);
    this.rect(x, y + height - 1, width, 1, rgba);
    this.rect(x, y, 1, height, rgba);
    this.rect(x + width - 1, y, 1, height, rgba);
  }
  /** ASCII `text` with its top-left at (x, y), each font pixel `scale` canvas pixels. */
  text(x, y, text, scale, rgba) {
    let pen = x;
    for (const ch of text) {
      const code = ch.charCodeAt(0) < 128 ? ch.charCodeAt(0) : 63;
      for (let row = 0; row < 8; row++) {
        const bits = glyphRow(code, row);
        for (let col = 0; col < 8; col++) if (bits & (1 << col)) this.rect(pen + col * scale, y + row * scale, scale, scale, rgba);
      }
      pen += 8 * scale;
    }
  }
  /** How wide `text` draws at `scale`, in canvas pixels. */
  static textWidth(text, scale) {
    return text.length * 8 * scale;
  }
}

/** A flat textured rectangle in the world showing a `Canvas`; the texture is sent only on
 * `upload`. */
export class Panel {
  /** A panel `width` x `height` metres, centred on its origin in the z = 0 plane, facing +z,
   * showing a canvas of `pixelsWide` x `pixelsHigh`. */
  constructor(width, height, pixelsWide, pixelsHigh) {
    const { vertices, indices } = mesh.quad(width, height, [1, 1, 1, 1]);
    this.vertices = gfx.createVertexBuffer(vertices.length);
    gfx.updateVertexBuffer(this.vertices, 0, vertices);
    this.indices = gfx.createIndexBuffer(indices.length);
    gfx.updateIndexBuffer(this.indices, 0, indices);
    this.canvas = new Canvas(pixelsWide, pixelsHigh);
    this.texture = gfx.createTexture(pixelsWide, pixelsHigh, this.canvas.pixels);
    this.pipeline = gfx.builtin("textured");
  }
  /** Sends the canvas to the panel's texture. */
  upload() {
    gfx.updateTexture(this.texture, this.canvas.pixels);
  }
  /** Draws the panel this frame, placed by `model` (a Mat4: world from panel). */
  draw(model) {
    gfx.submitDraw({
      pipeline: this.pipeline,
      vertices: this.vertices,
      indices: this.indices,
      first: 0,
      count: 6,
      model: model.toWit(),
      texture: this.texture,
      clip: undefined,
      clipPlanes: [],
    });
  }
}
