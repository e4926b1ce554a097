// Sites and profiles: the lists (#/sites, #/profiles) and the editors (#/site/NAME,
// #/profile/NAME; an empty name makes a new one), each with a preview of what a device
// would be given.

import {
  h, show, api, ApiError, can, whoami, failure, table, field, form, showError, action,
  selectField, splitTags, panel, clearErrors,
} from "./lib.js";

const enc = encodeURIComponent;

// ---- helpers --------------------------------------------------------------------------------

/** An error found before sending, shown like the API's (next to the input `field`). */
function invalid(fieldName, message) {
  return new ApiError(0, { error: message, field: fieldName });
}

/** `key=value` lines → an object; blank lines and `#` comments are skipped. */
function parseVars(text) {
  const out = {};
  text.split("\n").forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith("#")) return;
    const eq = l.indexOf("=");
    if (eq < 1) throw invalid("variables", `line ${i + 1}: key=value expected`);
    const k = l.slice(0, eq).trim();
    if (k in out) throw invalid("variables", `line ${i + 1}: ${k} is given twice`);
    out[k] = l.slice(eq + 1).trim();
  });
  return out;
}

function varsText(vars) {
  return Object.entries(vars || {}).map(([k, v]) => `${k}=${v}`).join("\n");
}

/** Ids of up to 50 devices (for the preview's device picker); none if that fails. */
async function deviceIds(query) {
  try {
    return (await api("GET", `/devices?limit=50${query}`)).devices.map((d) => d.id);
  } catch {
    return [];
  }
}

/** The preview form: a device id (with `devices` offered) and "Preview", which posts
 * `body()` to `${path()}/preview?device=ID`. Errors go next to the inputs of the
 * enclosing `.editor` (the form above included). */
function previewPanel(prefix, path, body, devices) {
  const dev = field("Device id", { name: "device", id: `${prefix}-preview-device`, list: `${prefix}-devices`, autocomplete: "off" });
  const status = h("p", { id: `${prefix}-preview-status`, class: "form-status", role: "status", "aria-live": "polite" });
  const result = h("div", { id: "preview" });
  const button = h("button", { type: "submit" }, "Preview");
  const el = h(
    "form",
    { class: "row", novalidate: true, "aria-label": "Preview" },
    dev.label,
    h("datalist", { id: `${prefix}-devices` }, devices.map((d) => h("option", { value: d }))),
    h("div", { class: "actions" }, button),
  );
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const scope = el.closest(".editor") || el;
    clearErrors(scope);
    status.textContent = "";
    status.classList.remove("error");
    button.disabled = true;
    try {
      const id = dev.input.value.trim();
      if (!id) throw invalid("device", "a device id");
      const r = await api("POST", `${path()}/preview?device=${enc(id)}`, body());
      result.replaceChildren(
        h("p", { id: "preview-profile" }, r.profile ? `Profile: ${r.profile}` : "No profile applies to this device."),
        table(
          ["Parameter", "Value"],
          r.parameters.map((p) => [p.name, p.secret ? h("span", { title: "secret: masked" }, p.value, " (secret)") : p.value]),
          { id: "preview-params", caption: `What ${r.device} would be given`, empty: "No parameter." },
        ),
      );
      status.textContent = `Preview for ${r.device}.`;
    } catch (e) {
      result.replaceChildren();
      showError(scope, status, e);
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { "aria-labelledby": `${prefix}-preview-h` },
    h("h2", { id: `${prefix}-preview-h` }, "Preview"),
    h("p", { class: "muted" }, "What a device would be given with the values above, before they are saved."),
    el,
    status,
    result,
  );
}

// ---- sites ----------------------------------------------------------------------------------

/** `#/sites`: every site, linked. */
export async function sites() {
  const here = location.hash;
  show(h("h1", {}, "Sites"), h("p", {}, "Loading…"));
  try {
    await whoami();
    const list = await api("GET", "/sites");
    if (location.hash !== here) return;
    show(
      h("h1", {}, "Sites"),
      can("operator") ? h("p", {}, h("a", { href: "#/site/", id: "new-site" }, "New site")) : null,
      table(
        ["Site", "Description", "Variables"],
        list.map((s) => [
          h("a", { href: `#/site/${enc(s.name)}` }, s.name),
          s.description,
          Object.keys(s.variables).join(", ") || "—",
        ]),
        { id: "sites", empty: "No site yet." },
      ),
    );
  } catch (e) {
    show(h("h1", {}, "Sites"), failure(e));
  }
}

