// The routes of the systems orch replaces, and what they stand on in /v1, called by the typed
// client (api_client.ts runs these too, so every answer is checked against the document).
// The server runs with an admin token and --allow-image 'orch/*'.
import type { Client } from "openapi-fetch";
import type { paths } from "./generated/orch-api.js";

type Api = Client<paths>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function checkSeedRoutes(client: Api, anonymous: Api, expect: (cond: unknown, what: string) => void) {
  // Runs by id.
  const started = await client.POST("/v1/run", { body: { language: "bash", code: "echo async; sleep 60", async: true } });
  const runId = started.response.status === 202 && typeof started.data === "object" && started.data && "state" in started.data ? started.data.run_id : "missing";
  expect(runId !== "missing", "async run: 202 with a record");
  const run = { params: { path: { id: runId } } };
  for (let i = 0; i < 50; i++) {
    const logs = (await client.GET("/v1/runs/{id}/logs", run)).data;
    if (typeof logs === "object" && logs.stdout.includes("async")) break;
    await sleep(200);
  }
  expect((await client.GET("/v1/runs/{id}", run)).data?.state === "running", "async run: running");
  expect((await client.GET("/v1/stats")).data?.sandboxes.some((s) => s.id === runId), "stats: the running run");
  expect((await client.DELETE("/v1/runs/{id}", run)).response.status === 204, "async run: cancelled");
  expect((await client.GET("/v1/runs/{id}", run)).data?.result?.status === "killed", "async run: ended killed");

  // Session services and use.
  const made = await client.POST("/v1/sessions", { body: { template: "python", ttl: 120, network: "private" } });
  const sid = made.data?.id ?? "missing";
  const session = { params: { path: { id: sid } } };
  const svc = await client.POST("/v1/sessions/{id}/services", {
    ...session, body: { image: "orch/python:latest", name: "web_cache", port: 8080, health: "/", cmd: ["python3", "-m", "http.server", "8080"] },
  });
  expect(svc.data?.name === "web-cache" && svc.data.requested_name === "web_cache", "service: name mapped and said");
  expect((await client.GET("/v1/sessions/{id}/services", session)).data?.services.length === 1, "services: listed");
  expect((await client.GET("/v1/sessions/{id}/stats", session)).data?.sandboxes.length === 2, "session stats: it and its service");
  const gone = await client.DELETE("/v1/sessions/{id}/services/{name}", { params: { path: { id: sid, name: "web_cache" } } });
  expect(gone.response.status === 204, "service: removed");
  await client.DELETE("/v1/sessions/{id}", session);

  // The executor-style API.
  const ex = await client.POST("/execute", { body: { tenant_id: "alice", scope: "user:1", code: "print('hi')", template: "default" } });
  expect(ex.data?.status === "success" && ex.data.stdout === "hi\n" && ex.data.scope === "user:1", "execute: executor fields");
  expect((await client.POST("/execute", { body: { tenant_id: "bob", scope: "x", code: "1" } })).error?.error.code === "forbidden", "execute: another tenant");
  expect((await client.GET("/templates")).data?.templates.some((t) => t.name === "default"), "templates: default");
  const es = await client.POST("/session/create", { body: { tenant_id: "alice", scope: "user:1", template: "default", ttl: 120 } });
  const esid = es.data?.session_id ?? "missing";
  expect((await client.POST("/session/execute", { body: { session_id: esid, code: "print(6 * 7)" } })).data?.stdout === "42\n", "session/execute");
  expect((await client.GET("/metrics", { headers: { Accept: "application/json" } })).data, "metrics as JSON");
  expect((await client.POST("/session/destroy", { body: { session_id: esid } })).data?.status === "success", "session/destroy");

  // The aurea-style API.
  const ro = await client.POST("/run", { body: { language: "python", code: "open('w', 'w')", readonly: true } });
  expect(ro.data?.success === false && ro.data.stderr.includes("PermissionError"), "run: read-only workspace");
  const cap = await client.POST("/run", { body: { language: "bash", code: "echo made > new.txt", capture_artifacts: true } });
  expect(cap.data?.artifacts["new.txt"] === "made\n", "run: captured artifacts");
  expect((await anonymous.GET("/docs", { parseAs: "text" })).data?.includes("/openapi.json"), "docs page");
  expect((await anonymous.GET("/redoc", { parseAs: "text" })).data?.includes("/openapi.json"), "redoc page");
  expect((await anonymous.GET("/", { headers: { Accept: "application/json" } })).data, "status as JSON");
  const build = await client.POST("/build-image", { body: { template: "minimal" } });
  let job = typeof build.data === "object" && "id" in build.data ? build.data : undefined;
  for (let i = 0; i < 600 && job?.status === "running"; i++) {
    await sleep(500);
    job = (await client.GET("/v1/jobs/{id}", { params: { path: { id: job.id } } })).data;
  }
  expect(job?.status === "done", "build-image: job done");

  // The container-orchestrator-style API.
  const tool = await client.POST("/containers/tool/execute", { body: { tool_name: "echo", image: "orch/minimal:latest", parameters: { file: "a.pdf" } } });
  const toolId = tool.data?.execution_id ?? "missing";
  expect(tool.data?.status === "completed", "tool: completed");
  expect((await client.GET("/containers/tool/{id}", { params: { path: { id: toolId } } })).data?.execution_id === toolId, "tool: by id");
  expect((await client.GET("/containers/tool/{id}/logs", { params: { path: { id: toolId } } })).data?.execution_id === toolId, "tool: logs");
  const slow = await client.POST("/containers/tool/execute", {
    body: { tool_name: "slow", session_id: "openapi-relics", image: "orch/minimal:latest", command: ["sleep", "60"], async: true },
  });
  const slowId = slow.data?.execution_id ?? "missing";
  expect((await client.POST("/containers/tool/{id}/cancel", { params: { path: { id: slowId } } })).data?.status === "cancelled", "tool: cancelled");
  const relic = await client.POST("/containers/relic/start", {
    body: { relic_name: "cache", session_id: "openapi-relics", image: "orch/python:latest", command: ["python3", "-m", "http.server", "8000"],
            health_check_endpoint: "/", health_check_timeout_seconds: 30 },
  });
  const relicId = relic.data?.relic_id ?? "missing";
  const rel = { params: { path: { id: relicId } } };
  expect(relic.data?.internal_url === "http://cache:8000", "relic: started");
  expect((await client.GET("/containers/relic/{id}", rel)).data?.relic_id === relicId, "relic: by id");
  expect((await client.GET("/containers/relic", { params: { query: { session_id: "openapi-relics" } } })).data?.count === 1, "relics: by session");
  expect((await client.GET("/containers/stats")).data?.count, "container stats");
  expect((await client.GET("/containers/stats/{id}", rel)).data?.kind === "service", "relic stats");
  expect((await client.DELETE("/containers/relic/{id}", rel)).data?.deleted, "relic: deleted");
  // A stopped relic is removed as it ends, so stop gets a relic of its own.
  const other = await client.POST("/containers/relic/start", {
    body: { relic_name: "cache2", session_id: "openapi-relics", image: "orch/python:latest", command: ["python3", "-m", "http.server", "8000"] },
  });
  const stopped = await client.POST("/containers/relic/{id}/stop", { params: { path: { id: other.data?.relic_id ?? "missing" } } });
  expect(stopped.data?.status === "stopped", "relic: stopped");
  const cleaned = await client.POST("/containers/cleanup/session", { body: { session_id: "openapi-relics", force: true } });
  expect((cleaned.data?.containers_removed ?? 0) >= 1, "cleanup: the session");
  expect((await client.POST("/containers/cleanup/all-networks")).data?.status === "success", "cleanup: networks");

  // Packages: a template registered over HTTP.
  const tmpl = await client.POST("/v1/templates", { body: { name: "openapi-pad", base: "node", packages: ["npm:left-pad"] } });
  expect(typeof tmpl.data === "object" && tmpl.data.image === "orch/openapi-pad:latest", "template registered");
}
