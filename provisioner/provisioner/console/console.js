// The Tipring console: a client of the provisioner's REST API (/api/v1), no build step.
// This module signs in, routes (`#/...`) and draws the fleet screens (overview, devices,
// one device); the other screens live in their own modules. Every value from the API
// goes into the page as text (never as HTML).

import {
  h, show, api, TOKEN, whenSignedOut, whoami, forgetWho, can, when, ago, failure, table,
  live, clearLive, debounce, startLive, stopLive, showError, rolloutBar,
} from "./lib.js";
import { enrollment } from "./enrollment.js";
import { sites, site, profiles, profile } from "./config.js";
import { firmware, rollouts, rollout } from "./firmware.js";
import { auditLog, tokens } from "./admin.js";

// ---- sign in ----------------------------------------------------------------------------

function signIn() {
  stopLive();
  const err = h("p", { class: "error", role: "alert", id: "signin-error" });
  const token = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true });
  const form = h(
    "form",
    {
      class: "signin",
      onsubmit: async (ev) => {
        ev.preventDefault();
        sessionStorage.setItem(TOKEN, token.value.trim());
        forgetWho();
        try {
          await api("GET", "/whoami", undefined, { signingIn: true });
          location.hash = "#/";
          route();
        } catch (e) {
          sessionStorage.removeItem(TOKEN);
          err.textContent = e.status === 401 ? "That token is not valid." : e.message;
        }
      },
    },
    h("h1", {}, "Sign in"),
    h("p", {}, "Sign in with an API token. Its role decides what you can do here."),
    h("label", { for: "token" }, "API token", token),
    h("button", { type: "submit" }, "Sign in"),
    err,
  );
  show(form);
  token.focus();
}

// ---- charts -----------------------------------------------------------------------------

/** A stacked horizontal bar of parts `[label, n, cssColor, href?]` with a legend that
 * lists every number (the chart is an image to screen readers, the legend is text). */
function stacked(id, title, parts) {
  const total = parts.reduce((a, p) => a + p[1], 0);
  const label = parts.map(([l, n]) => `${n} ${l}`).join(", ");
  return h(
    "figure",
    { class: "chart", id },
    h("figcaption", {}, title),
    h(
      "div",
      { class: "bar big", role: "img", "aria-label": `${title}: ${label}` },
      parts.map(([l, n, color]) =>
        h("span", { style: `width:${total ? (100 * n) / total : 0}%;background:${color}`, title: `${l}: ${n}` }),
      ),
    ),
    h(
      "ul",
      { class: "legend" },
      parts.map(([l, n, color, href]) =>
        h(
          "li",
          {},
          h("span", { class: "swatch", style: `background:${color}` }),
          href ? h("a", { href }, `${l}: ${n}`) : `${l}: ${n}`,
          total ? h("span", { class: "muted" }, ` (${Math.round((100 * n) / total)} %)`) : null,
        ),
      ),
    ),
  );
}

/** Horizontal bars, one per row `[label, n, href?]`, scaled to the largest. */
function bars(id, title, rows) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return h(
    "figure",
    { class: "chart", id },
    h("figcaption", {}, title),
    rows.length
      ? h(
          "table",
          { class: "bars" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, "Devices"))),
          h(
            "tbody",
            {},
            rows.map(([label, n, href]) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, href ? h("a", { href }, label) : label),
                h(
                  "td",
                  {},
                  h("span", { class: "hbar", style: `width:${(100 * n) / max}%`, "aria-hidden": "true" }),
                  h("span", { class: "n" }, n),
                ),
              ),
            ),
          ),
        )
      : h("p", {}, "No approved device yet."),
  );
}

// ---- overview ---------------------------------------------------------------------------

