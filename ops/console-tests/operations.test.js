// The console runs a small real fleet in headless Chromium (Debian's): real gateways
// (tipring-agent, factory identities over mutual TLS, ports registered with Kamailio)
// behind the provisioner. Run by integration-tests/tests/agent/console.rs:
//   node operations.test.js BASE_URL ADMIN_TOKEN_FILE READ_ONLY_TOKEN_FILE SCREENSHOT_DIR
// with GW1 (a registered gateway's id), GW1_SERIAL, GW3 (a pending gateway's id), SITE3 (the
// site to approve it into), IMAGE (a firmware image id), TAG (the rollout's target tag),
// ROLLOUT_DEVICES (how many it targets) in the environment.
// Each step waits for what an operator would see; it exits non-zero with the reason on
// the first failure. A screenshot of each main screen is kept.
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");
const { screen } = require("./check");

const [base, adminFile, readOnlyFile, shots] = process.argv.slice(2);
const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const GW1 = env("GW1");
const GW1_SERIAL = env("GW1_SERIAL");
const GW3 = env("GW3");
const SITE3 = env("SITE3");
const IMAGE = env("IMAGE");
const TAG = env("TAG");
const ROLLOUT_DEVICES = Number(env("ROLLOUT_DEVICES"));
const enc = encodeURIComponent;
let page = null;

