// mesh-viewer.js: the <mesh-viewer> custom element, an interactive 3D preview of one mesh.
//
// Owns: fetching `src` (the PSM1 preview mesh of /api/v1/files/{id}/preview-mesh),
// validating and parsing it, drawing it with plain WebGL (flat-shaded model over a 10 mm
// bed grid, Z up), orbit/pan/zoom by mouse, touch, wheel and keyboard, and the element's
// visible and announced state. No dependencies, no build step.
//
//   <mesh-viewer src="/api/v1/files/12/preview-mesh" label="Bracket"></mesh-viewer>
//
// Attributes: src (changing it reloads), label. The element sets on itself: role="img",
//   aria-label="3D preview of {label}" (plus the message on error), tabindex="0" unless set,
//   data-state = loading | ready | error | unsupported, and while ready data-triangles and
//   data-source-triangles.
// Event: `mesh-viewer-state` (bubbles), detail { state, message }.
// CSS: --viewer-bg, --viewer-model, --viewer-grid (any CSS colour); ::part(canvas | message |
//   caption | reset). Method: resetView().
//
// PSM1, little-endian: "PSM1", u32 V, u32 T, u32 source triangles, f32 bbox min xyz, max xyz
// (mm), V×3 u16 positions quantized in the bbox, zero padding to 4 bytes, T×3 u32 indices.

const HEADER = 40;
const FOV = (35 * Math.PI) / 180; // vertical field of view
const HOME = { yaw: -Math.PI / 2 + 0.6, pitch: 0.5, zoom: 1, pan: [0, 0, 0] }; // 3/4 view from front-right
const PITCH_MAX = 1.45; // ~83°: the Z-up camera never flips over the pole
const ORBIT = 0.008; // radians per dragged CSS pixel
const NO_WEBGL = '3D preview needs WebGL, which this browser has turned off.';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1; // typed arrays read the file as is
const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, x));

/** Parses and validates PSM1; throws an Error whose message follows "Could not load the 3D preview: ". */
export function parsePSM1(buf) {
  const n = buf.byteLength, dv = new DataView(buf);
  if (n < HEADER) throw new Error(`the file is too short to be a preview mesh (${n} bytes)`);
  if (dv.getUint32(0) !== 0x50534d31) throw new Error('the file is not a PSM1 preview mesh');
  const [V, T, S] = [4, 8, 12].map((o) => dv.getUint32(o, true));
  const box = [0, 1, 2, 3, 4, 5].map((i) => dv.getFloat32(16 + 4 * i, true)), min = box.slice(0, 3), max = box.slice(3);
  if (!V || !T) throw new Error('the mesh is empty');
  if (S < T) throw new Error(`the source triangle count (${S}) is below the triangle count (${T})`);
  if (!box.every(Number.isFinite) || min.some((m, i) => m > max[i])) throw new Error('the bounding box is invalid');
  const posEnd = HEADER + 6 * V, idxAt = Math.ceil(posEnd / 4) * 4, want = idxAt + 12 * T;
  if (n < want) throw new Error(`the file is truncated (${n} of ${want} bytes)`);
  if (n > want) throw new Error(`the file has ${n - want} unexpected bytes at the end`);
  for (let o = posEnd; o < idxAt; o++) if (dv.getUint8(o)) throw new Error('the padding after the vertices is not zero');
  if (!LITTLE_ENDIAN) throw new Error('this device is big-endian');
  const pos = new Uint16Array(buf, HEADER, 3 * V), idx = new Uint32Array(buf, idxAt, 3 * T);
  let hi = 0;
  for (let i = 0; i < idx.length; i++) if (idx[i] > hi) hi = idx[i];
  if (hi >= V) {
    const k = idx.findIndex((v) => v >= V);
    throw new Error(`triangle ${Math.floor(k / 3) + 1} uses vertex ${idx[k]}, but the mesh has only ${V} vertices`);
  }
  return { V, T, S, min, max, pos, idx };
}