async function overview() {
  const body = h("div", { id: "overview" }, h("p", {}, "Loading…"));
  show(h("h1", {}, "Overview"), body);
  const draw = async () => {
    try {
      const [s, r] = await Promise.all([api("GET", "/stats"), api("GET", "/rollouts")]);
      const card = (label, n, href, cls) =>
        h("a", { class: `card ${cls || ""}`, href }, h("div", { class: "n" }, n), h("div", {}, label));
      const pct = s.lines ? Math.round((100 * s.lines_up) / s.lines) : 100;
      body.replaceChildren(
        h(
          "div",
          { class: "cards" },
          card("devices", s.devices, "#/devices"),
          card("online", s.online, "#/devices?status=online&enrollment=approved", "ok"),
          card("offline", s.offline, "#/devices?status=offline&enrollment=approved", s.offline ? "bad" : ""),
          card("pending enrollment", s.pending, "#/enrollment", s.pending ? "warn" : ""),
          card("with faults", s.faulted, "#/devices?faulted=true", s.faulted ? "bad" : ""),
          card("lines registered", `${pct} %`, "#/devices?lines_down=true&sort=lines_down&order=desc", pct < 100 ? "warn" : "ok"),
        ),
        h(
          "div",
          { class: "charts" },
          stacked("chart-presence", "Devices", [
            ["online", s.online, "var(--ok)", "#/devices?status=online&enrollment=approved"],
            ["offline", s.offline, "var(--bad)", "#/devices?status=offline&enrollment=approved"],
            ["pending", s.pending, "var(--warn)", "#/enrollment"],
            ["rejected", s.rejected, "var(--muted)", "#/devices?enrollment=rejected"],
          ]),
          stacked("chart-lines", "Voice lines (registration)", [
            ["registered", s.lines_up, "var(--ok)"],
            ["not registered", s.lines - s.lines_up, "var(--bad)", "#/devices?lines_down=true"],
          ]),
          stacked("chart-mos", "Calls of the last day by quality (MOS-LQ)", [
            ["good (4.0 and up)", s.calls_mos[0], "var(--ok)"],
            ["fair (3.6-3.99)", s.calls_mos[1], "var(--accent)"],
            ["poor (3.1-3.59)", s.calls_mos[2], "var(--warn)"],
            ["bad (under 3.1)", s.calls_mos[3], "var(--bad)"],
          ]),
          stacked("chart-jitter", "Calls of the last day by mean jitter", [
            ["under 10 ms", s.calls_jitter[0], "var(--ok)"],
            ["10-29 ms", s.calls_jitter[1], "var(--accent)"],
            ["30-49 ms", s.calls_jitter[2], "var(--warn)"],
            ["50 ms and more", s.calls_jitter[3], "var(--bad)"],
          ]),
          bars(
            "chart-firmware",
            "Firmware versions (approved devices)",
            s.versions.map((v) => [
              `${v.model} ${v.software_version}`,
              v.devices,
              `#/devices?model=${encodeURIComponent(v.model)}&software_version=${encodeURIComponent(v.software_version)}`,
            ]),
          ),
        ),
        h("h2", {}, "Rollouts"),
        rolloutTable(r.rollouts),
        h("p", { class: "muted" }, `As of ${when(s.at)}; online means an Inform within the device's periodic interval (default ${s.default_inform_interval_s} s).`),
      );
    } catch (e) {
      body.replaceChildren(failure(e));
    }
  };
  await draw();
  // Every event redraws (at most once a second), the periodic resync included: changes
  // made through other nodes, and counts the server answered from its 2 s memory.
  live(debounce(draw, 1000));
}

function rolloutTable(list) {
  return table(
    ["Rollout", "Version", "State", "Phase", "Progress"],
    list.map((r) => [
      h("a", { href: `#/rollout/${encodeURIComponent(r.id)}` }, r.id),
      r.version,
      [r.state.state, r.state.reason ? ` — ${r.state.reason}` : ""],
      `${Math.min(r.phase + 1, r.phases)} of ${r.phases}`,
      rolloutBar(r.total),
    ]),
    { empty: "No rollout yet." },
  );
}

// ---- devices ----------------------------------------------------------------------------

const PAGE = 50;
const COLUMNS = [
  ["Device", "id"],
  ["Serial", "serial"],
  ["Site", "site"],
  ["Model", "model"],
  ["Firmware", "software_version"],
  ["Status", null],
  ["Lines", "lines_down"],
  ["Last Inform", "last_inform"],
  ["Faults", "faults"],
];

