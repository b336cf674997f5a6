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

const made = []
const create = await timed(async () => made.push(await Sandbox.create('code-interpreter-v1', { timeoutMs: 300_000 })), Math.min(n, 8), 1)
const sbx = made[0]
const run = await timed(() => sbx.commands.run('true'), n * 3, 5)
const code = await timed(() => sbx.runCode('1'), n * 3, 5)
for (const s of made) await s.kill()
console.log(JSON.stringify({ create, run, code }))