// ---- vectors and column-major 4×4 matrices ----
const add = (a, b, s = 1) => [a[0] + b[0] * s, a[1] + b[1] * s, a[2] + b[2] * s];
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a) => add([0, 0, 0], a, 1 / (Math.hypot(...a) || 1));
function mul(a, b) {
  const o = new Float32Array(16);
  for (let i = 0; i < 16; i++) for (let k = 0; k < 4; k++) o[i] += a[k * 4 + (i & 3)] * b[(i & ~3) + k];
  return o;
}
function perspective(aspect, near, far) {
  const f = 1 / Math.tan(FOV / 2), nf = 1 / (near - far);
  return [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0];
}
const view = (x, y, z, eye) => // rows: camera right, up, back
  [x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0, -dot(x, eye), -dot(y, eye), -dot(z, eye), 1];

// ---- shaders: GLSL ES 1.00 bodies; on WebGL2 a #version 300 es prelude maps the keywords ----
const MODEL_VS = `attribute vec3 a_p; uniform mat4 u_mvp; uniform vec3 u_min, u_size; varying vec3 v_p;
void main() { v_p = u_min + a_p * u_size; gl_Position = u_mvp * vec4(v_p, 1.0); }`;
// Flat shading without normals: the face normal is the cross product of the screen-space
// derivatives of the world position, turned towards the eye (so any winding shades).
const MODEL_FS = `precision highp float; varying vec3 v_p; uniform vec3 u_color, u_light, u_eye;
void main() {
  vec3 n = normalize(cross(dFdx(v_p), dFdy(v_p))), e = normalize(u_eye - v_p);
  if (dot(n, e) < 0.0) n = -n;
  float d = max(dot(n, u_light), 0.0), s = pow(max(dot(n, normalize(u_light + e)), 0.0), 40.0);
  OUT_COLOR = vec4(u_color * (0.38 + 0.62 * d) + 0.08 * s, 1.0);
}`;
const GRID_VS = 'attribute vec3 a_p; uniform mat4 u_mvp; void main() { gl_Position = u_mvp * vec4(a_p, 1.0); }';
const GRID_FS = 'precision mediump float; uniform vec4 u_color; void main() { OUT_COLOR = u_color; }';

function program(gl, v2, vs, fs) {
  const pre = v2
    ? ['#version 300 es\n#define attribute in\n#define varying out\n', '#version 300 es\n#define varying in\nout highp vec4 o_color;\n#define OUT_COLOR o_color\n']
    : ['', '#extension GL_OES_standard_derivatives : enable\n#define OUT_COLOR gl_FragColor\n'];
  const p = gl.createProgram(), u = {};
  [[gl.VERTEX_SHADER, pre[0] + vs], [gl.FRAGMENT_SHADER, pre[1] + fs]].forEach(([type, src]) => {
    const s = gl.createShader(type);
    gl.shaderSource(s, src);
    gl.compileShader(s);
    gl.attachShader(p, s);
    gl.deleteShader(s); // goes with the program
  });
  gl.bindAttribLocation(p, 0, 'a_p');
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p) || 'shader link failed');
  for (let i = gl.getProgramParameter(p, gl.ACTIVE_UNIFORMS); i--;) {
    const name = gl.getActiveUniform(p, i).name;
    u[name] = gl.getUniformLocation(p, name);
  }
  return { p, u };
}

/** Bed grid on z = min z: 10 mm lines (100 mm if that would be too many) over the bbox plus a margin. */
function gridLines(min, max) {
  const margin = Math.max(10, 0.25 * Math.max(max[0] - min[0], max[1] - min[1]));
  let step = 10, lo, hi;
  for (;;) {
    lo = [0, 1].map((a) => Math.floor((min[a] - margin) / step) * step);
    hi = [0, 1].map((a) => Math.ceil((max[a] + margin) / step) * step);
    if ((hi[0] - lo[0] + hi[1] - lo[1]) / step <= 240) break;
    step *= 10;
  }
  const z = min[2], v = [];
  for (let x = lo[0]; x <= hi[0] + step / 2; x += step) v.push(x, lo[1], z, x, hi[1], z);
  for (let y = lo[1]; y <= hi[1] + step / 2; y += step) v.push(lo[0], y, z, hi[0], y, z);
  return { data: new Float32Array(v), radius: Math.hypot(hi[0] - lo[0], hi[1] - lo[1]) / 2 };
}

