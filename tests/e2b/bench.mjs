// Timings for make bench (bench/bench.py, case e2b): the E2B SDK calls against orch serve's /e2b,
// printed as one JSON object of millisecond lists.
import { Sandbox } from '@e2b/code-interpreter'

const n = Number(process.argv[2] || 20)
async function timed(fn, count, warmup = 3) {
  for (let i = 0; i < warmup; i++) await fn()
  const out = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

// Creates arrive slower than the pool refills (the case a pool is for): each waits, untimed, until
// the server's /health shows a pooled sandbox ready.
const health = process.env.E2B_API_URL.replace(/\/e2b$/, '') + '/health'
async function poolReady() {
  for (let i = 0; i < 600; i++) {
    const pool = (await (await fetch(health)).json()).session_pool ?? {}
    if (Object.values(pool).some((p) => (p.ready ?? 0) >= 1)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the session pool never refilled')
}
const made = []
const create = []
for (let i = 0; i < Math.min(n, 8); i++) {
  await poolReady()
  const t = performance.now()
  made.push(await Sandbox.create('code-interpreter-v1', { timeoutMs: 300_000 }))
  create.push(performance.now() - t)
}
const sbx = made[0]
const run = await timed(() => sbx.commands.run('true'), n * 3, 5)
const code = await timed(() => sbx.runCode('1'), n * 3, 5)
for (const s of made) await s.kill()
console.log(JSON.stringify({ create, run, code }))