async function devices(params) {
  await whoami();
  const q = new URLSearchParams(params);
  const offset = Number(q.get("offset") || 0);
  const input = (name, label, type = "text") =>
    h("label", { for: `f-${name}` }, label, h("input", { id: `f-${name}`, name, type, value: q.get(name) || "" }));
  const select = (name, label, options) =>
    h(
      "label",
      { for: `f-${name}` },
      label,
      h("select", { id: `f-${name}`, name }, options.map(([v, t]) => h("option", { value: v, selected: (q.get(name) || "") === v }, t))),
    );
  const check = (name, label) =>
    h("label", { class: "check", for: `f-${name}` }, h("input", { id: `f-${name}`, name, type: "checkbox", value: "true", checked: q.get(name) === "true" }), label);
  const filters = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter devices",
      onsubmit: (ev) => {
        ev.preventDefault();
        const next = new URLSearchParams();
        for (const [k, v] of new FormData(filters)) if (v) next.set(k, v);
        for (const k of ["sort", "order"]) if (q.get(k)) next.set(k, q.get(k));
        location.hash = `#/devices?${next}`;
      },
    },
    input("q", "Search (id or serial)"),
    input("serial", "Serial prefix"),
    input("site", "Site"),
    input("tag", "Tag"),
    input("model", "Model"),
    input("software_version", "Firmware"),
    select("status", "Status", [["", "any"], ["online", "online"], ["offline", "offline"]]),
    select("enrollment", "Enrollment", [["", "any"], ["pending", "pending"], ["approved", "approved"], ["rejected", "rejected"]]),
    check("faulted", "With faults"),
    check("lines_down", "Line down"),
    h("button", { type: "submit" }, "Filter"),
  );
  const results = h("div", { id: "device-results" }, h("p", {}, "Loading…"));
  // The selection, its count and the bulk form outlive the live redraws of the table.
  const selected = new Set();
  const count = h("span", { class: "muted", id: "selected-count", "aria-live": "polite" }, "0 selected");
  let total = 0;
  const bulk = can("operator") ? bulkForm(q, () => total, selected, count) : null;
  show(h("h1", {}, "Devices"), filters, results, bulk);
  const draw = async () => {
    try {
      const query = new URLSearchParams(q);
      query.set("limit", PAGE);
      query.set("offset", offset);
      const page = await api("GET", `/devices?${query}`);
      total = page.total;
      results.replaceChildren(...deviceTable(q, params, page, offset, selected, count));
      if (bulk) bulk.querySelector('#bulk-scope option[value="filter"]').textContent = `every device matching the filter (${total})`;
    } catch (e) {
      results.replaceChildren(failure(e));
    }
  };
  await draw();
  live(debounce((ev) => {
    if (ev.type === "device" || ev.type === "resync") draw();
  }, 1000));
}

function deviceTable(q, params, page, offset, selected, count) {
  const sort = q.get("sort") || "id";
  const desc = q.get("order") === "desc";
  const link = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) next.set(k, v);
    return `#/devices?${next}`;
  };
  const header = COLUMNS.map(([label, key]) => {
    if (!key) return h("th", { scope: "col" }, label);
    const active = sort === key;
    return h(
      "th",
      { scope: "col", "aria-sort": active ? (desc ? "descending" : "ascending") : "none" },
      h("a", { href: link({ sort: key, order: active && !desc ? "desc" : "asc", offset: 0 }) }, label, active ? (desc ? " ▼" : " ▲") : ""),
    );
  });
  const operator = can("operator");
  const boxes = [];
  const rows = page.devices.map((d) => {
    const box = operator
      ? h("input", {
          type: "checkbox",
          "aria-label": `Select ${d.id}`,
          checked: selected.has(d.id),
          onchange: (ev) => {
            if (ev.target.checked) selected.add(d.id);
            else selected.delete(d.id);
            count.textContent = `${selected.size} selected`;
          },
        })
      : null;
    if (box) boxes.push([box, d.id]);
    return h(
      "tr",
      {},
      operator ? h("td", {}, box) : null,
      h("td", {}, h("a", { href: `#/device/${encodeURIComponent(d.id)}` }, d.id)),
      h("td", {}, d.key.serial),
      h("td", {}, d.site || "—"),
      h("td", {}, d.model),
      h("td", {}, d.software_version),
      h("td", {}, d.enrollment !== "approved" ? d.enrollment : d.online ? h("span", { class: "ok" }, "online") : h("span", { class: "error" }, "offline")),
      h("td", {}, d.lines ? h("span", { class: d.lines_up < d.lines ? "error" : "ok" }, `${d.lines_up}/${d.lines} up`) : "—"),
      h("td", { title: when(d.last_inform) }, ago(d.last_inform)),
      h("td", {}, d.open_faults ? h("span", { class: "error" }, d.open_faults) : "0"),
    );
  });
  const all = operator
    ? h("input", {
        type: "checkbox",
        "aria-label": "Select every device on this page",
        checked: boxes.length > 0 && boxes.every(([, id]) => selected.has(id)),
        onchange: (ev) => {
          for (const [b, id] of boxes) {
            b.checked = ev.target.checked;
            if (ev.target.checked) selected.add(id);
            else selected.delete(id);
          }
          count.textContent = `${selected.size} selected`;
        },
      })
    : null;
  const out = [
    h(
      "table",
      { id: "devices", "aria-describedby": "count" },
      h("thead", {}, h("tr", {}, operator ? h("th", { scope: "col" }, all) : null, header)),
      h("tbody", {}, rows),
    ),
    h(
      "div",
      { class: "pager" },
      h("span", { id: "count" }, `${page.total === 0 ? 0 : offset + 1}–${offset + page.devices.length} of ${page.total}`),
      offset > 0 ? h("a", { href: link({ offset: Math.max(0, offset - PAGE) }) }, "Previous") : null,
      offset + PAGE < page.total ? h("a", { href: link({ offset: offset + PAGE }) }, "Next") : null,
    ),
  ];
  return out;
}

