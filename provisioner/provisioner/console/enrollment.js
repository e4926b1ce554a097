// Enrollment (#/enrollment): the devices waiting for approval, claim codes for
// installers, the import of serial lists (previewed first), and the devices
// pre-registered so far.

import {
  h, show, api, ApiError, can, whoami, when, ago, failure, table, field, form, showError, action,
  live, debounce, selectField, splitTags, panel, clearErrors,
} from "./lib.js";

const PAGE = 50;
const enc = encodeURIComponent;

/** A role=status line for the outcome of a section's actions (kept across redraws). */
function outcome(id) {
  return h("p", { id, class: "outcome", role: "status", "aria-live": "polite" });
}

/** `#/enrollment` (`?offset=N` pages the pending devices). */
export async function enrollment(params) {
  const here = location.hash;
  show(h("h1", {}, "Enrollment"), h("p", {}, "Loading…"));
  let sites;
  try {
    await whoami();
    sites = (await api("GET", "/sites")).map((s) => s.name);
  } catch (e) {
    show(h("h1", {}, "Enrollment"), failure(e));
    return;
  }
  if (location.hash !== here) return;
  const operator = can("operator");
  const pending = pendingSection(sites, Math.max(0, Number(params.offset) || 0));
  const claims = operator ? claimSection(sites) : null;
  const prereg = preregSection();
  show(
    h("h1", {}, "Enrollment"),
    pending.el,
    claims ? claims.el : null,
    operator ? importSection(prereg.draw) : null,
    prereg.el,
  );
  pending.draw();
  if (claims) claims.draw();
  prereg.draw();
  const redraw = debounce(() => pending.draw());
  live((ev) => {
    if (ev.type === "device" || ev.type === "resync") redraw();
  });
}

// ---- pending devices ------------------------------------------------------------------------

function pendingSection(sites, start) {
  let offset = start;
  // What the user typed in each row's approval form, by device id: kept across redraws.
  const drafts = new Map();
  const out = outcome("pending-outcome");

  const approveForm = (d, refresh) => {
    const draft = drafts.get(d.id) || { site: d.site || "", tags: d.tags.join(", ") };
    const site = selectField("Site", { name: "site", id: `approve-site-${d.id}` }, [["", "none"], ...sites.map((s) => [s, s])], draft.site);
    const tags = field("Tags", { name: "tags", id: `approve-tags-${d.id}`, value: draft.tags, placeholder: "comma-separated", size: 14 });
    const keep = () => drafts.set(d.id, { site: site.input.value, tags: tags.input.value });
    site.input.addEventListener("change", keep);
    tags.input.addEventListener("input", keep);
    return form(
      { class: "inline", novalidate: true, "aria-label": `Approve ${d.id}` },
      [site.label, tags.label],
      async () => {
        const body = {};
        if (site.input.value) body.site = site.input.value;
        const t = splitTags(tags.input.value);
        if (t.length) body.tags = t;
        await api("POST", `/devices/${enc(d.id)}/approve`, body);
        drafts.delete(d.id);
        out.textContent = `Approved ${d.id}.`;
        refresh();
      },
      { submit: "Approve" },
    );
  };

  const p = panel({ id: "pending" }, async () => {
    let page = await api("GET", `/devices?enrollment=pending&limit=${PAGE}&offset=${offset}`);
    if (!page.devices.length && offset > 0) {
      // The last ones of this page were approved: back to the last page there is.
      offset = Math.max(0, Math.floor((page.total - 1) / PAGE) * PAGE);
      page = await api("GET", `/devices?enrollment=pending&limit=${PAGE}&offset=${offset}`);
    }
    const operator = can("operator");
    const columns = ["Device", "Serial", "Model", "Firmware", "Address", "First seen"];
    if (operator) columns.push("Approve", "Reject");
    const rows = page.devices.map((d) => {
      const cells = [
        h("a", { href: `#/device/${enc(d.id)}` }, d.id),
        d.key.serial,
        d.model || "—",
        d.software_version || "—",
        d.last_address || "—",
        h("span", { title: when(d.first_seen) }, ago(d.first_seen)),
      ];
      if (operator) {
        cells.push(
          approveForm(d, p.draw),
          action(
            "Reject",
            async () => {
              await api("POST", `/devices/${enc(d.id)}/reject`);
              p.draw();
              return `Rejected ${d.id}.`;
            },
            { confirm: `Reject ${d.id}? Its sessions will be refused.`, out },
          ),
        );
      }
      return cells;
    });
    const move = (o) => () => {
      offset = o;
      p.draw();
    };
    return [
      table(columns, rows, { id: "pending-devices", caption: "Devices waiting for approval", empty: "No device is waiting for approval." }),
      page.total > PAGE || offset > 0
        ? h(
            "div",
            { class: "pager" },
            h("span", { id: "pending-count" }, `${page.total === 0 ? 0 : offset + 1}–${offset + page.devices.length} of ${page.total}`),
            offset > 0 ? h("button", { type: "button", onclick: move(Math.max(0, offset - PAGE)) }, "Previous") : null,
            offset + PAGE < page.total ? h("button", { type: "button", onclick: move(offset + PAGE) }, "Next") : null,
          )
        : null,
    ];
  });

  const el = h(
    "section",
    { "aria-labelledby": "pending-h" },
    h("h2", { id: "pending-h" }, "Waiting for approval"),
    out,
    p.el,
  );
  return { el, draw: p.draw };
}

