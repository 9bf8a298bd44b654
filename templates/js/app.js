// {{name}}: a Visor app. A coloured square floats a metre in front of where your head was when
// the app started; point at it and it grows, click it and it changes colour.
//
// `visor dev` runs it and reloads it in place each time you save: change COLOR below and watch
// the square follow.

import * as gfx from "visor:app/gfx@0.2.0";
import { exportApp, info, Mat4, mesh } from "./visor.js";

// The square's colour: red, green, blue, alpha, each 0 to 1.
const COLOR = [0.15, 0.55, 0.95, 1.0];
// Its colour after a click.
const CLICKED = [0.95, 0.55, 0.15, 1.0];

class Square {
  constructor() {
    const { vertices, indices } = mesh.quad(0.5, 0.5, COLOR);
    this.vertices = gfx.createVertexBuffer(vertices.length);
    gfx.updateVertexBuffer(this.vertices, 0, vertices);
    this.indices = gfx.createIndexBuffer(indices.length);
    gfx.updateIndexBuffer(this.indices, 0, indices);
    this.indexCount = indices.length;
    this.pipeline = gfx.builtin("unlit");
    // World from square: placed in front of the head at the first frame.
    this.placed = null;
    this.hovered = false;
    this.clicked = false;
    // The colour the vertex buffer holds now.
    this.shown = COLOR;
    info("{{name}} ready");
  }

  input(event) {
    if (event.tag === "pointer-move") this.hovered = event.val.hit !== undefined;
    else if (event.tag === "pointer-leave") this.hovered = false;
    else if (event.tag === "pointer-down") this.clicked = !this.clicked;
  }

  frame(info) {
    const color = this.clicked ? CLICKED : COLOR;
    if (color !== this.shown) {
      gfx.updateVertexBuffer(this.vertices, 0, mesh.quad(0.5, 0.5, color).vertices);
      this.shown = color;
    }
    if (this.placed === null) this.placed = Mat4.fromWit(info.head).mul(Mat4.translation(0, 0, -1));
    const model = this.placed.mul(Mat4.scale(this.hovered ? 1.15 : 1.0));
    gfx.submitDraw({
      pipeline: this.pipeline,
      vertices: this.vertices,
      indices: this.indices,
      first: 0,
      count: this.indexCount,
      model: model.toWit(),
      texture: undefined,
      clip: undefined,
      clipPlanes: [],
    });
  }
}

// The app world's exports: init and frame, running a Square.
export const { init, frame } = exportApp(Square);
