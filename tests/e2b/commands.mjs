// commands: foreground with streamed output, exit codes, cwd/envs/user, deadlines that kill the
// whole process group, background processes with list, kill, stdin and re-attach.
import { Sandbox, CommandExitError, TimeoutError, AuthenticationError } from 'e2b'
import { assert, check, rejection, done, sleep } from './lib.mjs'

const sbx = await Sandbox.create('base', { timeoutMs: 180_000 })

await check('run streams stdout and stderr as they come', async () => {
  const seen = []
  const t0 = Date.now()
  const r = await sbx.commands.run('echo one; sleep 0.5; echo two >&2; sleep 0.5; echo three', {
    onStdout: (d) => seen.push(['out', d, Date.now() - t0]),
    onStderr: (d) => seen.push(['err', d, Date.now() - t0]),
  })
  assert.equal(r.exitCode, 0)
  assert.equal(r.stdout, 'one\nthree\n')
  assert.equal(r.stderr, 'two\n')
  assert.deepEqual(seen.map((s) => s[1]), ['one\n', 'two\n', 'three\n'])
  assert.ok(seen[0][2] < seen[2][2] - 700, `first output at ${seen[0][2]} ms, last at ${seen[2][2]} ms: not streamed`)
})

await check('a non-zero exit is CommandExitError with the output', async () => {
  const e = await rejection(sbx.commands.run('echo partial; echo bad >&2; exit 3'))
  assert.ok(e instanceof CommandExitError, e.constructor.name)
  assert.equal(e.exitCode, 3)
  assert.equal(e.stdout, 'partial\n')
  assert.equal(e.stderr, 'bad\n')
})

await check('cwd and envs reach the command', async () => {
  const r = await sbx.commands.run('pwd; echo $A-$B', { cwd: '/tmp', envs: { A: '1', B: 'two words' } })
  assert.equal(r.stdout, '/tmp\n1-two words\n')
})

await check("user 'user' runs as uid 1000; 'root' is refused with a clear error", async () => {
  assert.equal((await sbx.commands.run('id -u', { user: 'user' })).stdout, '1000\n')
  assert.equal((await sbx.commands.run('whoami')).stdout, 'user\n')
  const e = await rejection(sbx.commands.run('id -u', { user: 'root' }))
  assert.ok(e instanceof AuthenticationError, e.constructor.name)
  assert.match(e.message, /root is not allowed/)
})

await check('timeoutMs kills the whole process group', async () => {
  const t0 = Date.now()
  const e = await rejection(sbx.commands.run('sleep 300 & sleep 301; echo never', { timeoutMs: 1500 }))
  assert.ok(e instanceof TimeoutError, `${e.constructor.name}: ${e.message}`)
  assert.ok(Date.now() - t0 < 10_000)
  await sleep(500)
  const ps = await sbx.commands.run("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done")
  assert.ok(!ps.stdout.includes('sleep 30'), ps.stdout)
})

await check('background: list, sendStdin, closeStdin, connect by pid, kill', async () => {
  const h = await sbx.commands.run('cat; echo "done $?"', { background: true, stdin: true })
  const listed = await sbx.commands.list()
  const me = listed.find((p) => p.pid === h.pid)
  assert.ok(me, JSON.stringify(listed))
  assert.equal(me.cmd, '/bin/bash')
  await sbx.commands.sendStdin(h.pid, 'hello\n')
  const out = []
  const again = await sbx.commands.connect(h.pid, { onStdout: (d) => out.push(d) })
  await sbx.commands.sendStdin(h.pid, 'world\n')
  await sbx.commands.closeStdin(h.pid)
  const r = await again.wait()
  assert.equal(r.exitCode, 0)
  assert.ok(out.join('').endsWith('world\ndone 0\n'), JSON.stringify(out))
  const first = await h.wait()
  assert.equal(first.stdout, 'hello\nworld\ndone 0\n')

  const sleeper = await sbx.commands.run('sleep 600', { background: true })
  assert.equal(await sleeper.kill(), true)
  const killed = await rejection(sleeper.wait())
  assert.ok(killed instanceof CommandExitError, killed.constructor.name)
  assert.ok(!(await sbx.commands.list()).some((p) => p.pid === sleeper.pid))
  assert.equal(await sbx.commands.kill(999999), false)
  const gone = await rejection(sbx.commands.connect(999999))
  assert.match(gone.constructor.name, /NotFound/)
})

await check('a command outlives its caller leaving', async () => {
  const h = await sbx.commands.run('sleep 1; echo survived > /home/user/bg.txt', { background: true })
  await h.disconnect()
  await sleep(2000)
  assert.equal(await sbx.files.read('/home/user/bg.txt'), 'survived\n')
})

await check('git is there, as in E2B\'s base template (sbx.git)', async () => {
  await sbx.git.init('/home/user/repo', { initialBranch: 'main' })
  await sbx.files.write('/home/user/repo/a.txt', 'a')
  await sbx.git.add('/home/user/repo')
  await sbx.git.commit('/home/user/repo', 'first', { authorName: 'Ada', authorEmail: 'ada@example.com' })
  const log = await sbx.commands.run('git -C /home/user/repo log --format=%an:%s')
  assert.equal(log.stdout, 'Ada:first\n')
})

await check('many small commands in a row', async () => {
  for (let i = 0; i < 20; i++) assert.equal((await sbx.commands.run(`echo ${i}`)).stdout, `${i}\n`)
})

await check('a request field of the wrong type is invalid_argument naming no internals', async () => {
  const headers = { 'Content-Type': 'application/json', 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49983', 'X-Access-Token': sbx.envdAccessToken }
  for (const [route, body] of [
    ['filesystem.Filesystem/ListDir', { path: '/home/user', depth: '2' }],
    ['process.Process/SendSignal', { process: { pid: 'x' }, signal: 'SIGNAL_SIGKILL' }],
    ['process.Process/SendSignal', { process: { pid: 99999999999 }, signal: 'SIGNAL_SIGKILL' }],
    ['process.Process/SendSignal', { process: { tag: 5 } }],
    ['process.Process/SendInput', { process: { tag: 'x' }, input: 5 }],
    ['process.Process/CloseStdin', { process: { pid: 'a' } }],
  ]) {
    const r = await fetch(`${process.env.E2B_SANDBOX_URL}/${route}`, { method: 'POST', headers, body: JSON.stringify(body) })
    const answer = await r.json()
    assert.equal(r.status, 400, `${route} ${JSON.stringify(body)}: ${JSON.stringify(answer)}`)
    assert.equal(answer.code, 'invalid_argument')
    assert.doesNotMatch(answer.message, /json\.exception/)
  }
})

await done(sbx)