// Any CSS colour → [r, g, b, a] in 0..1, painted on a 1×1 2D canvas (cached).
const colors = new Map();
let paint;
function rgba(css) {
  if (!colors.has(css)) {
    paint ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    paint.clearRect(0, 0, 1, 1);
    paint.fillStyle = css;
    paint.fillRect(0, 0, 1, 1);
    if (colors.size > 64) colors.clear();
    colors.set(css, [...paint.getImageData(0, 0, 1, 1).data].map((x) => x / 255));
  }
  return colors.get(css);
}

// The private --_* defaults follow the colour scheme; the page's --viewer-* win when set.
// Hidden .probe elements resolve the var() chains, so the script reads finished colours.
const CSS = `
:host { --_bg: #e9edf2; --_model: #4f86c6; --_grid: rgb(0 0 0 / .16); --_chip: rgb(255 255 255 / .85); --_ink: #1d2630;
  display: block; position: relative; width: 100%; aspect-ratio: 4 / 3; overflow: hidden; contain: content;
  background: var(--viewer-bg, var(--_bg)); font: .85rem/1.35 system-ui, sans-serif; user-select: none; -webkit-user-select: none; }
@media (prefers-color-scheme: dark) {
  :host { --_bg: #1c2128; --_model: #78aef0; --_grid: rgb(255 255 255 / .14); --_chip: rgb(20 24 30 / .85); --_ink: #e4e8ee; } }
:host([hidden]), [hidden], .probe { display: none !important; }
:host(:focus-visible) { outline: 2px solid Highlight; outline-offset: 2px; }
canvas { position: absolute; inset: 0; width: 100%; height: 100%; touch-action: none; cursor: grab; }
canvas.dragging { cursor: grabbing; }
.message { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; padding: 1em; text-align: center; }
.message span, .caption, .reset { background: var(--_chip); color: var(--_ink); border-radius: 6px; font-size: .75rem; }
.message span { padding: .5em .8em; max-width: 32em; font-size: .85rem; }
.caption { position: absolute; left: .5em; bottom: .5em; padding: .15em .5em; pointer-events: none; }
.reset { position: absolute; right: .5em; top: .5em; border: 0; padding: .25em .55em; font-family: inherit; cursor: pointer; }`;
let sheet; // one constructable stylesheet for all instances (no inline <style>, so no CSP trouble)