function step(name) {
  console.log(`-- ${name}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Chromium logs every 4xx as a console error: the read-only user's refusals are expected.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 40[13]/.test(m.text())) errors.push(m.text());
  });
  // Confirmation dialogs: the operator says yes.
  page.on("dialog", (d) => d.accept());
  // Each screen is pictured and checked by axe-core (check.js).
  const shot = (name) => screen(page, shots, name);
  page.setDefaultTimeout(30000);
  const text = (sel) => page.textContent(sel);
  const go = async (hash) => {
    await page.evaluate((h) => { location.hash = h; }, hash);
  };
  const signIn = async (file) => {
    await page.goto(`${base}/`);
    await page.fill("#token", fs.readFileSync(file, "utf8").trim());
    await page.click("button[type=submit]");
    await page.waitForSelector("#overview .cards");
  };

  step("sign in; the overview shows the fleet, its lines and the pending gateway");
  await signIn(adminFile);
  await page.waitForFunction(() => {
    const t = document.getElementById("chart-lines");
    return t && /registered: 4 /.test(t.textContent);
  });
  await page.waitForFunction(() => /pending: 1 /.test(document.getElementById("chart-presence").textContent));
  // The call made before the test: both ends, clean (a local G.711 call), low jitter.
  await page.waitForFunction(() => /good \(4\.0 and up\): 2 /.test(document.getElementById("chart-mos").textContent));
  await page.waitForFunction(() => /under 10 ms: 2 /.test(document.getElementById("chart-jitter").textContent));
  await shot("overview");

  step("find the gateways by serial prefix, sort, open one");
  await page.click('nav a[href="#/devices"]');
  await page.fill("#f-serial", GW1_SERIAL.slice(0, 4));
  await page.press("#f-serial", "Enter");
  await page.waitForFunction(() => document.querySelectorAll("#devices tbody tr").length === 3);
  await page.click('#devices th a:text("Serial")');
  await page.waitForFunction(() => location.hash.includes("sort=serial"));
  await page.waitForFunction((s) => document.querySelector("#devices tbody tr td:nth-child(3)")?.textContent === s, GW1_SERIAL);
  await shot("devices");
  await page.fill("#f-q", GW1_SERIAL);
  await page.press("#f-q", "Enter");
  await page.waitForFunction(() => document.querySelectorAll("#devices tbody tr").length === 1);
  await page.click(`#devices a[href="#/device/${enc(GW1)}"]`);

  step("its ports are registered (as the gateway reported them)");
  await page.waitForSelector("#identity");
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#ports tbody tr")];
    return rows.length === 2 && rows.every((r) => r.textContent.includes("registered"));
  });
  await shot("device");

  step("edit a parameter; the value the gateway reads back shows");
  const param = "Device.ManagementServer.PeriodicInformInterval";
  await page.evaluate(() => {
    for (const d of document.querySelectorAll('#param-tree details[data-path^="Device.ManagementServer."], #param-tree details[data-path="Device."]')) d.open = true;
  });
  await page.click(`button[aria-label="Edit ${param}"]`);
  const input = `input[aria-label="New value of ${param}"]`;
  // Validation before anything is sent: not a number.
  await page.fill(input, "soon");
  await page.click(`tr[data-name="${param}"] button[type=submit]`);
  await page.waitForFunction((n) => /whole number/.test(document.querySelector(`tr[data-name="${n}"] .field-error`).textContent), param);
  await page.fill(input, "1800");
  await page.click(`tr[data-name="${param}"] button[type=submit]`);
  await page.waitForFunction(
    (n) => [...document.querySelectorAll(".outcome")].some((o) => o.textContent.includes("Read back: 1800")),
    param,
    { timeout: 60000 },
  );
  await shot("device-edit");

  step("approve the pending gateway; it becomes provisioned");
  await go("#/enrollment");
  await page.waitForSelector(`[id="approve-site-${GW3}"]`);
  await shot("enrollment");
  await page.selectOption(`[id="approve-site-${GW3}"]`, SITE3);
  await page.click(`form[aria-label="Approve ${GW3}"] button[type=submit]`);
  await page.waitForFunction((id) => document.getElementById("pending-outcome").textContent.includes(id), GW3);
  await go(`#/device/${enc(GW3)}`);
  await page.waitForFunction(() => {
    const p = document.getElementById("provisioned");
    return p && p.textContent !== "not yet";
  }, undefined, { timeout: 90000 });

  step("claim codes: one shown once, then expired; an import previewed with its errors, then made");
  await go("#/enrollment");
  await page.waitForSelector("#claim-form");
  await page.selectOption("#claim-site", SITE3);
  await page.click('#claim-form button[type=submit]');
  await page.waitForFunction(() => /^[A-Z2-9]{5}(-[A-Z2-9]{5}){3}$/.test(document.getElementById("claim-code")?.textContent || ""));
  await page.waitForFunction(() => /valid until/.test(document.getElementById("claim-codes")?.textContent || ""));
  await page.click('#claim-codes button:text-is("Expire")');
  await page.waitForFunction(() => /expired/.test(document.getElementById("claim-codes").textContent));
  await page.fill("#import-csv", `serial,site,tags\nTRIM0001,${SITE3},desk\nTRIM0002,atlantis,\n`);
  await page.click("#import-preview");
  await page.waitForFunction(() => document.querySelectorAll("#import-rows tr.error").length === 1);
  const rows = await text("#import-rows");
  if (!rows.includes("no site named atlantis")) throw new Error(`import preview: ${rows}`);
  if (await page.isEnabled("#import-run")) throw new Error("an import with a bad row can be made");
  await shot("enrollment-import");
  await page.fill("#import-csv", `serial,site,tags\nTRIM0001,${SITE3},desk\nTRIM0002,${SITE3},\n`);
  await page.click("#import-preview");
  await page.waitForFunction(() => /2 valid, 0 invalid/.test(document.getElementById("import-summary")?.textContent || ""));
  await page.click("#import-run");
  await page.waitForFunction(() => /TRIM0002/.test(document.getElementById("prereg-list")?.textContent || ""));

  step("sites and profiles, with a preview of the rendered configuration");
  await go("#/sites");
  await page.waitForSelector("#sites");
  await go(`#/site/${enc(SITE3)}`);
  await page.waitForSelector("#site-form");
  await page.fill("#site-preview-device", GW3);
  await page.click('button:text-is("Preview")');
  await page.waitForFunction(() => document.querySelectorAll("#preview-params tbody tr").length > 3);
  const preview = await text("#preview-params");
  if (!preview.includes("AuthPassword") || preview.includes("Masked-Secret")) throw new Error(`preview: ${preview}`);
  await shot("site");
  await go("#/profiles");
  await page.waitForSelector("#profiles");
  await go("#/profile/fxs");
  await page.waitForSelector("#profile-form");
  // A template that is not JSON is refused next to the field, before anything is sent.
  const template = await page.inputValue("#profile-template");
  await page.fill("#profile-template", "{ not json");
  await page.click('#profile-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById("profile-template").getAttribute("aria-invalid") === "true");
  await page.fill("#profile-template", template);
  await shot("profile");

  step("a rollout to the tagged gateways; its progress bar moves to done");
  await go("#/firmware");
  await page.waitForSelector("#firmware-images");
  await shot("firmware");
  await go(`#/rollouts?image=${IMAGE}`);
  await page.waitForSelector("#rollout-form");
  await page.fill("#rollout-name", "pilot");
  await page.selectOption("#rollout-image", IMAGE);
  await page.fill("#rollout-tag", TAG);
  await page.fill("#rollout-phases", "50,100");
  await page.fill("#rollout-soak", "0");
  await page.fill("#rollout-halt", "50");
  await page.click('#rollout-form button[type=submit]');
  await page.waitForFunction(() => location.hash.startsWith("#/rollout/pilot"));
  await page.waitForSelector("#rollout-state");
  await shot("rollout-running");
  await page.waitForFunction(() => document.getElementById("rollout-state").textContent.trim().startsWith("done"), undefined, { timeout: 180000 });
  const progress = await text("#rollout-progress-text");
  if (!progress.includes(`${ROLLOUT_DEVICES} of ${ROLLOUT_DEVICES} confirmed`)) throw new Error(`rollout: ${progress}`);
  await shot("rollout");

  step("bulk: tag the gateways of the rollout");
  await go(`#/devices?tag=${enc(TAG)}`);
  await page.waitForFunction((n) => document.querySelectorAll("#devices tbody tr").length === n, ROLLOUT_DEVICES);
  await page.check('input[aria-label="Select every device on this page"]');
  await page.selectOption("#bulk-action", "tag");
  await page.fill("#bulk-arg", "floor2");
  await page.click('form.bulk button[type=submit]');
  await page.waitForFunction((n) => document.getElementById("bulk-status").textContent.includes(`${n} devices done`), ROLLOUT_DEVICES);

  step("the audit log and the tokens");
  await go("#/audit");
  await page.waitForFunction(() => /rollout\.create/.test(document.getElementById("audit-log")?.textContent || ""));
  await shot("audit");
  await go("#/tokens");
  await page.waitForSelector("#tokens");
  await shot("tokens");

  step("a read-only user sees no action, and the API refuses one anyway");
  await page.click("#signout");
  await page.waitForSelector("#token");
  await signIn(readOnlyFile);
  await go(`#/device/${enc(GW1)}`);
  await page.waitForSelector("#ports");
  for (const label of ["Summon", "Reboot", "Factory reset", "Refresh ports", "Edit"]) {
    if (await page.locator(`button:text-is("${label}")`).count()) throw new Error(`a read-only user sees ${label}`);
  }
  await shot("device-read-only");
  await go("#/enrollment");
  await page.waitForSelector("#pending-devices, #pending");
  if (await page.locator('button:text-is("Approve")').count()) throw new Error("a read-only user can approve");
  const status = await page.evaluate(async ([t, id]) => {
    const r = await fetch(`/api/v1/devices/${encodeURIComponent(id)}/connection-request`, {
      method: "POST",
      headers: { Authorization: `Bearer ${t}` },
    });
    return r.status;
  }, [fs.readFileSync(readOnlyFile, "utf8").trim(), GW1]);
  if (status !== 403) throw new Error(`the API answered a read-only connection request with ${status}`);

  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  await browser.close();
  console.log("console operations ok");
})().catch(async (e) => {
  console.error(e.message || e);
  // What the page showed when it failed: its statuses, and a picture.
  if (page) {
    try {
      const said = await page.evaluate(() => [...document.querySelectorAll("[role=status], [role=alert], .error")].map((x) => x.textContent.trim()).filter(Boolean));
      console.error(`page at ${page.url()} says: ${JSON.stringify(said)}`);
      await page.screenshot({ path: path.join(shots, "failure.png"), fullPage: true });
    } catch {}
  }
  process.exit(1);
});
