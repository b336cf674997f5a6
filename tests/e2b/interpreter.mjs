// The code interpreter through the session kernels: state, streams, errors, rich results,
// per-execution envs, interrupts on timeout, javascript, and contexts.
import { Sandbox } from '@e2b/code-interpreter'
import { assert, check, rejection, done } from './lib.mjs'

const sbx = await Sandbox.create({ timeoutMs: 240_000 })

await check('state is kept across runCode calls', async () => {
  await sbx.runCode('x = 41')
  const e = await sbx.runCode('x + 1')
  assert.equal(e.text, '42')
  assert.equal(e.results[0].isMainResult, true)
})

await check('stdout and stderr callbacks and logs', async () => {
  const out = [], err = []
  const e = await sbx.runCode('import sys\nprint("hello")\nprint("oops", file=sys.stderr)', { onStdout: (m) => out.push(m.line), onStderr: (m) => err.push(m.line) })
  assert.deepEqual(e.logs.stdout, ['hello\n'])
  assert.deepEqual(e.logs.stderr, ['oops\n'])
  assert.deepEqual(out, ['hello\n'])
  assert.deepEqual(err, ['oops\n'])
})

await check('errors carry name, value and traceback', async () => {
  const e = await sbx.runCode('1/0')
  assert.equal(e.error.name, 'ZeroDivisionError')
  assert.equal(e.error.value, 'division by zero')
  assert.match(e.error.traceback, /ZeroDivisionError/)
})

await check('DataFrame html and matplotlib png', async () => {
  const df = await sbx.runCode('import pandas as pd\npd.DataFrame({"a": [1, 2]})')
  assert.match(df.results[0].html, /<table/)
  assert.match(df.results[0].text, /a/)
  const plot = await sbx.runCode('import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()')
  const png = plot.results.find((r) => r.png)
  assert.ok(png, JSON.stringify(plot.results))
  assert.equal(Buffer.from(png.png, 'base64').subarray(1, 4).toString(), 'PNG')
  assert.equal(png.isMainResult, false)
})

await check('per-execution envs are set for that run only', async () => {
  const e = await sbx.runCode('import os\nos.environ.get("FOO")', { envs: { FOO: 'bar' } })
  assert.equal(e.text, 'bar')
  const after = await sbx.runCode('import os\nprint(os.environ.get("FOO"))')
  assert.deepEqual(after.logs.stdout, ['None\n'])
})

await check('timeoutMs interrupts the code and the kernel keeps its state', async () => {
  await sbx.runCode('kept = "still here"')
  const e = await rejection(sbx.runCode('import time\nwhile True: time.sleep(0.1)', { timeoutMs: 1500 }))
  assert.match(e.constructor.name, /Timeout/)
  const after = await sbx.runCode('kept')
  assert.equal(after.text, 'still here')
})

await check('code contexts: create, run, list, restart, remove', async () => {
  const ctx = await sbx.createCodeContext({ cwd: '/tmp' })
  assert.equal(ctx.cwd, '/tmp')
  assert.equal(ctx.language, 'python')
  await sbx.runCode('y = 5', { context: ctx })
  assert.equal((await sbx.runCode('import os\n(y, os.getcwd())', { context: ctx })).text, "(5, '/tmp')")
  const inDefault = await sbx.runCode('y')
  assert.equal(inDefault.error.name, 'NameError')
  assert.ok((await sbx.listCodeContexts()).some((c) => c.id === ctx.id))
  await sbx.restartCodeContext(ctx)
  assert.equal((await sbx.runCode('y', { context: ctx })).error.name, 'NameError')
  await sbx.removeCodeContext(ctx)
  assert.ok(!(await sbx.listCodeContexts()).some((c) => c.id === ctx.id))
  const gone = await rejection(sbx.runCode('1', { context: ctx }))
  assert.equal(gone.constructor.name, 'NotFoundError')
  const r = await rejection(sbx.runCode('1', { language: 'r' }))
  assert.match(r.message, /400/)
})

await check('commands and files work in a code-interpreter sandbox', async () => {
  await sbx.files.write('/home/user/data.csv', 'a\n1\n2\n')
  assert.equal((await sbx.runCode('import pandas as pd\nint(pd.read_csv("data.csv").a.sum())')).text, '3')
  assert.equal((await sbx.commands.run('wc -l < data.csv')).stdout, '3\n')
})

await check('output is never cut: 3 MB of stdout arrive whole', async () => {
  let streamed = 0
  const e = await sbx.runCode('print("x" * 3_000_000)', { onStdout: (m) => (streamed += m.line.length) })
  assert.equal(e.logs.stdout.join('').length, 3_000_001)
  assert.equal(streamed, 3_000_001)
})

await check('a context in a missing directory is refused as bad input', async () => {
  const err = await rejection(sbx.createCodeContext({ cwd: '/no/such/dir' }))
  assert.match(err.message, /^400/)
  const ok = await sbx.createCodeContext({ cwd: '/tmp' })
  assert.equal((await sbx.runCode('import os; print(os.getcwd())', { context: ok })).logs.stdout.join(''), '/tmp\n')
})

await check("language 'javascript' where the template has node", async () => {
  const js = await Sandbox.create('node', { timeoutMs: 60_000 })
  try {
    await js.runCode('var n = 20', { language: 'javascript' })
    const r = await js.runCode('console.log("from node"); n + 22', { language: 'javascript' })
    assert.equal(r.text, '42')
    assert.deepEqual(r.logs.stdout, ['from node\n'])
    const err = await js.runCode('null.x', { language: 'javascript' })
    assert.equal(err.error.name, 'TypeError')
  } finally {
    await js.kill()
  }
})

await done(sbx)
