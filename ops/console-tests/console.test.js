// The console in headless Chromium (Debian's): sign in, the overview, find a device by
// serial, open it, summon it; a screenshot of each screen. Run by
// ops/fleet/tests/fleet/console.rs against a provisioner with simulated gateways:
//   node console.test.js BASE_URL TOKEN_FILE SERIAL SCREENSHOT_DIR
// Exits non-zero with the reason on the first failure.
const fs = require("fs");
const { chromium } = require("playwright-core");
const { screen } = require("./check");

const [base, tokenFile, serial, shots] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Chromium logs every 4xx as a console error: the refused sign-in's 401 is expected.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().includes("status of 401")) errors.push(m.text());
  });
  // Each screen is pictured and checked by axe-core (check.js).
  const shot = (name) => screen(page, shots, name);
  page.setDefaultTimeout(15000);

  // A wrong token is refused, next to the field.
  await page.goto(`${base}/`);
  await page.fill("#token", "not-a-token");
  await page.click("button[type=submit]");
  await page.waitForFunction(() => document.getElementById("signin-error").textContent.length > 0);
  await shot("signin");

  // Sign in; the overview counts the fleet.
  await page.fill("#token", fs.readFileSync(tokenFile, "utf8").trim());
  await page.click("button[type=submit]");
  await page.waitForSelector(".cards");
  const devices = await page.textContent(".cards .card .n");
  if (Number(devices) < 1) throw new Error(`the overview counts ${devices} devices`);
  await shot("overview");

  // Find the device by its serial, open it.
  await page.click('a[href="#/devices"]');
  await page.waitForSelector("#f-q");
  await page.fill("#f-q", serial);
  await page.press("#f-q", "Enter");
  await page.waitForFunction((s) => {
    const rows = document.querySelectorAll("table tbody tr");
    return rows.length === 1 && rows[0].textContent.includes(s);
  }, serial);
  await shot("devices");
  await page.click("table tbody tr td a");
  await page.waitForSelector("dl");
  // Keyboard users land on the new screen: the main landmark takes focus.
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== "main") throw new Error(`focus after navigation is on ${focused}`);
  const dl = await page.textContent("dl");
  if (!dl.includes(serial) || !dl.includes("approved")) throw new Error(`the device page: ${dl}`);

  // Summon it: the outcome shows next to the button.
  await page.click("text=Summon");
  await page.waitForFunction(() => /connected|refused|failed|error/i.test(document.getElementById("action-outcome").textContent));
  const outcome = await page.textContent("#action-outcome");
  if (!outcome.includes("The device connected")) throw new Error(`summon: ${outcome}`);
  await shot("device");

  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  await browser.close();
  console.log("console ok");
})().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