/** Bulk actions on the selected devices or on every device the filter matches. */
function bulkForm(q, totalNow, selected, count) {
  const actionSel = h(
    "select",
    { id: "bulk-action", name: "action" },
    [
      ["tag", "Add tag"],
      ["untag", "Remove tag"],
      ["site", "Move to site"],
      ["assign_profile", "Assign profile"],
      ["provision", "Re-provision"],
      ["reboot", "Reboot"],
    ].map(([v, t]) => h("option", { value: v }, t)),
  );
  const arg = h("input", { id: "bulk-arg", name: "arg", "aria-describedby": "bulk-arg-help" });
  const argHelp = h("span", { id: "bulk-arg-help", class: "muted" }, "tag name");
  const scope = h(
    "select",
    { id: "bulk-scope", name: "scope" },
    h("option", { value: "selected" }, "the selected devices"),
    h("option", { value: "filter" }, "every device matching the filter"),
  );
  const status = h("p", { id: "bulk-status", role: "status", "aria-live": "polite" });
  const hint = () => {
    const a = actionSel.value;
    arg.disabled = a === "reboot" || a === "provision";
    argHelp.textContent = { tag: "tag name", untag: "tag name", site: "site name (empty: none)", assign_profile: "profile name" }[a] || "no argument";
  };
  actionSel.addEventListener("change", hint);
  hint();
  const form = h(
    "form",
    {
      class: "bulk",
      "aria-label": "Bulk action",
      onsubmit: async (ev) => {
        ev.preventDefault();
        status.textContent = "";
        status.classList.remove("error");
        const a = actionSel.value;
        const body = { action: a, connection_request: true };
        if (a === "tag" || a === "untag") body.tag = arg.value.trim();
        if (a === "site") body.site = arg.value.trim() || null;
        if (a === "assign_profile") body.profile = arg.value.trim();
        let n;
        if (scope.value === "selected") {
          if (!selected.size) {
            status.textContent = "Select devices first, or choose every device matching the filter.";
            status.classList.add("error");
            return;
          }
          body.devices = [...selected];
          n = selected.size;
        } else {
          const f = {};
          for (const [k, v] of q) if (!["offset", "limit", "sort", "order"].includes(k)) f[k] = k === "faulted" || k === "lines_down" ? v === "true" : v;
          body.filter = f;
          n = totalNow();
        }
        body.expected = n;
        const what = actionSel.selectedOptions[0].textContent + (arg.disabled || !arg.value ? "" : ` "${arg.value.trim()}"`);
        if (!window.confirm(`${what} on ${n} device${n === 1 ? "" : "s"}?`)) return;
        try {
          const r = await api("POST", "/devices/bulk", body);
          status.textContent = `${r.action}: ${r.devices} device${r.devices === 1 ? "" : "s"} done` +
            (r.skipped.length ? `, ${r.skipped.length} skipped (${r.skipped.slice(0, 3).map((s) => `${s.device}: ${s.why}`).join("; ")})` : "") + ".";
          selected.clear();
          count.textContent = "0 selected";
        } catch (e) {
          showError(form, status, e.field === "tag" || e.field === "site" || e.field === "profile" ? Object.assign(e, { field: "arg" }) : e);
        }
      },
    },
    h("h2", {}, "Bulk action"),
    h("div", { class: "filters" },
      h("label", { for: "bulk-action" }, "Action", actionSel),
      h("label", { for: "bulk-arg" }, "Argument", arg, argHelp, h("span", { class: "field-error", id: "bulk-arg-error" })),
      h("label", { for: "bulk-scope" }, "On", scope),
      count,
      h("button", { type: "submit" }, "Apply…"),
    ),
    status,
  );
  arg.setAttribute("aria-describedby", "bulk-arg-error");
  return form;
}

// ---- one device -------------------------------------------------------------------------

/** A device's recent calls by band, as its call log showed them. */
function callsText(d) {
  const [good, fair, poor, bad] = d.calls_mos;
  const n = good + fair + poor + bad;
  const [, , jh, js] = d.calls_jitter;
  return `${n} with a quality figure: ${good} good, ${fair} fair, ${poor} poor, ${bad} bad; ${jh + js} with jitter of 30 ms or more (read ${ago(d.calls_at)})`;
}

/** Follow a task to its end (live events, and a poll in case an event is missed);
 * `out` shows its state as it goes; resolves with the task. */
