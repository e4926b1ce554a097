// The Tipring console: a client of the provisioner's REST API (/api/v1), no build step.
// Every value from the API goes into the page as text (never as HTML).

const main = document.getElementById("main");
const TOKEN = "tipring.token";

/** An element: h("a", {href: "#/"}, "text", child...). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(...nodes) {
  main.replaceChildren(...nodes);
  main.focus();
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.field = body && body.field;
  }
}

async function api(method, path, body, { signingIn = false } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (r.status === 401 && !signingIn) {
    // The token was revoked or expired: back to the sign-in form.
    sessionStorage.removeItem(TOKEN);
    route();
  }
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

function when(t) {
  return t ? new Date(t * 1000).toLocaleString() : "never";
}

function failure(e) {
  return h("p", { class: "error", role: "alert" }, e.message);
}

// ---- sign in ----------------------------------------------------------------------------

function signIn() {
  const err = h("p", { class: "error", role: "alert", id: "signin-error" });
  const token = h("input", { id: "token", type: "password", autocomplete: "off", required: true });
  const form = h(
    "form",
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        sessionStorage.setItem(TOKEN, token.value.trim());
        try {
          await api("GET", "/devices?limit=1", undefined, { signingIn: true });
          location.hash = "#/";
          route();
        } catch (e) {
          sessionStorage.removeItem(TOKEN);
          err.textContent = e.status === 401 ? "That token is not valid." : e.message;
        }
      },
    },
    h("h1", {}, "Sign in"),
    h("label", { for: "token" }, "API token", token),
    h("button", { type: "submit" }, "Sign in"),
    err,
  );
  show(form);
  token.focus();
}

// ---- overview ---------------------------------------------------------------------------

async function overview() {
  show(h("h1", {}, "Overview"), h("p", {}, "Loading…"));
  try {
    const count = async (q) => (await api("GET", `/devices?limit=1${q}`)).total;
    const [all, pending, faulted, rollouts] = await Promise.all([
      count(""),
      count("&enrollment=pending"),
      count("&faulted=true"),
      api("GET", "/rollouts"),
    ]);
    const card = (label, n, href) =>
      h("a", { class: "card", href }, h("div", { class: "n" }, n), h("div", {}, label));
    show(
      h("h1", {}, "Overview"),
      h(
        "div",
        { class: "cards" },
        card("devices", all, "#/devices"),
        card("pending enrollment", pending, "#/devices?enrollment=pending"),
        card("with faults", faulted, "#/devices?faulted=true"),
      ),
      h("h2", {}, "Rollouts"),
      rolloutTable(rollouts.rollouts),
    );
  } catch (e) {
    show(h("h1", {}, "Overview"), failure(e));
  }
}

function rolloutTable(list) {
  if (!list.length) return h("p", {}, "No rollout yet.");
  const bar = (t) => {
    const part = (n, color, label) =>
      h("span", { style: `width:${(100 * n) / Math.max(t.devices, 1)}%;background:${color}`, title: `${label}: ${n}` });
    return h(
      "div",
      { class: "bar", role: "img", "aria-label": `${t.confirmed} confirmed, ${t.failed} failed of ${t.devices}` },
      part(t.confirmed, "var(--ok)", "confirmed"),
      part(t.installed + t.downloading, "var(--accent)", "in progress"),
      part(t.failed, "var(--bad)", "failed"),
    );
  };
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ["Rollout", "Version", "State", "Phase", "Progress"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      list.map((r) =>
        h(
          "tr",
          {},
          h("td", {}, r.id),
          h("td", {}, r.version),
          h("td", {}, r.state.state, r.state.reason ? ` — ${r.state.reason}` : ""),
          h("td", {}, `${r.phase + 1} of ${r.phases}`),
          h("td", {}, bar(r.total)),
        ),
      ),
    ),
  );
}

// ---- devices ----------------------------------------------------------------------------

const PAGE = 50;

async function devices(params) {
  const q = new URLSearchParams(params);
  const offset = Number(q.get("offset") || 0);
  const field = (name, label, type = "text") =>
    h("label", { for: `f-${name}` }, label, h("input", { id: `f-${name}`, name, type, value: q.get(name) || "" }));
  const enrollment = h(
    "select",
    { id: "f-enrollment", name: "enrollment" },
    ["", "pending", "approved", "rejected"].map((v) =>
      h("option", { value: v, selected: q.get("enrollment") === v }, v || "any"),
    ),
  );
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: (ev) => {
        ev.preventDefault();
        const next = new URLSearchParams();
        for (const [k, v] of new FormData(form)) if (v) next.set(k, v);
        location.hash = `#/devices?${next}`;
      },
    },
    field("q", "Search (id or serial)"),
    field("site", "Site"),
    field("tag", "Tag"),
    field("model", "Model"),
    field("software_version", "Firmware"),
    h("label", { for: "f-enrollment" }, "Enrollment", enrollment),
    h("button", { type: "submit" }, "Filter"),
  );
  show(h("h1", {}, "Devices"), form, h("p", {}, "Loading…"));
  try {
    q.set("limit", PAGE);
    q.set("offset", offset);
    const page = await api("GET", `/devices?${q}`);
    const rows = page.devices.map((d) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: `#/device/${encodeURIComponent(d.id)}` }, d.id)),
        h("td", {}, d.site || "—"),
        h("td", {}, d.model),
        h("td", {}, d.software_version),
        h("td", {}, d.enrollment),
        h("td", {}, when(d.last_inform)),
        h("td", {}, d.open_faults ? h("span", { class: "error" }, d.open_faults) : "0"),
      ),
    );
    const go = (o) => {
      const next = new URLSearchParams(params);
      next.set("offset", o);
      return `#/devices?${next}`;
    };
    show(
      h("h1", {}, "Devices"),
      form,
      h(
        "table",
        { "aria-describedby": "count" },
        h("thead", {}, h("tr", {}, ["Device", "Site", "Model", "Firmware", "Enrollment", "Last Inform", "Faults"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows),
      ),
      h(
        "div",
        { class: "pager" },
        h("span", { id: "count" }, `${page.total === 0 ? 0 : offset + 1}–${offset + page.devices.length} of ${page.total}`),
        offset > 0 ? h("a", { href: go(Math.max(0, offset - PAGE)) }, "Previous") : null,
        offset + PAGE < page.total ? h("a", { href: go(offset + PAGE) }, "Next") : null,
      ),
    );
  } catch (e) {
    show(h("h1", {}, "Devices"), form, failure(e));
  }
}

// ---- one device -------------------------------------------------------------------------

async function device(id) {
  show(h("h1", {}, id), h("p", {}, "Loading…"));
  try {
    const v = await api("GET", `/devices/${encodeURIComponent(id)}`);
    const d = v.device;
    const outcome = h("p", { role: "status", id: "action-outcome" });
    const summon = h(
      "button",
      {
        type: "button",
        onclick: async () => {
          outcome.textContent = "Asking the device to connect…";
          try {
            await api("POST", `/devices/${encodeURIComponent(id)}/connection-request`);
            outcome.textContent = "Connection request sent.";
          } catch (e) {
            outcome.textContent = e.message;
          }
        },
      },
      "Summon (connection request)",
    );
    show(
      h("h1", {}, d.id),
      h(
        "dl",
        {},
        [
        ["Serial", d.key.serial],
        ["OUI / product class", `${d.key.oui} / ${d.key.product_class}`],
        ["Model", d.model],
        ["Firmware", d.software_version],
        ["Site", d.site || "—"],
        ["Tags", d.tags.join(", ") || "—"],
        ["Enrollment", d.enrollment],
        ["Last Inform", when(d.last_inform)],
        ["Last boot", when(d.last_boot)],
        ["Provisioned", d.provisioned_at ? when(d.provisioned_at) : "not yet"],
        ["Certificate", d.cert_sha256 || "none seen"],
      ].flatMap(([k, val]) => [h("dt", {}, k), h("dd", {}, val)])),
      h("div", {}, summon, outcome),
      h("h2", {}, "Tasks"),
      v.tasks.length
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ["Id", "Kind", "State", "Attempts", "Fault"].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              {},
              v.tasks.map((t) =>
                h(
                  "tr",
                  {},
                  h("td", {}, t.id),
                  h("td", {}, t.kind.kind),
                  h("td", {}, t.state),
                  h("td", {}, t.attempts),
                  h("td", {}, t.fault ? `${t.fault.code} ${t.fault.message}` : ""),
                ),
              ),
            ),
          )
        : h("p", {}, "No task."),
      h("h2", {}, "Parameters"),
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ["Name", "Value", "Seen"].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          v.parameters.map((p) => h("tr", {}, h("td", {}, p.name), h("td", {}, p.value), h("td", {}, when(p.seen_at)))),
        ),
      ),
    );
  } catch (e) {
    show(h("h1", {}, id), failure(e));
  }
}

// ---- routing ----------------------------------------------------------------------------

function route() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("who").textContent = signedIn ? "signed in" : "";
  if (!signedIn) return signIn();
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = Object.fromEntries(new URLSearchParams(query || ""));
  if (path.startsWith("/device/")) return device(decodeURIComponent(path.slice("/device/".length)));
  if (path === "/devices") return devices(params);
  return overview();
}

document.getElementById("signout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN);
  location.hash = "#/";
  route();
});
window.addEventListener("hashchange", route);
route();