// ---- claim codes ------------------------------------------------------------------------------

function claimState(c, now) {
  if (c.used_by) return `used by ${c.used_by}`;
  if (c.expires_at <= now) return `expired ${when(c.expires_at)}`;
  return `valid until ${when(c.expires_at)}`;
}

/** Claim codes (operators only: the API lists them to operators). */
function claimSection(sites) {
  const out = outcome("claims-outcome");
  const once = h("div", { id: "claim-once" });
  const list = panel({ id: "claims" }, async () => {
    const claims = await api("GET", "/claims");
    const now = Date.now() / 1000;
    claims.sort((a, b) => b.created_at - a.created_at);
    return table(
      ["Code (SHA-256)", "Site", "Tags", "State", "Created", "Action"],
      claims.map((c) => [
        h("code", { title: c.code_sha256 }, `${c.code_sha256.slice(0, 12)}…`),
        c.site || "—",
        c.tags.join(", ") || "—",
        claimState(c, now),
        `${when(c.created_at)} by ${c.created_by}`,
        !c.used_by && c.expires_at > now
          ? action(
              "Expire",
              async () => {
                await api("POST", `/claims/${enc(c.code_sha256)}/expire`);
                list.draw();
                return "Claim code expired.";
              },
              { confirm: "Expire this claim code? It will no longer work.", out },
            )
          : "",
      ]),
      { id: "claim-codes", caption: "Claim codes", empty: "No claim code yet." },
    );
  });

  const site = selectField("Site", { name: "site", id: "claim-site" }, [["", "none"], ...sites.map((s) => [s, s])]);
  const tags = field("Tags (comma-separated)", { name: "tags", id: "claim-tags" });
  const days = field("Lifetime (days)", { name: "ttl_s", id: "claim-days", type: "number", min: "0", max: "90", step: "any", value: "7" });
  const create = form(
    { class: "row", id: "claim-form", novalidate: true },
    [site.label, tags.label, days.label],
    async () => {
      const d = Number(days.input.value);
      if (!(d > 0)) throw new ApiError(0, { error: "a number of days above 0", field: "ttl_s" });
      const r = await api("POST", "/claims", {
        site: site.input.value || null,
        tags: splitTags(tags.input.value),
        ttl_s: Math.round(d * 86400),
      });
      once.replaceChildren(
        h(
          "div",
          { class: "once", role: "status" },
          h("p", {}, "Claim code: ", h("code", { id: "claim-code" }, r.code)),
          h("p", { id: "claim-note" }, r.note),
          h("p", {}, `For site ${r.site || "none"}, valid until ${when(r.expires_at)}.`),
        ),
      );
      list.draw();
      return "Claim code created.";
    },
    { submit: "Create claim code" },
  );
  const el = h(
    "section",
    { "aria-labelledby": "claims-h" },
    h("h2", { id: "claims-h" }, "Claim codes"),
    h("p", { class: "muted" }, "An installer enters a claim code on a gateway (its ProvisioningCode): its first Inform with it is approved into the code's site."),
    create,
    once,
    out,
    list.el,
  );
  return { el, draw: list.draw };
}

// ---- import -----------------------------------------------------------------------------------

/** A preview (or a refused import): a summary and the rows, those with an error marked. */
function importRows(r) {
  const rows = r.rows || [];
  const bad = rows.filter((x) => x.error).length;
  const valid = r.valid ?? rows.length - bad;
  const invalidN = r.invalid ?? bad;
  // A long file: only its rows with errors are listed.
  const listed = rows.length > 500 ? rows.filter((x) => x.error) : rows;
  const t = table(
    ["Row", "Line", "Serial", "OUI", "Product class", "Site", "Tags", "Problem"],
    listed.map((x) => [
      x.row,
      x.line,
      x.serial,
      x.oui || "any",
      x.product_class || "any",
      x.site || "—",
      (x.tags || []).join(", ") || "—",
      x.error ? `${x.error.field}: ${x.error.error}` : "ok",
    ]),
    { id: "import-rows", caption: "Rows of the import", empty: rows.length ? "Every row is valid." : "No row." },
  );
  if (t.tBodies) listed.forEach((x, i) => x.error && t.tBodies[0].rows[i].classList.add("error"));
  return [
    h("p", { id: "import-summary", class: invalidN ? "error" : "ok" }, `${valid} valid, ${invalidN} invalid`),
    t,
  ];
}