function follow(taskId, out, label) {
  return new Promise((resolve) => {
    let over = false;
    const check = async () => {
      if (over) return;
      try {
        const t = await api("GET", `/tasks/${taskId}`);
        out.textContent = `${label}: ${t.state.replace("_", " ")}${t.fault ? ` — fault ${t.fault.code} ${t.fault.message}` : ""}`;
        out.classList.toggle("error", t.state === "failed");
        out.classList.toggle("ok", t.state === "done");
        if (["done", "failed", "cancelled"].includes(t.state)) {
          over = true;
          stop();
          clearInterval(timer);
          resolve(t);
        }
      } catch (e) {
        out.textContent = e.message;
      }
    };
    const stop = live((ev) => {
      if (ev.type === "task" && ev.id === taskId) check();
    });
    const timer = setInterval(() => {
      if (!document.body.contains(out)) {
        clearInterval(timer);
        stop();
        return;
      }
      check();
    }, 3000);
    check();
  });
}

/** Queue a task for a device with a connection request; returns its id. */
async function queue(id, task) {
  const r = await api("POST", `/devices/${encodeURIComponent(id)}/tasks`, { ...task, connection_request: true });
  return r.task;
}

function voiceRoot(params) {
  const p = params.find((x) => x.name.includes(".Services.VoiceService."));
  if (p) return p.name.slice(0, p.name.indexOf(".Services.VoiceService.") + ".Services.VoiceService.1.".length);
  return "Device.Services.VoiceService.1.";
}

/** The ports as the cached parameters show them: one row per SIP client / line. */
function portTable(params) {
  const get = (n) => params.find((p) => p.name === n);
  const rows = [];
  const vs = voiceRoot(params);
  const clients = new Set();
  for (const p of params) {
    const m = p.name.match(/\.Services\.VoiceService\.\d+\.SIP\.Client\.(\d+)\.Status$/) ||
      p.name.match(/\.Services\.VoiceService\.\d+\.VoiceProfile\.\d+\.Line\.(\d+)\.Status$/);
    if (m) clients.add([Number(m[1]), p]);
  }
  for (const [n, status] of [...clients].sort((a, b) => a[0] - b[0])) {
    const v = (suffix) => (get(`${vs}${suffix}`) || {}).value;
    const reg = status.value;
    rows.push([
      n,
      v(`SIP.Client.${n}.AuthUserName`) || v(`VoiceProfile.1.Line.${n}.SIP.AuthUserName`) || v(`VoiceProfile.1.Line.${n}.DirectoryNumber`) || "—",
      h("span", { class: reg === "Up" ? "ok" : reg === "Disabled" ? "muted" : "error" }, reg === "Up" ? "registered" : reg),
      v(`POTS.FXS.${n}.Status`) || "—",
      v(`CallControl.Line.${n}.CallStatus`) || v(`VoiceProfile.1.Line.${n}.CallState`) || "—",
      ago(status.seen_at),
    ]);
  }
  return table(["Port", "User", "Registration", "FXS", "Call", "Seen"], rows, {
    id: "ports",
    empty: "No port status seen yet: refresh.",
  });
}

/** The parameter tree: objects as <details> (native expand/collapse, keyboard too),
 * each with a Refresh (GetParameterValues of that subtree); writable leaves editable. */
function paramTree(id, params, redraw) {
  const root = { children: new Map(), params: [] };
  for (const p of params) {
    const parts = p.name.split(".");
    let node = root;
    let path = "";
    for (const part of parts.slice(0, -1)) {
      path += `${part}.`;
      if (!node.children.has(part)) node.children.set(part, { path, children: new Map(), params: [] });
      node = node.children.get(part);
    }
    node.params.push(p);
  }
  const operator = can("operator");
  const draw = (node, name, depth) => {
    const out = h("span", { class: "outcome", role: "status", "aria-live": "polite" });
    const refresh = operator
      ? h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-label": `Refresh ${node.path}`,
            onclick: async (ev) => {
              ev.preventDefault();
              try {
                // Names first (they say which values are writable), then the values.
                await queue(id, { kind: "get_parameter_names", path: node.path, next_level: false });
                const t = await queue(id, { kind: "get_parameter_values", names: [node.path] });
                const done = await follow(t, out, "Refresh");
                if (done.state === "done") redraw();
              } catch (e) {
                out.textContent = e.message;
                out.classList.add("error");
              }
            },
          },
          "Refresh",
        )
      : null;
    const kids = [...node.children.entries()].sort((a, b) => {
      const na = Number(a[0]);
      const nb = Number(b[0]);
      return Number.isNaN(na) || Number.isNaN(nb) ? a[0].localeCompare(b[0]) : na - nb;
    });
    return h(
      "details",
      { open: depth < 1, "data-path": node.path },
      // The Refresh button beside, not inside, the summary (a summary is a control itself).
      h("summary", {}, h("span", { class: "obj" }, name)),
      refresh ? h("div", { class: "obj-actions" }, refresh, " ", out) : null,
      node.params.length
        ? h("table", { class: "params" }, h("tbody", {}, node.params.map((p) => paramRow(id, p, operator, redraw))))
        : null,
      kids.map(([k, child]) => draw(child, k, depth + 1)),
    );
  };
  return h(
    "div",
    { id: "param-tree", class: "tree" },
    [...root.children.entries()].map(([k, child]) => draw(child, k, 0)),
  );
}