/** `#/site/NAME` (`#/site/` for a new one): edit, delete, preview. */
export async function site(name) {
  const here = location.hash;
  const isNew = !name;
  const title = isNew ? "New site" : `Site ${name}`;
  show(h("h1", {}, title), h("p", {}, "Loading…"));
  let s = { name: "", description: "", variables: {} };
  let devices = [];
  try {
    await whoami();
    if (!isNew) {
      [s, devices] = await Promise.all([api("GET", `/sites/${enc(name)}`), deviceIds(`&site=${enc(name)}`)]);
    }
  } catch (e) {
    show(h("h1", {}, title), failure(e));
    return;
  }
  if (location.hash !== here) return;

  if (!can("operator")) {
    show(
      h("h1", {}, title),
      h("dl", {}, h("dt", {}, "Description"), h("dd", {}, s.description || "—"), h("dt", {}, "Variables"), h("dd", {}, h("pre", {}, varsText(s.variables) || "none"))),
    );
    return;
  }

  const nameF = isNew ? field("Name", { name: "name", id: "site-name", autocomplete: "off" }) : null;
  const desc = field("Description", { name: "description", id: "site-description", value: s.description });
  const vars = field("Variables (one key=value a line)", { name: "variables", id: "site-variables", multiline: true, rows: 8, spellcheck: "false" });
  vars.input.value = varsText(s.variables);
  const siteName = () => {
    const n = isNew ? nameF.input.value.trim() : name;
    if (!n) throw invalid("name", "a name: 1 to 64 of A-Z a-z 0-9 . _ -");
    return n;
  };
  const body = () => ({ description: desc.input.value, variables: parseVars(vars.input.value) });
  const edit = form(
    { class: "stack", id: "site-form", novalidate: true },
    [nameF && nameF.label, desc.label, vars.label],
    async () => {
      const n = siteName();
      await api("PUT", `/sites/${enc(n)}`, body());
      if (isNew) location.hash = `#/site/${enc(n)}`;
      return "Saved.";
    },
  );
  const out = h("p", { id: "site-outcome", role: "status", "aria-live": "polite" });
  const del = isNew
    ? null
    : action(
        "Delete",
        async () => {
          await api("DELETE", `/sites/${enc(name)}`);
          location.hash = "#/sites";
          return "Deleted.";
        },
        { confirm: `Delete site ${name}?`, out },
      );
  show(
    h("h1", {}, title),
    h(
      "div",
      { class: "editor" },
      edit,
      del ? h("div", { class: "row" }, del, out) : null,
      previewPanel("site", () => `/sites/${enc(siteName())}`, body, devices),
    ),
  );
}

// ---- profiles -------------------------------------------------------------------------------

const DRIFT = [
  ["correct", "correct: push the profile's values again"],
  ["report", "report: record a fault, change nothing"],
];

/** `#/profiles`: every profile, linked. */
export async function profiles() {
  const here = location.hash;
  show(h("h1", {}, "Profiles"), h("p", {}, "Loading…"));
  try {
    await whoami();
    const list = await api("GET", "/profiles");
    if (location.hash !== here) return;
    show(
      h("h1", {}, "Profiles"),
      can("operator") ? h("p", {}, h("a", { href: "#/profile/", id: "new-profile" }, "New profile")) : null,
      table(
        ["Profile", "Priority", "Model", "Site", "Tags", "Drift"],
        list.map((p) => [
          h("a", { href: `#/profile/${enc(p.name)}` }, p.name),
          p.priority,
          p.model || "any",
          p.site || "any",
          p.tags.join(", ") || "—",
          p.drift,
        ]),
        { id: "profiles", empty: "No profile yet." },
      ),
    );
  } catch (e) {
    show(h("h1", {}, "Profiles"), failure(e));
  }
}

/** The stored template (a string holding JSON), indented for editing. */
function pretty(template) {
  try {
    return JSON.stringify(JSON.parse(template), null, 2);
  } catch {
    return template;
  }
}

