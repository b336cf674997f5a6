// Drives the dashboard in headless Chromium through every view and screenshots each one.
// Usage: node dashboard.mjs BASE_URL OUT_DIR TOKEN SESSION_ID JOB_ID
import { chromium } from "playwright-core";

const [base, outDir, token, sessionId, jobId] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const result = { errors: [] };
const text = (page, sel) => page.textContent(sel);
const until = (page, fn, arg, timeout = 15000) => page.waitForFunction(fn, arg, { timeout });
let step = "start";
let page;
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => result.errors.push(String(e)));
  const shot = (name) => page.screenshot({ path: `${outDir}/dashboard-${name}.png`, fullPage: true });

  step = "no token";
  await page.goto(base + "/#run", { waitUntil: "load" });
  await until(page, () => document.getElementById("runs").textContent.includes("needs a token"));
  result.banner = await page.isVisible("#authbanner") ? await text(page, "#authbanner") : "";
  await shot("needs-token");

  step = "token";
  await page.fill("#token", token);
  await page.dispatchEvent("#token", "change");
  await until(page, () => document.getElementById("engine").textContent.startsWith("engine: Docker"));
  await until(page, () => document.querySelectorAll("#language option").length > 1);
  result.engine = await text(page, "#engine");
  result.bannerAfterToken = await page.isVisible("#authbanner");

  step = "run";
  await page.selectOption("#language", "python");
  await page.check("#out");
  await page.fill("#code", "import sys, os\nprint('dash', 6 * 7)\nprint('warn', file=sys.stderr)\nos.makedirs('out', exist_ok=True)\nopen('out/report.txt', 'w').write('abc')\nsys.exit(3)");
  await page.click("#run");
  await until(page, () => /exit/.test(document.getElementById("runstatus").textContent), null, 30000);
  result.run = {
    status: await text(page, "#runstatus"), stdout: await text(page, "#stdout"), stderr: await text(page, "#stderr"),
    stderrColor: await page.$eval("#stderr", (e) => getComputedStyle(e).color), stdoutColor: await page.$eval("#stdout", (e) => getComputedStyle(e).color),
    artifacts: await text(page, "#artifacts"), download: await page.$eval("#artifacts a", (a) => a.getAttribute("href")).catch(() => ""),
  };
  await until(page, () => document.querySelectorAll("#runs tr").length > 1);
  await shot("run");

  step = "cancel";
  await page.uncheck("#out");
  await page.fill("#code", "import time\nfor i in range(600):\n    print('tick', i, flush=True)\n    time.sleep(0.1)");
  await page.click("#run");
  await until(page, () => document.getElementById("stdout").textContent.includes("tick 3"), null, 30000);
  await page.click("#cancel");
  await until(page, () => /exit|error|fail/.test(document.getElementById("runstatus").textContent), null, 30000);
  result.cancel = { status: await text(page, "#runstatus"), stdout: await text(page, "#stdout") };
  await shot("cancelled");

  step = "sessions";
  await page.goto(base + "/#sessions");
  await until(page, (id) => document.getElementById("sessions").textContent.includes(id), sessionId);
  await page.click(`#sessions tr[data-id="${sessionId}"]`);
  await until(page, () => document.getElementById("sfiles").textContent.includes("notes/data.txt"));
  result.session = { info: await text(page, "#sinfo"), files: await text(page, "#sfiles"), services: await text(page, "#sservices") };
  await page.fill("#sttl", "45");
  await page.click("#sextend");
  await until(page, () => /TTL left 4[45]m/.test(document.getElementById("sinfo").textContent));
  result.session.extended = await text(page, "#sinfo");
  await shot("session");
  await page.click("#sdelete");
  await until(page, (id) => !document.getElementById("sessions").textContent.includes(id), sessionId);
  result.session.deleted = true;

  step = "jobs";
  await page.goto(base + "/#jobs");
  await until(page, (id) => document.getElementById("jobs").textContent.includes(id), jobId);
  await page.click(`#jobs tr[data-id="${jobId}"]`);
  await until(page, () => document.getElementById("jfailures").textContent.includes("test_bad"));
  result.job = { row: await text(page, `#jobs tr[data-id="${jobId}"]`), info: await text(page, "#jinfo"), failures: await text(page, "#jfailures") };
  await shot("jobs");

  step = "prices";
  await page.goto(base + "/#prices");
  await until(page, () => document.querySelectorAll("#pricing tr").length > 2);
  result.prices = { all: await page.$$eval("#pricing tr", (r) => r.length - 1), age: await text(page, "#page") };
  await page.fill("#pgpu", "A100");
  await page.click("#pfilter");
  await until(page, () => [...document.querySelectorAll("#pricing tr")].slice(1).every((r) => r.textContent.includes("A100")));
  result.prices.filtered = await page.$$eval("#pricing tr", (r) => r.length - 1);
  await until(page, () => document.querySelectorAll("#historychart polyline").length > 0);
  result.prices.chart = await page.$$eval("#historychart polyline", (ls) => ls.map((l) => [l.dataset.provider, l.getAttribute("points").split(" ").length]));
  await shot("prices");
} catch (e) {
  result.failed = `${step}: ${e.message.split("\n")[0]}`;
  // what the page showed when the step gave up
  const seen = () => ["runstatus", "stdout", "stderr"].map((id) => `${id}=${(document.getElementById(id) || {}).textContent || ""}`.slice(-300));
  result.seen = page ? await page.evaluate(seen).catch(() => []) : [];
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
