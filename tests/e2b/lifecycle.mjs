// Lifecycle and the control plane's security: create options, getInfo, setTimeout, list filters,
// connect, kill, tenants, keys and access tokens.
import { Sandbox, AuthenticationError, SandboxNotFoundError, NotFoundError } from 'e2b'
import { assert, base, keyB, check, rejection, done, sleep } from './lib.mjs'

const meta = { suite: `lifecycle-${process.pid}` }
const sbx = await Sandbox.create('base', { timeoutMs: 120_000, envs: { ORCH_E2B: 'yes' }, metadata: meta, allowInternetAccess: false })

await check('create returns a running sandbox with the template and envs', async () => {
  assert.match(sbx.sandboxId, /^s-[0-9a-f]{12}$/)
  assert.equal(await sbx.isRunning(), true)
  const r = await sbx.commands.run('echo $ORCH_E2B; pwd; id -u; echo $HOME')
  assert.equal(r.stdout, 'yes\n/home/user\n1000\n/home/user\n')
})

await check('getInfo reports template, metadata and the timeout as endAt', async () => {
  const info = await sbx.getInfo()
  assert.equal(info.sandboxId, sbx.sandboxId)
  assert.equal(info.templateId, 'base')
  assert.deepEqual(info.metadata, meta)
  assert.equal(info.state, 'running')
  const left = (info.endAt - Date.now()) / 1000
  assert.ok(left > 100 && left <= 121, `endAt is ${left}s away`)
})

await check('setTimeout moves the end (and may shorten it)', async () => {
  await sbx.setTimeout(30_000)
  const left = ((await sbx.getInfo()).endAt - Date.now()) / 1000
  assert.ok(left > 20 && left <= 31, `endAt is ${left}s away`)
  await sbx.setTimeout(120_000)
})

await check('list filters by metadata and state', async () => {
  const page = await Sandbox.list({ query: { metadata: meta, state: ['running'] } }).nextItems()
  assert.deepEqual(page.map((s) => s.sandboxId), [sbx.sandboxId])
  assert.equal((await Sandbox.list({ query: { metadata: { suite: 'no-such' } } }).nextItems()).length, 0)
  assert.equal((await Sandbox.list({ query: { metadata: meta, state: ['paused'] } }).nextItems()).length, 0)
})

await check('list pages with nextToken, and matches metadata values with any characters', async () => {
  const tag = { suite: `pages-${process.pid}`, owner: 'a@b.com x&y=z+%/ü' }
  const more = [await Sandbox.create('base', { timeoutMs: 60_000, metadata: tag }), await Sandbox.create('base', { timeoutMs: 60_000, metadata: tag })]
  try {
    const made = [...more.map((s) => s.sandboxId)]
    more.push(await Sandbox.create('base', { timeoutMs: 60_000, metadata: tag }))
    made.push(more[2].sandboxId)
    const pages = Sandbox.list({ query: { metadata: tag }, limit: 2 })
    const seen = []
    while (pages.hasNext) seen.push((await pages.nextItems()).map((s) => s.sandboxId))
    assert.deepEqual(seen.map((p) => p.length), [2, 1])
    assert.deepEqual(seen.flat().sort(), made.sort())
    assert.equal((await Sandbox.list({ query: { metadata: { owner: 'a@b.com' } } }).nextItems()).length, 0)
  } finally {
    for (const s of more) await s.kill()
  }
})

await check('connect by id runs commands in the same sandbox', async () => {
  await sbx.files.write('/home/user/mark', 'here')
  const again = await Sandbox.connect(sbx.sandboxId)
  assert.equal((await again.commands.run('cat /home/user/mark')).stdout, 'here')
})

await check('orch template names work too', async () => {
  const b = await Sandbox.create('bash', { timeoutMs: 60_000 })
  try {
    assert.match((await b.commands.run('jq --version')).stdout, /jq-/)
    assert.equal((await b.getInfo()).templateId, 'bash')
  } finally {
    await b.kill()
  }
})