/** Import a CSV of serials: preview (dry run) first; Import only after a clean preview
 * of exactly the text in the box. */
function importSection(onImported) {
  const csv = field("CSV: serial,oui,product_class,site,tags,initial_secret (tags separated by ;)", {
    name: "csv", id: "import-csv", multiline: true, rows: 8, spellcheck: "false",
  });
  const file = field("Or a CSV file", { id: "import-file", type: "file", accept: ".csv,text/csv" });
  const status = h("p", { id: "import-status", class: "form-status", role: "status", "aria-live": "polite" });
  const result = h("div", { id: "import-result" });
  const previewBtn = h("button", { type: "button", id: "import-preview" }, "Preview import");
  const importBtn = h("button", { type: "button", id: "import-run", disabled: true }, "Import");
  const el = h(
    "section",
    { "aria-labelledby": "import-h" },
    h("h2", { id: "import-h" }, "Import serial numbers"),
    h("div", { class: "stack" }, csv.label, file.label),
    h("div", { class: "actions" }, previewBtn, importBtn),
    status,
    result,
  );
  let previewed = null; // the text whose preview had no invalid row

  csv.input.addEventListener("input", () => {
    previewed = null;
    importBtn.disabled = true;
  });
  file.input.addEventListener("change", async () => {
    const f = file.input.files[0];
    if (!f) return;
    csv.input.value = await f.text();
    csv.input.dispatchEvent(new Event("input"));
  });

  const fail = (e) => {
    if (e.field && /^csv\b/.test(e.field)) {
      // A whole-file error ("csv line 1"): next to the text.
      csv.input.setAttribute("aria-invalid", "true");
      csv.error.textContent = e.field === "csv" ? e.message : `${e.field}: ${e.message}`;
      csv.input.focus();
    } else {
      showError(el, status, e);
    }
  };

  const run = async (dry) => {
    clearErrors(el);
    status.textContent = "";
    status.classList.remove("error");
    const text = csv.input.value;
    if (!text.trim()) return fail({ field: "csv", message: "paste a CSV or choose a file first" });
    previewBtn.disabled = true;
    importBtn.disabled = true;
    try {
      const r = await api("POST", `/preregistrations${dry ? "?dry_run=true" : ""}`, text, { type: "text/csv" });
      if (dry) {
        result.replaceChildren(...importRows(r));
        const clean = (r.invalid ?? 1) === 0 && r.valid > 0;
        previewed = clean && csv.input.value === text ? text : null;
        status.textContent = clean ? `${r.valid} rows ready to import.` : "Fix the rows marked before importing.";
      } else {
        result.replaceChildren();
        previewed = null;
        status.textContent = `Imported ${r.imported} devices.`;
        onImported();
      }
    } catch (e) {
      previewed = null;
      result.replaceChildren(...(e.body && Array.isArray(e.body.rows) ? importRows(e.body) : []));
      fail(e);
    } finally {
      previewBtn.disabled = false;
      importBtn.disabled = previewed === null || previewed !== csv.input.value;
    }
  };
  previewBtn.addEventListener("click", () => run(true));
  importBtn.addEventListener("click", () => run(false));
  return el;
}

// ---- pre-registered -----------------------------------------------------------------------------

function preregSection() {
  const out = outcome("prereg-outcome");
  const list = panel({ id: "preregistrations" }, async () => {
    const all = await api("GET", "/preregistrations");
    const operator = can("operator");
    const columns = ["Serial", "OUI", "Product class", "Site", "Tags", "Initial secret"];
    if (operator) columns.push("Action");
    return table(
      columns,
      all.map((p) => {
        const cells = [
          p.serial,
          p.oui || "any",
          p.product_class || "any",
          p.site || "—",
          p.tags.join(", ") || "—",
          p.initial_secret_sha256 ? "set" : "none",
        ];
        if (operator) {
          cells.push(
            action(
              "Delete",
              async () => {
                await api("DELETE", `/preregistrations/${enc(p.serial)}`);
                list.draw();
                return `Deleted ${p.serial}.`;
              },
              { confirm: `Delete the pre-registration of ${p.serial}?`, out },
            ),
          );
        }
        return cells;
      }),
      { id: "prereg-list", caption: "Pre-registered devices", empty: "No device is pre-registered." },
    );
  });
  const el = h(
    "section",
    { "aria-labelledby": "prereg-h" },
    h("h2", { id: "prereg-h" }, "Pre-registered"),
    out,
    list.el,
  );
  return { el, draw: list.draw };
}
