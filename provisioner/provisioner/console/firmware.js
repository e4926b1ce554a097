// Firmware and rollouts: the stored images (#/firmware) with their upload, the staged
// rollouts (#/rollouts) with the form that makes one, and one rollout (#/rollout/ID),
// kept current by live events and a poll while it runs.

import {
  h, show, api, ApiError, can, whoami, when, bytes, failure, table, field, form, action, live,
  debounce, selectField, panel, progressBar,
} from "./lib.js";

const enc = encodeURIComponent;

/** "halted: reason", "running", ... */
function stateText(s) {
  return s.state === "halted" ? `halted: ${s.reason}` : s.state;
}

function shortId(id) {
  return h("code", { title: id }, `${id.slice(0, 12)}…`);
}

// ---- firmware images ---------------------------------------------------------------------------

/** `#/firmware`: the stored images; operators upload, admins delete. */
export async function firmware() {
  const here = location.hash;
  show(h("h1", {}, "Firmware"), h("p", {}, "Loading…"));
  try {
    await whoami();
  } catch (e) {
    show(h("h1", {}, "Firmware"), failure(e));
    return;
  }
  if (location.hash !== here) return;
  const out = h("p", { id: "firmware-outcome", class: "outcome", role: "status", "aria-live": "polite" });
  const list = panel({ id: "firmware-list" }, async () => {
    const images = await api("GET", "/firmware");
    const columns = ["Version", "Model", "Product", "Size", "Key", "Uploaded", "Id"];
    if (can("operator")) columns.push("Actions");
    return table(
      columns,
      images.map((i) => {
        const cells = [
          i.version,
          i.model,
          i.product,
          bytes(i.size),
          i.key_id,
          `${when(i.uploaded_at)} by ${i.uploaded_by}`,
          shortId(i.id),
        ];
        if (can("operator")) {
          cells.push(
            h(
              "span",
              { class: "row" },
              h("a", { href: `#/rollouts?image=${enc(i.id)}` }, "Roll out"),
              can("admin")
                ? action(
                    "Delete",
                    async () => {
                      await api("DELETE", `/firmware/${enc(i.id)}`);
                      list.draw();
                      return `Deleted ${i.version} for ${i.model}.`;
                    },
                    { confirm: `Delete firmware ${i.version} for ${i.model}? Rollouts of it will halt.`, out },
                  )
                : null,
            ),
          );
        }
        return cells;
      }),
      { id: "firmware-images", caption: "Firmware images", empty: "No firmware image yet." },
    );
  });

  let upload = null;
  if (can("operator")) {
    const file = field("Signed image file", { name: "image", id: "firmware-file", type: "file" });
    upload = form(
      { class: "row", id: "firmware-upload", novalidate: true },
      [file.label],
      async (el) => {
        const f = file.input.files[0];
        if (!f) throw new ApiError(0, { error: "choose the image file", field: "image" });
        el.querySelector(".form-status").textContent = `Uploading ${bytes(f.size)}…`;
        const i = await api("POST", "/firmware", f, { type: "application/octet-stream" });
        file.input.value = "";
        list.draw();
        return `Uploaded ${i.version} for ${i.model} (${i.id.slice(0, 12)}…).`;
      },
      { submit: "Upload" },
    );
  }
  show(
    h("h1", {}, "Firmware"),
    upload ? h("section", { "aria-labelledby": "upload-h" }, h("h2", { id: "upload-h" }, "Upload"), upload) : null,
    h("section", { "aria-labelledby": "images-h" }, h("h2", { id: "images-h" }, "Images"), out, list.el),
  );
  list.draw();
}

// ---- rollouts ------------------------------------------------------------------------------------