await check('an unknown template is refused', async () => {
  const e = await rejection(Sandbox.create('no-such-template', { timeoutMs: 10_000 }))
  assert.match(String(e.message), /not found/)
})

await check('a wrong API key is refused', async () => {
  const e = await rejection(Sandbox.list({ apiKey: 'e2b_00112233445566778899' }).nextItems())
  assert.ok(e instanceof AuthenticationError, e.constructor.name)
})

await check('another tenant sees nothing of the sandbox', async () => {
  const opts = { apiKey: keyB }
  assert.equal((await Sandbox.list({ ...opts, query: { metadata: meta } }).nextItems()).length, 0)
  const info = await rejection(Sandbox.getInfo(sbx.sandboxId, opts))
  assert.ok(info instanceof SandboxNotFoundError || info instanceof NotFoundError, info.constructor.name)
  const e = await rejection(Sandbox.connect(sbx.sandboxId, opts))
  assert.ok(e instanceof SandboxNotFoundError || e instanceof NotFoundError, e.constructor.name)
  assert.equal(await Sandbox.kill(sbx.sandboxId, opts), false)
  assert.equal(await sbx.isRunning(), true)
})

await check('the sandbox plane needs the access token', async () => {
  const headers = { 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49983', 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' }
  const without = await fetch(`${base}/filesystem.Filesystem/Stat`, { method: 'POST', headers, body: '{"path":"/home/user"}' })
  assert.equal(without.status, 401)
  const wrong = await fetch(`${base}/filesystem.Filesystem/Stat`, { method: 'POST', headers: { ...headers, 'X-Access-Token': 'x'.repeat(64) }, body: '{"path":"/home/user"}' })
  assert.equal(wrong.status, 401)
  const right = await fetch(`${base}/filesystem.Filesystem/Stat`, { method: 'POST', headers: { ...headers, 'X-Access-Token': sbx.envdAccessToken }, body: '{"path":"/home/user"}' })
  assert.equal(right.status, 200)
  const download = await fetch(`${base}/files?path=%2Fhome%2Fuser%2Fmark`, { headers: { 'E2b-Sandbox-Id': sbx.sandboxId } })
  assert.equal(download.status, 401)
  // No sandbox named at all is the caller's mistake (400), not a gone sandbox (502)
  const { 'E2b-Sandbox-Id': _, ...unnamed } = { ...headers, 'X-Access-Token': sbx.envdAccessToken }
  const rpc = await fetch(`${base}/filesystem.Filesystem/Stat`, { method: 'POST', headers: unnamed, body: '{"path":"/home/user"}' })
  assert.equal(rpc.status, 400)
  assert.match((await rpc.json()).message, /E2b-Sandbox-Id/)
  const rest = await fetch(`${base}/files?path=%2Fhome%2Fuser%2Fmark`, { headers: { 'X-Access-Token': sbx.envdAccessToken } })
  assert.equal(rest.status, 400)
})

await check('an expired sandbox is gone, with nothing left', async () => {
  const short = await Sandbox.create('base', { timeoutMs: 2_000 })
  await sleep(5_000)
  assert.equal(await short.isRunning(), false)
  assert.equal(await Sandbox.kill(short.sandboxId), false)
  const e = await rejection(short.commands.run('true'))
  assert.ok(!(e instanceof assert.AssertionError), String(e))
})

await check('kill returns true, then false for a gone sandbox', async () => {
  const k = await Sandbox.create('base', { timeoutMs: 60_000 })
  assert.equal(await Sandbox.kill(k.sandboxId), true)
  assert.equal(await Sandbox.kill(k.sandboxId), false)
  assert.equal(await k.isRunning(), false)
})

await check('pause answers 501 (not supported)', async () => {
  const r = await fetch(`${base}/sandboxes/${sbx.sandboxId}/pause`, { method: 'POST', headers: { 'X-API-KEY': process.env.E2B_API_KEY } })
  assert.equal(r.status, 501)
  assert.equal((await r.json()).code, 501)
})

console.log(`SANDBOX ${sbx.sandboxId}`)
await done(sbx)