/** Check a value against its xsd type before it is sent (the CPE checks again). */
function checkValue(type, v) {
  switch (type) {
    case "xsd:boolean":
      return /^(true|false|0|1)$/.test(v) ? null : "true or false";
    case "xsd:unsignedInt":
      return /^\d+$/.test(v) && Number(v) <= 4294967295 ? null : "a whole number, 0 to 4294967295";
    case "xsd:int":
      return /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2147483648 ? null : "a whole number";
    case "xsd:unsignedLong":
      return /^\d+$/.test(v) ? null : "a whole number, 0 or more";
    case "xsd:dateTime":
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(v) ? null : "a date and time like 2026-01-31T12:00:00Z";
    default:
      return v.length > 4096 ? "at most 4096 characters" : null;
  }
}

function paramRow(id, p, operator, redraw) {
  const leaf = p.name.slice(p.name.lastIndexOf(".") + 1);
  const value = h("td", { class: "value" }, p.value);
  const cells = [h("th", { scope: "row", title: p.name }, leaf), value, h("td", { class: "muted" }, p.xsd_type.replace("xsd:", "")), h("td", { class: "muted", title: when(p.seen_at) }, ago(p.seen_at))];
  if (operator && p.writable !== false) {
    const edit = h(
      "button",
      {
        type: "button",
        class: "small",
        "aria-label": `Edit ${p.name}`,
        onclick: () => {
          const inputId = `edit-${p.name.replace(/[^A-Za-z0-9]/g, "-")}`;
          const input = h("input", { id: inputId, name: "value", value: p.value, "aria-label": `New value of ${p.name}` });
          const err = h("span", { class: "field-error", role: "alert" });
          const out = h("span", { class: "outcome", role: "status", "aria-live": "polite" });
          const form = h(
            "form",
            {
              class: "inline",
              onsubmit: async (ev) => {
                ev.preventDefault();
                err.textContent = "";
                input.removeAttribute("aria-invalid");
                const why = checkValue(p.xsd_type, input.value);
                if (why) {
                  err.textContent = why;
                  input.setAttribute("aria-invalid", "true");
                  input.focus();
                  return;
                }
                try {
                  const set = await queue(id, { kind: "set_parameter_values", values: [[p.name, input.value]] });
                  const done = await follow(set, out, "Set");
                  if (done.state !== "done") return;
                  const read = await queue(id, { kind: "get_parameter_values", names: [p.name] });
                  const back = await follow(read, out, "Read back");
                  if (back.state === "done") {
                    const got = (back.result && back.result.values || []).find((v) => v.name === p.name);
                    out.textContent = `Read back: ${got ? got.value : "(not returned)"}`;
                    redraw();
                  }
                } catch (e) {
                  err.textContent = e.message;
                }
              },
            },
            input,
            h("button", { type: "submit" }, "Set"),
            h("button", { type: "button", onclick: () => value.replaceChildren(p.value) }, "Cancel"),
            err,
            out,
          );
          value.replaceChildren(form);
          input.focus();
        },
      },
      "Edit",
    );
    cells.push(h("td", {}, edit));
  } else {
    cells.push(h("td", {}));
  }
  return h("tr", { "data-name": p.name }, cells);
}

/** The actions on a device (operators, approved devices): drawn once, so an outcome
 * stays in place while the rest of the page redraws live. */
