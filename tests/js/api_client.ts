// A typed client (openapi-typescript + openapi-fetch) that calls every route of a running orch server;
// tsc checks it against the document, and every answer is validated against the document's schemas.
// Usage: node out/api_client.js BASE_URL OPENAPI_JSON TOKEN GIT_URL
import createClient from "openapi-fetch";
import type { paths } from "./generated/orch-api.js";
import { Checker } from "./check.js";
import { checkSeedRoutes } from "./seed_routes.js";

const [baseUrl = "", docPath = "", token = "", gitUrl = ""] = process.argv.slice(2);
const checker = new Checker(docPath);
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
client.use(checker.middleware());
const anonymous = createClient<paths>({ baseUrl });
anonymous.use(checker.middleware());
const problems: string[] = [];
function expect(cond: unknown, what: string) {
  if (!cond) problems.push(what);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Routes that can also answer with a stream or raw bytes type their data as a union with string.
function json<T>(data: T | string | undefined): T | undefined {
  return typeof data === "string" ? undefined : data;
}

const health = await anonymous.GET("/health");
expect(health.data?.engine.reachable, "health: engine not reachable");
expect(health.data?.auth === true, "health: the test server runs with tokens");
expect((await anonymous.GET("/openapi.json")).data, "openapi.json");
expect((await anonymous.GET("/", { parseAs: "text" })).data?.includes("<html"), "dashboard");
expect((await anonymous.GET("/v1/sessions")).error?.error.code === "unauthorized", "401 without a token");
expect((await client.GET("/metrics", { parseAs: "text" })).data?.includes("orch_build_info"), "metrics");
const templates = await client.GET("/v1/templates");
expect(templates.data?.templates.some((t) => t.name === "python" && t.languages["python"]?.file), "templates: python");
const runtimes = await client.GET("/api/v2/runtimes");
expect(runtimes.data?.some((r) => r.language === "python"), "piston runtimes");
const prices = await client.GET("/v1/pricing", { params: { query: { gpu: "A100", limit: "3" } } });
expect((prices.data?.offers.length ?? 0) > 0 && prices.data?.offers[0]?.gpu_model.startsWith("A100"), "pricing: A100 offers");
const history = await client.GET("/v1/pricing/history", { params: { query: { gpu: "A100" } } });
expect(history.data?.series.length, "pricing history");

const code = "import os, sys\nprint('out')\nprint('err', file=sys.stderr)\nos.makedirs('out', exist_ok=True)\nopen('out/a.txt', 'w').write('hi')\n";
const ran = json((await client.POST("/v1/run", { body: { language: "python", code, out: true } })).data);
const run = { data: ran && "stdout" in ran ? ran : undefined };  // 200 a result; 202 (async) a record
expect(run.data?.stdout === "out\n" && run.data.stderr === "err\n" && run.data.exit_code === 0, "run: output");
expect(run.data?.artifacts[0]?.path === "a.txt" && run.data.artifacts[0].size === 2, "run: artifact");
const stream = await client.POST("/v1/run", { body: { language: "python", code: "print(1)" }, headers: { Accept: "text/event-stream" }, parseAs: "text" });
expect(String(stream.data).includes("event: result"), "run: event stream");
expect((await client.POST("/v1/run", { body: { language: "nosuch", code: "x" } })).error?.error.code, "run: unknown language");
expect((await client.POST("/v1/run", { body: { language: "python", code: "x", timeout: 1e9 } })).response.status === 400, "run: cap");
// Cancel: the stream is read by hand, since the checker would wait for the whole stream first.
const long = await fetch(baseUrl + "/v1/run", { method: "POST", headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
  body: JSON.stringify({ language: "python", code: "import time\nprint('up', flush=True)\ntime.sleep(60)" }) });
let events = "";
const reader = long.body!.getReader();
while (!events.includes("event: stdout")) {
  const chunk = await reader.read();
  if (chunk.done) break;
  events += new TextDecoder().decode(chunk.value);
}
const runId = /"run_id":"([^"]+)"/.exec(events)?.[1] ?? "missing";
expect((await client.DELETE("/v1/runs/{id}", { params: { path: { id: runId } } })).response.status === 204, "cancel: 204");
for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) events += new TextDecoder().decode(chunk.value);
expect(events.includes('"status":"killed"'), "cancel: the run ended killed");
expect((await client.DELETE("/v1/runs/{id}", { params: { path: { id: runId } } })).error?.error.code === "not_found", "cancel: 404 once ended");
expect((await client.POST("/execute", { body: { language: "python", code: "print(2)" } })).data?.success, "execute");
expect((await client.POST("/run", { body: { language: "python", code: "print(3)" } })).data?.stdout === "3\n", "compat run");
const piston = await client.POST("/api/v2/execute", { body: { language: "python", version: "*", files: [{ content: "print(4)" }] } });
expect(piston.data?.run.stdout === "4\n" && piston.data.run.code === 0, "piston execute");
const refused = (await client.POST("/api/v2/execute", { body: { language: "nosuch", files: [{ content: "" }] } })).error;
expect(refused && "message" in refused && refused.message.includes("nosuch"), "piston error");
const recent = await client.GET("/v1/runs");
expect((recent.data?.runs.length ?? 0) >= 3, "recent runs");

