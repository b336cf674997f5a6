// Validates real answers of a running orch server against the OpenAPI document's schemas (ajv),
// as an openapi-fetch middleware, and records which operations answered.
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Middleware } from "openapi-fetch";

type Json = any;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const base = "https://orch.invalid/schemas/";

// Objects list every field the server sends: a schema with properties and no additionalProperties is closed,
// so an undocumented field fails here. $refs to components become ids ajv knows.
function prepare(node: Json): Json {
  if (Array.isArray(node)) return node.map(prepare);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string") out[k] = base + v.split("/").pop();
    else if (k === "example" || k === "format" && v === "binary") continue;
    else out[k] = prepare(v);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

export interface Checked { operation: string; status: number; type: string }

export class Checker {
  readonly doc: Json;
  readonly checked: Checked[] = [];
  readonly errors: string[] = [];
  private ajv: Ajv;
  private cache = new Map<string, ValidateFunction>();

  constructor(docPath: string) {
    this.doc = JSON.parse(readFileSync(docPath, "utf8"));
    this.ajv = new Ajv({ allErrors: true, strictTypes: false });
    addFormats(this.ajv);
    for (const [name, schema] of Object.entries(this.doc.components.schemas)) this.ajv.addSchema(prepare(schema), base + name);
  }

  operations(): string[] {
    const ops: string[] = [];
    for (const [path, item] of Object.entries<Json>(this.doc.paths))
      for (const method of Object.keys(item)) if (method !== "parameters") ops.push(`${method.toUpperCase()} ${path}`);
    return ops;
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = this.ajv.compile(prepare(schema))));
    return v;
  }

  // Checks one answer; the body is read from a clone so the caller still gets it.
  async check(method: string, path: string, res: Response): Promise<void> {
    const operation = `${method} ${path}`;
    const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const fail = (why: string) => void this.errors.push(`${operation} -> ${res.status} ${type}: ${why}`);
    this.checked.push({ operation, status: res.status, type });
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    if (!op) return fail("not in the document");
    let answer = op.responses[String(res.status)];
    if (answer?.$ref) answer = this.doc.components.responses[answer.$ref.split("/").pop()];
    if (!answer) return fail("status not documented");
    if (!answer.content) {
      if ((await res.clone().arrayBuffer()).byteLength) fail("documented without a body, but has one");
      return;
    }
    const media = answer.content[type];
    if (!media) return fail(`content type not documented (documented: ${Object.keys(answer.content).join(", ")})`);
    const text = await res.clone().text();
    const key = `${operation} ${res.status} ${type}`;
    if (type === "application/json") return this.validate(key, media.schema, JSON.parse(text), fail);
    if (type === "text/event-stream") {
      // The result event carries what the JSON answer would.
      const result = /event: result\ndata: (.*)\n/.exec(text);
      if (!result) return fail("no result event in the stream");
      return this.validate(`${key} result`, answer.content["application/json"].schema, JSON.parse(result[1] ?? ""), fail);
    }
    if (media.schema?.type !== "string") fail("a non-JSON body must be documented as a string");
  }

  private validate(key: string, schema: Json, value: Json, fail: (why: string) => void) {
    const v = this.validator(key, schema);
    if (!v(value)) fail(this.ajv.errorsText(v.errors, { separator: "; " }) + ` in ${JSON.stringify(value).slice(0, 400)}`);
  }

  middleware(): Middleware {
    return { onResponse: async ({ request, response, schemaPath }) => this.check(request.method, schemaPath, response) };
  }

  // Every documented operation must have been answered with a documented success at least once.
  missing(): string[] {
    const ok = new Set(this.checked.filter((c) => c.status < 300).map((c) => c.operation));
    return this.operations().filter((op) => !ok.has(op));
  }
}