/** `#/rollouts` (`?image=ID` preselects the image of the form). */
export async function rollouts(params) {
  const here = location.hash;
  show(h("h1", {}, "Rollouts"), h("p", {}, "Loading…"));
  let images = [];
  let sites = [];
  try {
    await whoami();
    if (can("operator")) [images, sites] = await Promise.all([api("GET", "/firmware"), api("GET", "/sites")]);
  } catch (e) {
    show(h("h1", {}, "Rollouts"), failure(e));
    return;
  }
  if (location.hash !== here) return;
  const list = panel({ id: "rollout-list" }, async () => {
    const r = (await api("GET", "/rollouts")).rollouts;
    r.sort((a, b) => b.created_at - a.created_at);
    return table(
      ["Rollout", "Version", "State", "Phase", "Progress", "Created"],
      r.map((s) => [
        h("a", { href: `#/rollout/${enc(s.id)}` }, s.id),
        s.version,
        stateText(s.state),
        `${Math.min(s.phase + 1, s.phases)} of ${s.phases}`,
        progressBar(s.total),
        `${when(s.created_at)} by ${s.created_by}`,
      ]),
      { id: "rollouts", caption: "Rollouts", empty: "No rollout yet." },
    );
  });
  show(
    h("h1", {}, "Rollouts"),
    can("operator") ? createRollout(images, sites, params.image) : null,
    h("section", { "aria-labelledby": "rollouts-h" }, h("h2", { id: "rollouts-h" }, "All rollouts"), list.el),
  );
  list.draw();
  const redraw = debounce(() => list.draw());
  live((ev) => {
    if (ev.type === "rollout" || ev.type === "resync") redraw();
  });
}

/** The form that makes a rollout. */
function createRollout(images, sites, preselect) {
  const section = (...c) => h("section", { "aria-labelledby": "new-rollout-h" }, h("h2", { id: "new-rollout-h" }, "New rollout"), c);
  if (!images.length) return section(h("p", {}, "Upload a firmware image first: ", h("a", { href: "#/firmware" }, "Firmware"), "."));
  const bad = (f, msg) => new ApiError(0, { error: msg, field: f });
  const name = field("Name", { name: "name", id: "rollout-name", autocomplete: "off" });
  const image = selectField(
    "Image",
    { name: "image", id: "rollout-image" },
    images.map((i) => [i.id, `${i.version} for ${i.model} (${i.id.slice(0, 12)}…)`]),
    images.some((i) => i.id === preselect) ? preselect : images[0].id,
  );
  const modelNote = h("p", { id: "rollout-model", class: "muted" });
  const showModel = () => {
    const i = images.find((x) => x.id === image.input.value);
    modelNote.textContent = i ? `Approved devices of model ${i.model} not already on ${i.version}, narrowed by:` : "";
  };
  image.input.addEventListener("change", showModel);
  showModel();
  const site = selectField("Site", { name: "targets.site", id: "rollout-site" }, [["", "any"], ...sites.map((s) => [s.name, s.name])]);
  const tag = field("Tag", { name: "targets.tag", id: "rollout-tag" });
  const from = field("Currently on version", { name: "targets.software_version", id: "rollout-from" });
  const phases = field("Phases (cumulative %, e.g. 5,25,100)", { name: "phases", id: "rollout-phases", value: "5,25,100" });
  const soak = field("Soak after each phase (minutes)", { name: "min_soak_s", id: "rollout-soak", type: "number", min: "0", step: "any", value: "60" });
  const rate = field("At most per minute (0: no limit)", { name: "max_per_minute", id: "rollout-rate", type: "number", min: "0", step: "1", value: "0" });
  const start = field("Window start (HH:MM device-local, optional)", { name: "window.start", id: "rollout-window-start", placeholder: "22:00", size: 6 });
  const end = field("Window end (HH:MM)", { name: "window.end", id: "rollout-window-end", placeholder: "04:00", size: 6 });
  const halt = field("Halt when a phase's failures exceed (%)", { name: "halt_failure_rate", id: "rollout-halt", type: "number", min: "0", max: "100", step: "any", value: "10" });

  const body = () => {
    const n = name.input.value.trim();
    if (!n) throw bad("name", "a name: 1 to 64 of A-Z a-z 0-9 . _ -");
    const minutes = Number(soak.input.value || 0);
    if (!(minutes >= 0)) throw bad("min_soak_s", "minutes, 0 or more");
    const percents = phases.input.value.split(/[\s,]+/).filter(Boolean).map(Number);
    if (!percents.length || percents.some((p) => !Number.isInteger(p) || p < 1 || p > 100)) {
      throw bad("phases", "whole percentages from 1 to 100, rising to 100, e.g. 5,25,100");
    }
    const perMinute = Number(rate.input.value || 0);
    if (!Number.isInteger(perMinute) || perMinute < 0) throw bad("max_per_minute", "a whole number, 0 or more");
    const pct = Number(halt.input.value);
    if (halt.input.value === "" || !(pct >= 0 && pct <= 100)) throw bad("halt_failure_rate", "a percentage from 0 to 100");
    const [ws, we] = [start.input.value.trim(), end.input.value.trim()];
    if (Boolean(ws) !== Boolean(we)) throw bad(ws ? "window.end" : "window.start", "give both ends of the window, or neither");
    return {
      name: n,
      image: image.input.value,
      targets: {
        site: site.input.value || undefined,
        tag: tag.input.value.trim() || undefined,
        software_version: from.input.value.trim() || undefined,
      },
      phases: percents.map((percent) => ({ percent, min_soak_s: Math.round(minutes * 60) })),
      max_per_minute: perMinute,
      window: ws ? { start: ws, end: we } : undefined,
      halt_failure_rate: pct / 100,
    };
  };
  return section(
    form(
      { class: "stack", id: "rollout-form", novalidate: true },
      [
        name.label,
        image.label,
        h("fieldset", {}, h("legend", {}, "Targets"), modelNote, site.label, tag.label, from.label),
        phases.label,
        soak.label,
        rate.label,
        h("div", { class: "row" }, start.label, end.label),
        halt.label,
      ],
      async () => {
        const s = await api("POST", "/rollouts", body());
        location.hash = `#/rollout/${enc(s.id)}`;
        return `Rollout ${s.id} created.`;
      },
      { submit: "Create rollout" },
    ),
  );
}