class MeshViewer extends HTMLElement {
  static observedAttributes = ['src', 'label'];

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets && CSSStyleSheet.prototype.replaceSync) {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.append(Object.assign(document.createElement('style'), { textContent: CSS }));
    const part = (tag, name, props) => {
      const e = Object.assign(document.createElement(tag), { className: name, hidden: name !== 'canvas' }, props);
      e.setAttribute('part', name);
      return e;
    };
    this._canvas = part('canvas', 'canvas');
    this._msg = part('div', 'message');
    this._caption = part('div', 'caption');
    this._reset = part('button', 'reset', { type: 'button', textContent: '⟲ Reset view', tabIndex: -1, onclick: () => this.resetView() });
    this._reset.setAttribute('aria-label', 'Reset view');
    this._probes = ['bg', 'model', 'grid'].map((k) => {
      const p = Object.assign(document.createElement('i'), { className: 'probe' });
      p.style.color = `var(--viewer-${k}, var(--_${k}))`;
      return p;
    });
    root.append(this._canvas, this._msg, this._caption, this._reset, ...this._probes);
    this._view = structuredClone(HOME);
    this._pointers = new Map();
  }

  connectedCallback() {
    this._connected = true;
    if (!this.hasAttribute('tabindex')) this.tabIndex = 0;
    this.setAttribute('role', 'img');
    this._label();
    // Every listener goes with this controller, so disconnecting removes them all.
    const signal = (this._events = new AbortController()).signal, c = this._canvas;
    const on = (target, type, fn, opts) => target.addEventListener(type, fn, { signal, ...opts });
    on(c, 'pointerdown', (e) => this._down(e));
    on(c, 'pointermove', (e) => this._move(e));
    on(c, 'pointerup', (e) => this._up(e));
    on(c, 'pointercancel', (e) => this._up(e));
    on(c, 'wheel', (e) => this._wheel(e), { passive: false });
    on(c, 'dblclick', () => this.resetView());
    on(c, 'contextmenu', (e) => e.preventDefault()); // right-drag pans
    on(c, 'webglcontextlost', (e) => { e.preventDefault(); this._gl = null; });
    on(c, 'webglcontextrestored', () => this._load());
    on(this, 'keydown', (e) => this._key(e));
    on(matchMedia('(prefers-color-scheme: dark)'), 'change', () => this._request());
    this._ro = new ResizeObserver((entries) => this._resize(entries[entries.length - 1]));
    try { this._ro.observe(c, { box: 'device-pixel-content-box' }); } catch { this._ro.observe(c); }
    this._load();
  }

  disconnectedCallback() {
    this._connected = false;
    this._fetch?.abort();
    this._events.abort();
    this._ro.disconnect();
    cancelAnimationFrame(this._raf);
    this._raf = 0;
    this._pointers.clear();
    const gl = this._gl;
    if (gl) {
      [this._vbo, this._ibo, this._gbo].forEach((b) => gl.deleteBuffer(b));
      [this._modelProg, this._gridProg].forEach((p) => gl.deleteProgram(p.p));
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
    this._gl = this._mesh = null;
    // A lost context stays with its canvas: a re-inserted element starts on a fresh one.
    const fresh = this._canvas.cloneNode(false);
    this._canvas.replaceWith(fresh);
    this._canvas = fresh;
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === 'label') this._label();
    else if (this._connected) this._load(); // while upgrading, connectedCallback loads
  }

  /** Back to the start view: 3/4 view fitted to the bounding box. */
  resetView() {
    this._view = structuredClone(HOME);
    this._request();
  }

  _label() { // the error message, if any, is part of the accessible name
    const label = this.getAttribute('label'), problem = this._problem;
    this.setAttribute('aria-label', `3D preview${label ? ` of ${label}` : ''}${problem ? `: ${problem}` : ''}`);
  }

  _setState(state, message = '') {
    const ready = state === 'ready', broken = state === 'error' || state === 'unsupported';
    this._msg.hidden = ready;
    this._msg.replaceChildren(Object.assign(document.createElement('span'), { textContent: message }));
    this._reset.hidden = !ready;
    this._canvas.hidden = broken;
    if (!ready) {
      this._caption.hidden = true;
      this.removeAttribute('data-triangles');
      this.removeAttribute('data-source-triangles');
    }
    this._problem = broken ? message : '';
    this._label();
    if (state === this._state && message === this._message) return;
    this._state = state;
    this._message = message;
    this.setAttribute('data-state', state);
    this.dispatchEvent(new CustomEvent('mesh-viewer-state', { bubbles: true, detail: { state, message } }));
  }

  async _load() {
    this._fetch?.abort();
    const src = this.getAttribute('src');
    if (!this._connected || !src) return;
    if (!this._gl && !this._initGL()) return this._setState('unsupported', NO_WEBGL);
    const ac = (this._fetch = new AbortController());
    this._setState('loading', 'Loading 3D preview…');
    try {
      const res = await fetch(new URL(src, document.baseURI), { credentials: 'same-origin', signal: ac.signal })
        .catch((e) => { throw ac.signal.aborted ? e : new Error('the network request failed'); });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const mesh = parsePSM1(await res.arrayBuffer());
      if (ac.signal.aborted || !this._gl) return;
      this._upload(mesh);
      this.setAttribute('data-triangles', mesh.T); // before the state, so 'ready' listeners see them
      this.setAttribute('data-source-triangles', mesh.S);
      this._view = structuredClone(HOME);
      this._setState('ready');
      const fmt = (n) => n.toLocaleString('en'); // the app is English: "12,345"
      this._caption.textContent = `${fmt(mesh.T)} triangles (decimated from ${fmt(mesh.S)})`;
      this._caption.hidden = mesh.T >= mesh.S;
      this._request();
    } catch (e) {
      if (!ac.signal.aborted) this._setState('error', `Could not load the 3D preview: ${e?.message || e}`);
    }
  }

  /** WebGL2, else WebGL1 with standard derivatives and 32-bit indices. */
  _initGL() {
    const c = this._canvas, opts = { antialias: true, alpha: true, premultipliedAlpha: true };
    let gl = c.getContext('webgl2', opts);
    const v2 = !!gl;
    try {
      gl ||= c.getContext('webgl', opts);
      if (!gl || !(v2 || (gl.getExtension('OES_standard_derivatives') && gl.getExtension('OES_element_index_uint')))) return false;
      this._modelProg = program(gl, v2, MODEL_VS, MODEL_FS);
      this._gridProg = program(gl, v2, GRID_VS, GRID_FS);
    } catch (e) {
      console.warn('mesh-viewer: WebGL setup failed:', e);
      return false;
    }
    [this._vbo, this._ibo, this._gbo] = [gl.createBuffer(), gl.createBuffer(), gl.createBuffer()];
    gl.enableVertexAttribArray(0);
    return !!(this._gl = gl);
  }

  _upload(m) {
    const gl = this._gl, size = add(m.max, m.min, -1), grid = gridLines(m.min, m.max), A = gl.ARRAY_BUFFER;
    for (const [target, buffer, data] of [[A, this._vbo, m.pos], [gl.ELEMENT_ARRAY_BUFFER, this._ibo, m.idx], [A, this._gbo, grid.data]]) {
      gl.bindBuffer(target, buffer);
      gl.bufferData(target, data, gl.STATIC_DRAW);
    }
    if (gl.getError() === gl.OUT_OF_MEMORY) throw new Error('the mesh does not fit in graphics memory');
    this._mesh = {
      count: m.idx.length, gridCount: grid.data.length / 3, gridRadius: grid.radius,
      min: m.min, size, center: add(m.min, size, 0.5), radius: Math.max(Math.hypot(...size) / 2, 0.5),
    };
  }

  // ---- drawing: on demand, at most one frame per animation frame ----
  _request() {
    if (!this._raf && this._connected) this._raf = requestAnimationFrame(() => { this._raf = 0; this._draw(); });
  }

  _resize({ devicePixelContentBoxSize: box, contentRect: r }) {
    const dpr = devicePixelRatio || 1;
    this._canvas.width = Math.min(4096, box ? box[0].inlineSize : Math.round(r.width * dpr));
    this._canvas.height = Math.min(4096, box ? box[0].blockSize : Math.round(r.height * dpr));
    this._cssHeight = r.height;
    this._draw(); // now rather than next frame: resizing cleared the canvas
  }

  /** The camera orbits the bbox centre (plus pan) at a distance that fits the bounding sphere. */
  _camera() {
    const m = this._mesh, v = this._view, aspect = this._canvas.width / this._canvas.height || 1;
    const half = Math.min(FOV / 2, Math.atan(Math.tan(FOV / 2) * aspect));
    const dist = (m.radius / Math.sin(half)) * 1.05 * v.zoom, cp = Math.cos(v.pitch);
    const back = [cp * Math.cos(v.yaw), cp * Math.sin(v.yaw), Math.sin(v.pitch)];
    const eye = add(add(m.center, v.pan), back, dist);
    const right = norm(cross([0, 0, 1], back)), up = cross(back, right);
    const proj = perspective(aspect, Math.max(dist * 0.01, 1e-3), dist + 2 * (m.radius + m.gridRadius));
    return { eye, right, up, back, dist, mvp: mul(proj, view(right, up, back, eye)) };
  }

  _draw() {
    const gl = this._gl, c = this._canvas, m = this._mesh;
    if (!gl || gl.isContextLost() || !c.width || !c.height) return;
    const [bg, model, grid] = this._probes.map((p) => rgba(getComputedStyle(p).color));
    gl.viewport(0, 0, c.width, c.height);
    gl.clearColor(bg[0] * bg[3], bg[1] * bg[3], bg[2] * bg[3], bg[3]); // premultiplied
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    if (!m) return;
    const cam = this._camera();
    const use = ({ p, u }, buffer, type, blend) => {
      gl.useProgram(p);
      gl[blend ? 'enable' : 'disable'](gl.BLEND);
      gl[blend ? 'disable' : 'enable'](gl.DEPTH_TEST);
      gl.uniformMatrix4fv(u.u_mvp, false, cam.mvp);
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.vertexAttribPointer(0, 3, type, type !== gl.FLOAT, 0, 0);
      return u;
    };
    // Grid first, blended and without depth: the model then covers it wherever it stands.
    gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.uniform4fv(use(this._gridProg, this._gbo, gl.FLOAT, true).u_color, grid);
    gl.drawArrays(gl.LINES, 0, m.gridCount);
    // Model: the quantized positions as they came; key light above and a little left of the camera.
    const u = use(this._modelProg, this._vbo, gl.UNSIGNED_SHORT, false);
    gl.uniform3fv(u.u_min, m.min);
    gl.uniform3fv(u.u_size, m.size);
    gl.uniform3fv(u.u_color, model.slice(0, 3));
    gl.uniform3fv(u.u_eye, cam.eye);
    gl.uniform3fv(u.u_light, norm(add(add(cam.back, cam.right, -0.15), cam.up, 0.55)));
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this._ibo);
    gl.drawElements(gl.TRIANGLES, m.count, gl.UNSIGNED_INT, 0);
  }

  // ---- interaction ----
  _orbit(dx, dy) {
    this._view.yaw -= dx * ORBIT;
    this._view.pitch = clamp(this._view.pitch + dy * ORBIT, -PITCH_MAX, PITCH_MAX);
    this._request();
  }

  _pan(dx, dy) { // CSS pixels → world units at the orbit centre's distance
    const cam = this._camera(), k = (2 * cam.dist * Math.tan(FOV / 2)) / (this._cssHeight || 300);
    this._view.pan = add(add(this._view.pan, cam.right, -dx * k), cam.up, dy * k);
    this._request();
  }

  _zoom(factor) {
    this._view.zoom = clamp(this._view.zoom * factor, 0.08, 12);
    this._request();
  }

  _down(e) {
    if (!this._mesh) return;
    this._canvas.setPointerCapture(e.pointerId);
    this._pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, x0: e.clientX, y0: e.clientY, t: e.timeStamp });
    this._panning = e.button === 2 || e.shiftKey;
    this._canvas.classList.add('dragging');
  }

  _move(e) {
    const pt = this._pointers.get(e.pointerId), dx = e.clientX - pt?.x, dy = e.clientY - pt?.y;
    if (!pt || !this._mesh) return;
    const other = [...this._pointers.values()].find((q) => q !== pt);
    if (this._pointers.size === 1) this._panning || e.shiftKey ? this._pan(dx, dy) : this._orbit(dx, dy);
    else if (this._pointers.size === 2) { // pinch: zoom by the change in finger distance, pan by the midpoint
      const before = Math.hypot(pt.x - other.x, pt.y - other.y), after = Math.hypot(e.clientX - other.x, e.clientY - other.y);
      if (before && after) this._zoom(before / after);
      this._pan(dx / 2, dy / 2);
    }
    pt.x = e.clientX;
    pt.y = e.clientY;
  }

  _up(e) {
    const pt = this._pointers.get(e.pointerId);
    if (!pt || !this._pointers.delete(e.pointerId) || this._pointers.size) return;
    this._canvas.classList.remove('dragging');
    // Double tap: two short, still touches close together in time and place.
    const tap = { t: e.timeStamp, x: e.clientX, y: e.clientY }, last = this._tap;
    const still = e.type === 'pointerup' && e.pointerType === 'touch' && tap.t - pt.t < 300 && Math.hypot(tap.x - pt.x0, tap.y - pt.y0) < 10;
    this._tap = still ? tap : null;
    if (still && last && tap.t - last.t < 350 && Math.hypot(tap.x - last.x, tap.y - last.y) < 30) {
      this._tap = null;
      this.resetView();
    }
  }

  _wheel(e) {
    if (!this._mesh) return;
    e.preventDefault(); // zoom the model, not scroll the page
    this._zoom(Math.exp(clamp(e.deltaY * [1, 33, 400][e.deltaMode], -100, 100) * 0.0015));
  }

  _key(e) {
    const step = Math.PI / 12 / ORBIT; // 15° in dragged pixels
    const act = {
      ArrowLeft: () => this._orbit(-step, 0), ArrowRight: () => this._orbit(step, 0),
      ArrowUp: () => this._orbit(0, -step), ArrowDown: () => this._orbit(0, step),
      '+': () => this._zoom(1 / 1.2), '=': () => this._zoom(1 / 1.2), '-': () => this._zoom(1.2), _: () => this._zoom(1.2),
      0: () => this.resetView(), Home: () => this.resetView(),
    }[e.key];
    if (!act || !this._mesh || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    act();
  }
}

if (!customElements.get('mesh-viewer')) customElements.define('mesh-viewer', MeshViewer);