const created = await client.POST("/v1/sessions", { body: { template: "python", ttl: 120, name: "openapi-check" } });
const id = created.data?.id ?? "missing";
expect(created.data?.owner === "alice" && created.data.expires_in > 0, "session: create");
const path = { params: { path: { id } } };
expect((await client.GET("/v1/sessions/{id}", path)).data?.id === id, "session: get");
expect((await client.GET("/v1/sessions")).data?.sessions.some((s) => s.id === id), "session: list");
const put = await client.PUT("/v1/sessions/{id}/files", {
  params: { path: { id }, query: { path: "data/x.txt" } }, body: "hello" as unknown as string, bodySerializer: (b: unknown) => b as string,
  headers: { "Content-Type": "application/octet-stream" },
});
expect(put.data?.size === 5, "session: upload");
const listing = { data: json((await client.GET("/v1/sessions/{id}/files", { params: { path: { id }, query: { recursive: "1" } } })).data) };
expect(listing.data?.files.some((f) => f.path === "data/x.txt" && f.type === "file"), "session: listing");
const file = await client.GET("/v1/sessions/{id}/files", { params: { path: { id }, query: { path: "data/x.txt" } }, parseAs: "text" });
expect(file.data === "hello", "session: download");
const raised = { data: json((await client.POST("/v1/sessions/{id}/exec", { ...path, body: { code: "x = 41\n1/0" } })).data) };
expect(raised.data?.error?.name === "ZeroDivisionError", "session: exec error");
const fine = { data: json((await client.POST("/v1/sessions/{id}/exec", { ...path, body: { code: "print(x + 1)" } })).data) };
expect(fine.data?.stdout === "42\n" && fine.data.error === null, "session: state kept, error null");
const streamed = await client.POST("/v1/sessions/{id}/exec", { ...path, body: { code: "print(1)" }, headers: { Accept: "text/event-stream" }, parseAs: "text" });
expect(String(streamed.data).includes("event: result"), "session: exec stream");
expect(((await client.POST("/v1/sessions/{id}/extend", { ...path, body: { ttl: 600 } })).data?.expires_in ?? 0) > 300, "session: extend");
expect((await client.DELETE("/v1/sessions/{id}", path)).response.status === 204, "session: delete");
expect((await client.GET("/v1/sessions/{id}", path)).error?.error.code === "not_found", "session: gone");

const job = await client.POST("/v1/repo/test", { body: { source: gitUrl } });
let state = job.data;
for (let i = 0; i < 240 && state?.status === "running"; i++) {
  await sleep(500);
  state = (await client.GET("/v1/jobs/{id}", { params: { path: { id: state.id } } })).data;
}
expect(state?.status === "done" && state.report !== undefined && "counts" in state.report && state.report.counts.passed === 1 && state.report.failures.length === 1, "repo job report");
expect((await client.GET("/v1/jobs")).data?.jobs.some((j) => j.id === job.data?.id && j.status === "done"), "jobs: list");
expect((await client.GET("/v1/jobs/{id}", { params: { path: { id: "j-none" } } })).response.status === 404, "job 404");
expect((await client.POST("/v1/repo/test", { body: { source: "/local/path" } })).response.status === 400, "repo: local path");

await checkSeedRoutes(client, anonymous, expect);

console.log(JSON.stringify({ checked: checker.checked.length, missing: checker.missing(), errors: checker.errors, problems }, null, 1));
process.exit(checker.errors.length || problems.length || checker.missing().length ? 1 : 0);