// ---- one rollout -----------------------------------------------------------------------------------

/** "22:00" from minutes after midnight. */
function hhmm(m) {
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

function faultText(code) {
  if (code === null || code === undefined) return "—";
  if (code === 0) return "0 (rolled back to its old image)";
  if (code === 9017) return "9017 (no report in time)";
  return String(code);
}

// The poll of the rollout page last shown; an older one stops when it sees a newer one.
let pollOwner = 0;

/** `#/rollout/ID`: state, progress, phases, failures; pause, resume, cancel. */
export async function rollout(id) {
  const here = location.hash;
  const title = `Rollout ${id}`;
  show(h("h1", {}, title), h("p", {}, "Loading…"));
  let first;
  try {
    await whoami();
    first = await api("GET", `/rollouts/${enc(id)}`);
  } catch (e) {
    show(h("h1", {}, title), failure(e));
    return;
  }
  if (location.hash !== here) return;

  // The parts that change, filled by draw().
  const state = h("p", { id: "rollout-state", class: "state", role: "status", "aria-live": "polite" });
  const overall = h("div", { id: "rollout-progress" });
  const buttons = h("div", { id: "rollout-actions", class: "row" });
  const out = h("p", { id: "rollout-outcome", class: "outcome", role: "status", "aria-live": "polite" });
  const facts = h("dl", { id: "rollout-facts" });
  const phases = h("div", { id: "rollout-phases-panel" });
  const failures = h("div", { id: "rollout-failures-panel" });
  let current = first;

  const draw = (r) => {
    current = r;
    const s = r.summary;
    const t = s.total;
    const spec = r.spec;
    state.textContent = stateText(s.state);
    state.className = `state state-${s.state.state}`;
    overall.replaceChildren(
      progressBar(t),
      h("p", { id: "rollout-progress-text" }, `${t.confirmed} of ${t.devices} confirmed`),
      h("p", { class: "muted" }, `${t.failed} failed, ${t.downloading + t.installed} in progress, ${t.queued} queued`),
    );
    const rows = [
      ["Version", s.version],
      ["Image", shortId(s.image)],
      ["Created", `${when(s.created_at)} by ${s.created_by}`],
      ["Phase", `${s.phase + 1} of ${s.phases}`],
      ["Phase started", when(r.phase_started_at)],
      ["Phase finished", r.phase_finished_at ? when(r.phase_finished_at) : "not yet"],
      ["Rate", spec.max_per_minute ? `at most ${spec.max_per_minute} a minute` : "no limit"],
      ["Window", spec.window ? `${hhmm(spec.window.start_minute)}–${hhmm(spec.window.end_minute)} device-local` : "any time"],
      ["Halts above", `${+(spec.halt_failure_rate * 100).toFixed(2)} % failures in a phase`],
    ];
    facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    phases.replaceChildren(
      table(
        ["Phase", "Reaches", "Soak", "Devices", "Queued", "Downloading", "Installed", "Confirmed", "Failed", "Progress"],
        r.phases.map((p, i) => [
          i === s.phase && s.state.state !== "done" ? `${i + 1} (current)` : String(i + 1),
          `${p.percent} %`,
          `${Math.round(p.min_soak_s / 60)} min`,
          p.progress.devices,
          p.progress.queued,
          p.progress.downloading,
          p.progress.installed,
          p.progress.confirmed,
          p.progress.failed,
          progressBar(p.progress),
        ]),
        { id: "rollout-phase-table", caption: "Progress of each phase" },
      ),
    );
    failures.replaceChildren(
      table(
        ["Device", "Fault code"],
        r.failures.map((f) => [h("a", { href: `#/device/${enc(f.device)}` }, f.device), faultText(f.fault_code)]),
        { id: "rollout-failures", caption: "Failed devices", empty: "No device failed." },
      ),
    );
    // The controls this state allows (operators).
    const verb = (label, path, done, confirm) =>
      action(
        label,
        async () => {
          draw(await api("POST", `/rollouts/${enc(id)}/${path}`));
          return done;
        },
        { confirm, out },
      );
    const st = s.state.state;
    buttons.replaceChildren(
      ...(can("operator")
        ? [
            st === "running" ? verb("Pause", "pause", "Paused.") : null,
            st === "paused" || st === "halted" ? verb("Resume", "resume", "Resumed.") : null,
            st === "running" || st === "paused" || st === "halted"
              ? verb("Cancel rollout", "cancel", "Cancelled.", `Cancel rollout ${id}? This cannot be undone; devices already upgraded stay upgraded.`)
              : null,
          ].filter(Boolean)
        : []),
    );
  };

  // Reload: a later load wins over a slower earlier one.
  let seq = 0;
  const reload = async () => {
    const n = ++seq;
    try {
      const r = await api("GET", `/rollouts/${enc(id)}`);
      if (n === seq && location.hash === here) draw(r);
    } catch (e) {
      if (n === seq) {
        out.textContent = e.message;
        out.classList.add("error");
      }
    }
  };

  draw(first);
  show(
    h("h1", {}, title),
    state,
    overall,
    buttons,
    out,
    facts,
    h("h2", {}, "Phases"),
    phases,
    h("h2", {}, "Failures"),
    failures,
  );

  const redraw = debounce(reload);
  live((ev) => {
    if ((ev.type === "rollout" && ev.id === id) || ev.type === "resync") redraw();
  });
  // Poll every 5 s while it runs, in case an event is missed; stop once the route changes.
  const mine = ++pollOwner;
  const timer = setInterval(() => {
    if (mine !== pollOwner || location.hash !== here) {
      clearInterval(timer);
      return;
    }
    if (current.summary.state.state === "running") reload();
  }, 5000);
}