function deviceActions(id, d) {
  const enc = encodeURIComponent(id);
  const out = h("p", { role: "status", id: "action-outcome", "aria-live": "polite" });
  const fail = (e) => {
    out.textContent = e.message;
    out.classList.add("error");
  };
  const start = (text) => {
    out.classList.remove("error", "ok");
    out.textContent = text;
  };
  const run = (label, task, ask) =>
    h(
      "button",
      {
        type: "button",
        onclick: async () => {
          if (ask && !window.confirm(ask)) return;
          start(`${label}: queued…`);
          try {
            await follow(await queue(id, task), out, label);
          } catch (e) {
            fail(e);
          }
        },
      },
      label,
    );
  const summon = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        start("Asking the device to connect…");
        try {
          const before = (await api("GET", `/devices/${enc}`)).device.last_inform || 0;
          const stop = live(async (ev) => {
            if (ev.type !== "device" || ev.id !== id) return;
            const now = await api("GET", `/devices/${enc}`);
            if ((now.device.last_inform || 0) >= before && now.device.last_inform) {
              stop();
              out.textContent = `The device connected (${when(now.device.last_inform)}).`;
              out.classList.add("ok");
            }
          });
          await api("POST", `/devices/${enc}/connection-request`);
          if (!out.classList.contains("ok")) out.textContent = "Connection request sent; waiting for the device…";
        } catch (e) {
          fail(e);
        }
      },
    },
    "Summon",
  );
  const image = h("select", { id: "push-image", name: "image", "aria-label": "Firmware image" }, h("option", { value: "" }, "firmware image…"));
  api("GET", "/firmware")
    .then((list) => {
      for (const i of list.filter((i) => i.model === d.model)) image.append(h("option", { value: i.id }, `${i.version} (${i.id.slice(0, 8)})`));
    })
    .catch(() => {});
  const push = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        if (!image.value) {
          fail(new Error("Choose an image first."));
          image.focus();
          return;
        }
        if (!window.confirm(`Install ${image.selectedOptions[0].textContent} on ${id}? It reboots.`)) return;
        start("Firmware: queued…");
        try {
          const r = await api("POST", `/devices/${enc}/firmware`, { image: image.value, connection_request: true });
          await follow(r.task, out, `Firmware ${r.version}`);
        } catch (e) {
          fail(e);
        }
      },
    },
    "Push firmware",
  );
  return h(
    "section",
    { "aria-label": "Actions" },
    h(
      "div",
      { class: "actions", role: "group", "aria-label": "Device actions" },
      summon,
      run("Re-provision", { kind: "provision" }),
      run("Reboot", { kind: "reboot" }, `Reboot ${id}? Calls in progress are cut.`),
      run("Factory reset", { kind: "factory_reset" }, `Factory reset ${id}? It forgets its configuration and bootstraps again.`),
      image,
      push,
    ),
    out,
  );
}

async function device(id) {
  await whoami();
  show(h("h1", {}, id), h("p", {}, "Loading…"));
  let v;
  try {
    v = await api("GET", `/devices/${encodeURIComponent(id)}`);
  } catch (e) {
    show(h("h1", {}, id), failure(e));
    return;
  }
  // The parts that redraw when the device changes; the actions and outcomes stay.
  const identity = h("div", { id: "device-identity" });
  const ports = h("div", { id: "device-ports" });
  const tasks = h("div", { id: "device-tasks" });
  const params = h("div", { id: "device-params" });
  const portsOut = h("span", { class: "outcome", role: "status", "aria-live": "polite", id: "ports-outcome" });
  const operator = can("operator") && v.device.enrollment === "approved";
  const fill = (v) => {
    const d = v.device;
    identity.replaceChildren(
      h(
        "dl",
        { id: "identity" },
        [
          ["Serial", d.key.serial],
          ["OUI / product class", `${d.key.oui} / ${d.key.product_class}`],
          ["Model", `${d.manufacturer} ${d.model} (hardware ${d.hardware_version || "?"})`],
          ["Firmware", d.software_version],
          ["Status", d.enrollment !== "approved" ? d.enrollment : v.online ? h("span", { class: "ok" }, "online") : h("span", { class: "error" }, "offline")],
          ["Site", d.site ? h("a", { href: `#/site/${encodeURIComponent(d.site)}` }, d.site) : "—"],
          ["Profile", v.profile ? h("a", { href: `#/profile/${encodeURIComponent(v.profile)}` }, v.profile) : "none governs it"],
          ["Tags", d.tags.join(", ") || "—"],
          ["Enrollment", d.enrollment],
          ["Last Inform", `${when(d.last_inform)} (${ago(d.last_inform)}) from ${d.last_address || "?"}`],
          ["Last boot", when(d.last_boot)],
          ["First seen", when(d.first_seen)],
          ["Provisioned", h("span", { id: "provisioned" }, d.provisioned_at ? when(d.provisioned_at) : "not yet")],
          ["Certificate (SHA-256)", d.cert_sha256 || "none seen"],
          ["Lines", d.lines ? `${d.lines_up} of ${d.lines} registered` : "not seen yet"],
          ["Calls of the last day", d.calls_at ? callsText(d) : "call log not read yet"],
        ].flatMap(([k, val]) => [h("dt", {}, k), h("dd", {}, val)]),
      ),
    );
    ports.replaceChildren(portTable(v.parameters));
    tasks.replaceChildren(
      h("h2", {}, "Tasks"),
      table(
        ["Id", "Kind", "State", "Attempts", "By", "Updated", "Fault"],
        v.tasks.map((t) => [
          t.id,
          t.kind.kind,
          h("span", { class: t.state === "failed" ? "error" : t.state === "done" ? "ok" : "" }, t.state),
          t.attempts,
          t.created_by,
          ago(t.updated_at),
          t.fault ? `${t.fault.code} ${t.fault.message}` : "",
        ]),
        { id: "tasks", empty: "No task." },
      ),
      h("h2", {}, "Faults"),
      table(
        ["Task", "Kind", "Fault", "When"],
        v.faults.map((t) => [t.id, t.kind.kind, t.fault ? `${t.fault.code} ${t.fault.message}` : "", when(t.updated_at)]),
        { id: "faults", empty: "No open fault." },
      ),
    );
    // Not while a value is being edited: that would throw away what is typed.
    if (!params.querySelector("form.inline")) {
      const open = new Set([...params.querySelectorAll("details[open]")].map((e) => e.dataset.path));
      const tree = paramTree(id, v.parameters, redraw);
      if (open.size) for (const e of tree.querySelectorAll("details")) e.open = open.has(e.dataset.path);
      params.replaceChildren(v.parameters.length ? tree : h("p", {}, "Nothing read from this device yet."));
    }
  };
  // What happened to it lately, from the audit log (operators and admins may read it).
  const activity = h("div", { id: "device-activity" });
  const history = async () => {
    if (!can("operator")) return;
    try {
      const entries = await api("GET", `/audit?target=${encodeURIComponent(id)}&limit=20`);
      activity.replaceChildren(
        table(
          ["When", "Who", "What", "Detail"],
          entries.map((e) => [when(e.at), e.actor, e.action, h("code", { class: "detail" }, JSON.stringify(e.detail))]),
          { id: "activity", empty: "Nothing recorded yet." },
        ),
      );
    } catch (e) {
      activity.replaceChildren(failure(e));
    }
  };
  const redraw = async () => {
    try {
      fill(await api("GET", `/devices/${encodeURIComponent(id)}`));
      history();
    } catch (e) {
      identity.replaceChildren(failure(e));
    }
  };
  fill(v);
  history();
  const vs = voiceRoot(v.parameters);
  show(
    h("h1", {}, v.device.id),
    identity,
    operator ? deviceActions(id, v.device) : null,
    h("h2", {}, "Ports"),
    operator
      ? h(
          "p",
          {},
          h(
            "button",
            {
              type: "button",
              id: "refresh-ports",
              onclick: async () => {
                try {
                  const t = await queue(id, { kind: "get_parameter_values", names: [vs] });
                  const done = await follow(t, portsOut, "Refresh ports");
                  if (done.state === "done") redraw();
                } catch (e) {
                  portsOut.textContent = e.message;
                }
              },
            },
            "Refresh ports",
          ),
          " ",
          portsOut,
        )
      : null,
    ports,
    tasks,
    can("operator") ? [h("h2", {}, "Recent activity"), activity] : null,
    h("h2", {}, "Parameters"),
    params,
  );
  live(debounce((ev) => {
    if ((ev.type === "device" && ev.id === id) || (ev.type === "task" && ev.device === id) || ev.type === "resync") redraw();
  }, 500));
}

