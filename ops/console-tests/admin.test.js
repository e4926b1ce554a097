// The gateway's own admin pages in headless Chromium (Debian's), as an installer on site
// uses them: a real gateway (tipring-agent with management.admin, its port registered with
// Kamailio). Run by integration-tests/tests/agent/admin.rs:
//   node admin.test.js BASE_URL FIRST_PASSWORD BACKUP_FILE SCREENSHOT_DIR
// Steps: sign in with the first-start password (printed once on the console), change it,
// read the status page, renumber port 1 to 150 (the Rust side sees it register), restore
// a backup (port 1 is 101 again), run a media loopback on the diagnostics page, open the
// maintenance page, sign out, then guess wrong until locked out.
// Each step waits for what the installer would see; it exits non-zero with the reason on
// the first failure. Every screen is pictured and checked by axe-core (check.js).
const { chromium } = require("playwright-core");
const { screen } = require("./check");

const [base, firstPassword, backupFile, shots] = process.argv.slice(2);
const NEW_PASSWORD = "lobby-gateway-2026";

function step(name) {
  console.log(`-- ${name}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  // The certificate is the gateway's self-signed one; the pages' CSP forbids every script,
  // so axe-core is let in by bypassing it (the pages themselves have none).
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    bypassCSP: true,
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    // Chromium logs every 4xx page load (a wrong password, the lock-out) as an error.
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(m.text());
  });
  const shot = (name) => screen(page, shots, name);
  const text = () => page.textContent("main");
  const expectText = async (want) => {
    await page.waitForFunction((w) => document.body.innerText.includes(w), want, { timeout: 15000 });
  };

  try {
    step("sign in with the first-start password");
    await page.goto(`${base}/`);
    await page.waitForURL(/\/signin$/);
    await shot("admin-signin");
    await page.fill("#password", firstPassword);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/password$/);
    await expectText("still has its first-start password");
    await shot("admin-password");

    step("change the password (a weak one is refused first)");
    await page.fill("#current", firstPassword);
    await page.fill("#new", "short");
    await page.fill("#confirm", "short");
    await page.click("main button[type=submit]");
    await expectText("at least 10 characters");
    await page.fill("#current", firstPassword);
    await page.fill("#new", NEW_PASSWORD);
    await page.fill("#confirm", NEW_PASSWORD);
    await page.click("main button[type=submit]");
    await expectText("Password changed.");

    step("the status page shows port 1 registered");
    await page.click("text=Status");
    await page.waitForURL(/\/status$/);
    for (let i = 0; i < 30 && !(await text()).includes("registered with"); i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    if (!(await text()).includes("registered with")) throw new Error("port 1 is not shown registered");
    await shot("admin-status");

    step("renumber port 1 to 150");
    await page.click("text=Configuration");
    await page.waitForURL(/\/config$/);
    await shot("admin-config");
    await page.fill("input[aria-label='Port 1 extension']", "1x0");
    await page.click("#ports button:has-text('Save and apply')");
    await expectText("ports[0].extension");
    await page.fill("input[aria-label='Port 1 extension']", "150");
    await page.fill("input[aria-label='Port 1 new SIP password']", "pw-150");
    await page.click("#ports button:has-text('Save and apply')");
    await expectText("Saved as configuration version 2");
    await shot("admin-config-saved");
    await page.click("text=Status");
    for (let i = 0; i < 30; i++) {
      const t = await text();
      if (t.includes("150") && t.includes("registered with")) break;
      await page.waitForTimeout(500);
      await page.reload();
    }

    step("restore the backup (port 1 back to 101)");
    await page.click("text=Configuration");
    await page.setInputFiles("#file", backupFile);
    await page.click("button:has-text('Restore')");
    await expectText("Saved as configuration version 3");
    if (!(await page.inputValue("input[aria-label='Port 1 extension']")).includes("101")) {
      throw new Error("the restored configuration does not show 101");
    }

    step("diagnostics: a media loopback through port 1's codec");
    await page.click("header >> text=Diagnostics");
    await page.waitForURL(/\/diagnostics$/);
    await shot("admin-diagnostics");
    await page.click("form:has(input[value=loopback]) button");
    await expectText("Started: media loopback test");
    for (let i = 0; i < 20 && !(await text()).includes("packets back"); i++) {
      await page.waitForTimeout(300);
      await page.goto(`${base}/diagnostics`);
    }
    if (!(await text()).includes("50/50 packets back")) throw new Error("no loopback result");
    await shot("admin-diagnostics-result");

    step("maintenance: firmware, support bundle, restart, reset");
    await page.click("header >> text=Maintenance");
    await page.waitForURL(/\/maintenance$/);
    await expectText("Support bundle");
    await shot("admin-maintenance");

    step("sign out; a guesser is locked out");
    await page.click("header button[type=submit]");
    await page.waitForURL(/\/signin$/);
    for (let i = 0; i < 5; i++) {
      await page.fill("#password", `guess-${i}`);
      await page.click("button[type=submit]");
      await expectText("Wrong user or password.");
    }
    await page.fill("#password", NEW_PASSWORD);
    await page.click("button[type=submit]");
    await expectText("Too many failed sign-ins");
    await shot("admin-locked");

    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    console.log("admin pages: ok");
  } catch (e) {
    console.error(`FAILED: ${e.message}`);
    try {
      console.error(`at ${page.url()}:\n${(await text()) || ""}`);
    } catch (_) {}
    await browser.close();
    process.exit(1);
  }
  await browser.close();
})();
