// Shared pieces of the console's screens: DOM building, the API client, who is signed
// in, live updates, and the small widgets every screen uses. No build step: plain ES
// modules, loaded as they are. Every value from the API goes into the page as text.

export const TOKEN = "tipring.token";
const main = document.getElementById("main");

/** An element: h("a", {href: "#/"}, "text", child...). `on…` attributes add listeners;
 * false/null/undefined attributes are left out; children may be nested arrays. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace the page's content (and move focus there, for screen readers). */
export function show(...nodes) {
  main.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

/** An API error: the HTTP status, the message and the field the API named. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.field = body && body.field;
    this.body = body;
  }
}

let onSignedOut = () => {};
/** What to do when the API says the token is no longer good. */
export function whenSignedOut(f) {
  onSignedOut = f;
}

/** Call the API: `api("GET", "/devices?limit=1")`. A body that is a Blob/ArrayBuffer/
 * string is sent as it is (with `type` as its Content-Type), anything else as JSON. */
export async function api(method, path, body, { signingIn = false, type } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN) || ""}` };
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer || typeof body === "string") {
    payload = body;
    headers["Content-Type"] = type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const r = await fetch(`/api/v1${path}`, { method, headers, body: payload });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: text };
  }
  if (r.status === 401 && !signingIn) {
    sessionStorage.removeItem(TOKEN);
    onSignedOut();
  }
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

// ---- who is signed in -------------------------------------------------------------------

let who = null;
const RANK = { read_only: 0, operator: 1, admin: 2 };

/** The signed-in token's name and role (`GET /whoami`), asked once per sign-in. */
export async function whoami() {
  if (!who) who = await api("GET", "/whoami");
  return who;
}
export function forgetWho() {
  who = null;
}
/** Whether the signed-in role may do what `role` may (`can("operator")`). Screens show
 * action buttons only when it may; the API refuses the others anyway. */
export function can(role) {
  return who !== null && RANK[who.role] >= RANK[role];
}

// ---- formatting ---------------------------------------------------------------------------

export function when(t) {
  return t ? new Date(t * 1000).toLocaleString() : "never";
}

/** "3 min ago" style, for recent times. */
export function ago(t) {
  if (!t) return "never";
  const s = Math.max(0, Math.round(Date.now() / 1000 - t));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

// ---- widgets -----------------------------------------------------------------------------

/** An error shown in place of what failed to load. */
export function failure(e) {
  return h("p", { class: "error", role: "alert" }, e.message);
}

/** A table: `table(["Name", "Value"], rows.map(r => [r.name, r.value]))`; a cell may be
 * a node. `caption` is read by screen readers. */
export function table(columns, rows, { caption, id, empty = "Nothing here." } = {}) {
  if (!rows.length) return h("p", { id }, empty);
  return h(
    "table",
    { id },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c ?? ""))))),
  );
}

/** A labelled input: returns the <label> (with the input inside) and the input. */
export function field(label, attrs = {}) {
  const id = attrs.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  const input = h(attrs.multiline ? "textarea" : "input", { ...attrs, multiline: undefined, id });
  const error = h("span", { class: "field-error", id: `${id}-error`, "aria-live": "polite" });
  input.setAttribute("aria-describedby", error.id);
  return { label: h("label", { for: id }, label, input, error), input, error };
}

/** A form whose submit runs `act(form)`; an ApiError naming a field is shown next to the
 * input whose `name` is that field (or the nearest one by prefix), else under the form. */
export function form(attrs, children, act, { submit = "Save" } = {}) {
  const status = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "submit" }, submit);
  const el = h("form", attrs, children, h("div", { class: "actions" }, button), status);
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    for (const e of el.querySelectorAll(".field-error")) e.textContent = "";
    for (const e of el.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
    status.textContent = "";
    status.classList.remove("error");
    button.disabled = true;
    try {
      const msg = await act(el);
      if (msg) status.textContent = msg;
    } catch (e) {
      showError(el, status, e);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

/** Put an error next to the input it names (by `name`), or in `status`. */
export function showError(scope, status, e) {
  const f = e.field ? String(e.field) : "";
  const inputs = [...scope.querySelectorAll("[name]")];
  const input =
    inputs.find((i) => i.name === f) ||
    inputs.find((i) => f.startsWith(i.name + ".") || f.startsWith(i.name + "[")) ||
    inputs.find((i) => i.name && i.name.startsWith(f.split(/[.[]/)[0]) && f);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    const err = document.getElementById(input.getAttribute("aria-describedby") || "");
    if (err) {
      err.textContent = f && f !== input.name ? `${f}: ${e.message}` : e.message;
      input.focus();
      return;
    }
  }
  status.textContent = f ? `${f}: ${e.message}` : e.message;
  status.classList.add("error");
}

/** A button that asks first (`confirm` text), runs `act()`, and shows the outcome in
 * `out` (a role=status element next to it). */
export function action(label, act, { confirm: ask, out, cls } = {}) {
  const status = out || h("span", { class: "outcome", role: "status", "aria-live": "polite" });
  const b = h(
    "button",
    {
      type: "button",
      class: cls,
      onclick: async () => {
        if (ask && !window.confirm(ask)) return;
        b.disabled = true;
        status.classList.remove("error");
        status.textContent = "…";
        try {
          status.textContent = (await act()) || "Done.";
        } catch (e) {
          status.textContent = e.message;
          status.classList.add("error");
        } finally {
          b.disabled = false;
        }
      },
    },
    label,
  );
  return out ? b : h("span", { class: "action" }, b, status);
}

/** A labelled <select> (like `field()`, so `showError` finds it by `name`); `options` are
 * `[value, text]` pairs. */
export function selectField(label, attrs, options, selected = "") {
  const f = field(label, attrs);
  const select = h(
    "select",
    { ...attrs, id: f.input.id, "aria-describedby": f.error.id },
    options.map(([value, text]) => h("option", { value, selected: value === selected }, text)),
  );
  f.input.replaceWith(select);
  return { ...f, input: select };
}

/** "a, b ,c" → ["a", "b", "c"]. */
export function splitTags(text) {
  return text.split(",").map((t) => t.trim()).filter(Boolean);
}

/** A container whose content `load()` (async, returns nodes) replaces on `draw()`: a later
 * draw wins over a slower earlier one, an error shows in place, and the focused element
 * (by id) keeps the focus. Redraws leave the forms around it alone. */
export function panel(attrs, load) {
  const el = h("div", attrs, h("p", {}, "Loading…"));
  let seq = 0;
  const draw = async () => {
    const n = ++seq;
    let nodes;
    try {
      nodes = await load();
    } catch (e) {
      nodes = failure(e);
    }
    if (n !== seq) return;
    const focused = el.contains(document.activeElement) ? document.activeElement.id : "";
    el.replaceChildren(...[nodes].flat(Infinity).filter((x) => x !== null && x !== undefined && x !== false));
    const again = focused && document.getElementById(focused);
    if (again) again.focus();
  };
  return { el, draw };
}

/** Empty the field errors under `scope` (what `form()` does before a submit). */
export function clearErrors(scope) {
  for (const e of scope.querySelectorAll(".field-error")) e.textContent = "";
  for (const e of scope.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
}

// ---- live updates --------------------------------------------------------------------------

const listeners = new Set();
let stream = null;

/** Call `f(event)` for every live event (`{type: "device"|"task"|"rollout", ...}`) until
 * the screen changes; returns the unsubscribe function. The router clears them all. */
export function live(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}
export function clearLive() {
  listeners.clear();
}

/** A function that runs `f` at most once per `ms` (the first call at once, the last
 * one of a burst when the wait is over): a steady stream of events still redraws. */
export function debounce(f, ms = 300) {
  let last = 0;
  let timer = null;
  let pending = null;
  return (...args) => {
    pending = args;
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      const a = pending;
      pending = null;
      f(...a);
    }, wait);
  };
}

/** How often every screen is told to resync (`{type: "resync"}`) whatever the stream says:
 * the stream carries the changes made on the node this console talks to; changes made
 * through other nodes behind a balancer show at the next resync. */
const RESYNC_MS = 20000;
let resync = null;

/** Keep one server-sent-event stream (`GET /api/v1/events`) open while signed in,
 * reconnecting after a drop. fetch, not EventSource: the token goes in a header. */
export function startLive() {
  if (stream) return;
  const ctl = new AbortController();
  stream = ctl;
  resync = setInterval(() => {
    for (const f of [...listeners]) f({ type: "resync" });
  }, RESYNC_MS);
  const run = async () => {
    while (stream === ctl) {
      try {
        const r = await fetch("/api/v1/events", {
          headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN) || ""}` },
          signal: ctl.signal,
        });
        if (r.status === 401) {
          stopLive();
          return;
        }
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        document.documentElement.dataset.live = "on";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const chunk = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = chunk
              .split("\n")
              .filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trim())
              .join("\n");
            if (!data) continue;
            let ev;
            try {
              ev = JSON.parse(data);
            } catch {
              continue;
            }
            for (const f of [...listeners]) f(ev);
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      document.documentElement.dataset.live = "off";
      await new Promise((res) => setTimeout(res, 2000));
    }
  };
  run();
}
export function stopLive() {
  if (stream) stream.abort();
  stream = null;
  clearInterval(resync);
  resync = null;
}

/** A rollout's progress bar from its counts (`{devices, queued, downloading, installed,
 * confirmed, failed}`): confirmed green, in progress accent, failed red; a role=img whose
 * name gives the counts. */
export function progressBar(t) {
  const part = (n, color, label) => {
    const s = h("span", { title: `${label}: ${n}` });
    s.style.width = `${(100 * n) / Math.max(t.devices, 1)}%`;
    s.style.background = color;
    return s;
  };
  return h(
    "div",
    { class: "bar", role: "img", "aria-label": `${t.confirmed} confirmed, ${t.failed} failed of ${t.devices}` },
    part(t.confirmed, "var(--ok)", "confirmed"),
    part(t.installed + t.downloading, "var(--accent)", "in progress"),
    part(t.failed, "var(--bad)", "failed"),
  );
}

/** The bar with its numbers as text beside it. */
export function rolloutBar(t, id) {
  const text = `${t.confirmed} of ${t.devices} confirmed${t.failed ? `, ${t.failed} failed` : ""}`;
  return h("div", { class: "progress", id }, progressBar(t), h("span", { class: "muted" }, text));
}
