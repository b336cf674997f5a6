// Drives the dashboard in headless Chromium: load, run a snippet, read the output, screenshot.
// Usage: node dashboard.mjs BASE_URL SCREENSHOT_PATH
import { chromium } from "playwright-core";

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/", { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("engine").textContent.startsWith("engine: Docker"), null, { timeout: 10000 });
  await page.waitForFunction(() => document.querySelectorAll("#language option").length > 0, null, { timeout: 10000 });
  await page.selectOption("#language", "python");
  await page.fill("#code", "import sys\nprint('dash', 6 * 7)\nprint('warn', file=sys.stderr)");
  await page.click("#run");
  await page.waitForFunction(() => /exit/.test(document.getElementById("runstatus").textContent), null, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelectorAll("#runs tr").length > 1, null, { timeout: 10000 });
  const result = {
    engine: await page.textContent("#engine"),
    output: await page.textContent("#output"),
    status: await page.textContent("#runstatus"),
    runs: await page.$$eval("#runs tr", (rows) => rows.length),
    errors,
  };
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
