// What both browser tests do on each screen: keep a screenshot, and check the screen with
// axe-core (WCAG 2 A and AA rules); a serious or critical violation throws, naming the
// rule and the first elements it found.
const fs = require("fs");
const path = require("path");

const axeSource = fs.readFileSync(require.resolve("axe-core"), "utf8");

async function screen(page, dir, name) {
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  if (found.length) throw new Error(`accessibility of ${name}: ${found.join("; ")}`);
}

module.exports = { screen };
