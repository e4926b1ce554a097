// Administration: the audit log (#/audit, operators and admins) and the API tokens
// (#/tokens, admins).

import {
  h, show, api, can, whoami, when, failure, table, field, form, action, selectField, panel,
} from "./lib.js";

const enc = encodeURIComponent;
const FILTERS = ["actor", "target", "action"];

// ---- audit log -----------------------------------------------------------------------------

/** `#/audit?actor=&target=&action=`: the latest 200 records matching the filters. */
export async function auditLog(params) {
  const here = location.hash;
  const inputs = FILTERS.map((name) =>
    field(name[0].toUpperCase() + name.slice(1), { name, id: `audit-${name}`, value: params[name] || "" }),
  );
  const filters = h(
    "form",
    {
      class: "filters",
      role: "search",
      id: "audit-filters",
      onsubmit: (ev) => {
        ev.preventDefault();
        const next = new URLSearchParams();
        for (const f of inputs) if (f.input.value.trim()) next.set(f.input.name, f.input.value.trim());
        const hash = `#/audit?${next}`;
        // The same filters again: no hashchange, so reload here.
        if (location.hash === hash) auditLog(Object.fromEntries(next));
        else location.hash = hash;
      },
    },
    inputs.map((f) => f.label),
    h("button", { type: "submit" }, "Filter"),
  );
  show(h("h1", {}, "Audit log"), filters, h("p", {}, "Loading…"));
  try {
    await whoami();
    const q = new URLSearchParams();
    for (const name of FILTERS) if (params[name]) q.set(name, params[name]);
    q.set("limit", "200");
    const entries = await api("GET", `/audit?${q}`);
    if (location.hash !== here) return;
    show(
      h("h1", {}, "Audit log"),
      filters,
      table(
        ["When", "Actor", "Action", "Target", "Detail"],
        entries.map((e) => [
          when(e.at),
          e.actor,
          e.action,
          e.target,
          detailText(e.detail) ? h("code", { class: "detail" }, detailText(e.detail)) : "",
        ]),
        { id: "audit-log", caption: entries.length === 200 ? "The latest 200 records" : "Records", empty: "No record matches." },
      ),
    );
  } catch (e) {
    // A read-only token is refused (403): the API's message says so.
    show(h("h1", {}, "Audit log"), filters, failure(e));
  }
}

/** A record's detail as compact JSON ("" for none). */
function detailText(d) {
  if (d === null || d === undefined) return "";
  if (typeof d === "object" && !Array.isArray(d) && Object.keys(d).length === 0) return "";
  return JSON.stringify(d);
}

// ---- tokens --------------------------------------------------------------------------------

const ROLES = [
  ["read_only", "read_only: reads"],
  ["operator", "operator: also changes devices, enrollment, configuration, firmware"],
  ["admin", "admin: also tokens, secrets, deleting"],
];

/** `#/tokens`: the API tokens; make one (shown once), revoke one. Admins only. */
export async function tokens() {
  const here = location.hash;
  show(h("h1", {}, "API tokens"), h("p", {}, "Loading…"));
  let me;
  try {
    me = await whoami();
  } catch (e) {
    show(h("h1", {}, "API tokens"), failure(e));
    return;
  }
  if (location.hash !== here) return;
  if (!can("admin")) {
    show(
      h("h1", {}, "API tokens"),
      h("p", { id: "tokens-admin-only" }, "Only an admin manages API tokens. Ask one for a token, or to revoke one."),
    );
    return;
  }

  const out = h("p", { id: "tokens-outcome", class: "outcome", role: "status", "aria-live": "polite" });
  const list = panel({ id: "token-list" }, async () => {
    const all = await api("GET", "/tokens");
    all.sort((a, b) => (a.revoked_at ? 1 : 0) - (b.revoked_at ? 1 : 0) || a.name.localeCompare(b.name));
    return table(
      ["Name", "Role", "Created", "Revoked", "Action"],
      all.map((t) => [
        t.name,
        t.role,
        when(t.created_at),
        t.revoked_at ? when(t.revoked_at) : "—",
        t.revoked_at
          ? ""
          : action(
              "Revoke",
              async () => {
                await api("DELETE", `/tokens/${enc(t.name)}`);
                list.draw();
                return `Revoked ${t.name}.`;
              },
              {
                confirm:
                  t.name === me.name
                    ? `Revoke ${t.name}? It is the token you are signed in with: you will be signed out.`
                    : `Revoke ${t.name}? Whatever uses it will be refused from now on.`,
                out,
              },
            ),
      ]),
      { id: "tokens", caption: "API tokens", empty: "No token." },
    );
  });

  const once = h("div", { id: "token-once" });
  const name = field("Name", { name: "name", id: "token-name", autocomplete: "off" });
  const role = selectField("Role", { name: "role", id: "token-role" }, ROLES, "read_only");
  const create = form(
    { class: "row", id: "token-form", novalidate: true },
    [name.label, role.label],
    async () => {
      const r = await api("POST", "/tokens", { name: name.input.value.trim(), role: role.input.value });
      once.replaceChildren(
        h(
          "div",
          { class: "once", role: "status" },
          h("p", {}, `Token ${r.name} (${r.role}): `, h("code", { id: "new-token" }, r.token)),
          h("p", { id: "new-token-note" }, r.note),
        ),
      );
      name.input.value = "";
      list.draw();
      return `Token ${r.name} created.`;
    },
    { submit: "Create token" },
  );
  show(
    h("h1", {}, "API tokens"),
    h("section", { "aria-labelledby": "new-token-h" }, h("h2", { id: "new-token-h" }, "New token"), create, once),
    h("section", { "aria-labelledby": "tokens-h" }, h("h2", { id: "tokens-h" }, "Tokens"), out, list.el),
  );
  list.draw();
}