/** `#/profile/NAME` (`#/profile/` for a new one): edit, apply, delete, preview. */
export async function profile(name) {
  const here = location.hash;
  const isNew = !name;
  const title = isNew ? "New profile" : `Profile ${name}`;
  show(h("h1", {}, title), h("p", {}, "Loading…"));
  let p = { priority: 0, model: null, site: null, tags: [], template: "{}", variables: {}, drift: "correct" };
  let siteNames = [];
  let devices = [];
  try {
    await whoami();
    const [stored, sites] = await Promise.all([isNew ? null : api("GET", `/profiles/${enc(name)}`), api("GET", "/sites")]);
    if (stored) p = stored;
    siteNames = sites.map((s) => s.name);
    const q = `${p.site ? `&site=${enc(p.site)}` : ""}${p.model ? `&model=${enc(p.model)}` : ""}`;
    if (can("operator")) devices = await deviceIds(q);
  } catch (e) {
    show(h("h1", {}, title), failure(e));
    return;
  }
  if (location.hash !== here) return;

  if (!can("operator")) {
    const rows = [
      ["Priority", p.priority], ["Model", p.model || "any"], ["Site", p.site || "any"],
      ["Tags", p.tags.join(", ") || "—"], ["Drift", p.drift],
      ["Variables", h("pre", {}, varsText(p.variables) || "none")], ["Template", h("pre", {}, pretty(p.template))],
    ];
    show(h("h1", {}, title), h("dl", {}, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
    return;
  }

  const nameF = isNew ? field("Name", { name: "name", id: "profile-name", autocomplete: "off" }) : null;
  const prio = field("Priority (higher wins)", { name: "priority", id: "profile-priority", type: "number", step: "1", value: p.priority });
  const model = field("Model (empty: any)", { name: "model", id: "profile-model", value: p.model || "" });
  const siteF = selectField("Site", { name: "site", id: "profile-site" }, [["", "any"], ...siteNames.map((s) => [s, s])], p.site || "");
  const tags = field("Tags (comma-separated; all must be on the device)", { name: "tags", id: "profile-tags", value: p.tags.join(", ") });
  const drift = selectField("Drift", { name: "drift", id: "profile-drift" }, DRIFT, p.drift);
  const template = field("Template (JSON)", { name: "template", id: "profile-template", multiline: true, rows: 18, spellcheck: "false" });
  template.input.value = pretty(p.template);
  const vars = field("Variables: defaults, a site's win (one key=value a line)", { name: "variables", id: "profile-variables", multiline: true, rows: 6, spellcheck: "false" });
  vars.input.value = varsText(p.variables);

  const profileName = () => {
    const n = isNew ? nameF.input.value.trim() : name;
    if (!n) throw invalid("name", "a name: 1 to 64 of A-Z a-z 0-9 . _ -");
    return n;
  };
  /** The body of PUT and preview, checked here first: the template must parse. */
  const body = () => {
    const priority = Number(prio.input.value || 0);
    if (!Number.isInteger(priority)) throw invalid("priority", "a whole number");
    let tpl;
    try {
      tpl = JSON.parse(template.input.value);
    } catch (e) {
      throw invalid("template", `not valid JSON: ${e.message}`);
    }
    if (tpl === null || typeof tpl !== "object" || Array.isArray(tpl)) throw invalid("template", "a JSON object");
    return {
      priority,
      model: model.input.value.trim() || null,
      site: siteF.input.value || null,
      tags: splitTags(tags.input.value),
      drift: drift.input.value,
      template: tpl,
      variables: parseVars(vars.input.value),
    };
  };
  const edit = form(
    { class: "stack", id: "profile-form", novalidate: true },
    [nameF && nameF.label, prio.label, model.label, siteF.label, tags.label, drift.label, template.label, vars.label],
    async () => {
      const n = profileName();
      await api("PUT", `/profiles/${enc(n)}`, body());
      if (isNew) location.hash = `#/profile/${enc(n)}`;
      return "Saved.";
    },
  );
  const out = h("p", { id: "profile-outcome", role: "status", "aria-live": "polite" });
  const buttons = isNew
    ? null
    : h(
        "div",
        { class: "row" },
        action(
          "Apply to devices",
          async () => {
            const r = await api("POST", `/profiles/${enc(name)}/apply`);
            return `Provisioning queued on ${r.devices.length} device${r.devices.length === 1 ? "" : "s"}.`;
          },
          { confirm: `Queue a provisioning pass on every approved device profile ${name} (as saved) governs?`, out },
        ),
        action(
          "Delete",
          async () => {
            await api("DELETE", `/profiles/${enc(name)}`);
            location.hash = "#/profiles";
            return "Deleted.";
          },
          { confirm: `Delete profile ${name}?`, out },
        ),
        out,
      );
  show(
    h("h1", {}, title),
    h("div", { class: "editor" }, edit, buttons, previewPanel("profile", () => `/profiles/${enc(profileName())}`, body, devices)),
  );
}