// ---- routing ----------------------------------------------------------------------------

const ROUTES = [
  [/^\/device\/(.+)$/, (m) => device(decodeURIComponent(m[1]))],
  [/^\/devices$/, (m, p) => devices(p)],
  [/^\/enrollment$/, (m, p) => enrollment(p)],
  [/^\/sites$/, (m, p) => sites(p)],
  [/^\/site\/(.*)$/, (m) => site(decodeURIComponent(m[1]))],
  [/^\/profiles$/, (m, p) => profiles(p)],
  [/^\/profile\/(.*)$/, (m) => profile(decodeURIComponent(m[1]))],
  [/^\/firmware$/, (m, p) => firmware(p)],
  [/^\/rollouts$/, (m, p) => rollouts(p)],
  [/^\/rollout\/(.+)$/, (m) => rollout(decodeURIComponent(m[1]))],
  [/^\/audit$/, (m, p) => auditLog(p)],
  [/^\/tokens$/, (m, p) => tokens(p)],
];

async function route() {
  clearLive();
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("nav").hidden = !signedIn;
  const who = document.getElementById("who");
  if (!signedIn) {
    who.textContent = "";
    return signIn();
  }
  try {
    const me = await whoami();
    who.textContent = `${me.name} (${me.role.replace("_", "-")})`;
    document.documentElement.dataset.role = me.role;
  } catch (e) {
    if (e.status === 401) return;
  }
  startLive();
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = Object.fromEntries(new URLSearchParams(query || ""));
  for (const a of document.querySelectorAll("#nav a")) {
    const target = a.getAttribute("href").slice(1);
    const here = target === "/" ? path === "/" || path === "" : path.startsWith(target) || (target === "/devices" && path.startsWith("/device/"));
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  for (const [re, f] of ROUTES) {
    const m = path.match(re);
    if (m) return f(m, params);
  }
  return overview();
}

whenSignedOut(() => route());
document.getElementById("signout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN);
  forgetWho();
  stopLive();
  location.hash = "#/";
  route();
});
window.addEventListener("hashchange", route);
route();
