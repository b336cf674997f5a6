// E2B's official SDK, unchanged, against your own orch server (README, "Using the E2B SDKs").
//
//   npm install @e2b/code-interpreter
//   orch serve --session-pool code-interpreter-v1=1 &
//   node examples/e2b-sdk.mjs        (ORCH_URL=http://HOST:PORT, ORCH_TOKEN=... for a server with --tokens)
//
// The SDK finds the server through E2B_API_URL and E2B_SANDBOX_URL; this script points them at orch
// unless they are set already.
import { Sandbox } from '@e2b/code-interpreter'

const orch = process.env.ORCH_URL ?? 'http://127.0.0.1:8420'
process.env.E2B_API_URL ??= `${orch}/e2b`
process.env.E2B_SANDBOX_URL ??= `${orch}/e2b`
process.env.E2B_API_KEY ??= process.env.ORCH_TOKEN ?? 'any' // any key does when the server has no --tokens

const sbx = await Sandbox.create('code-interpreter-v1', { timeoutMs: 120_000, metadata: { example: 'e2b-sdk' } })
try {
  console.log('sandbox', sbx.sandboxId)

  // Code contexts keep state, as a notebook does; the last expression is the cell's result.
  await sbx.runCode('import pandas as pd\ndf = pd.DataFrame({"city": ["Oslo", "Lima"], "temp": [4, 19]})')
  const cell = await sbx.runCode('df.temp.mean()')
  console.log('mean temperature:', cell.results[0].text)

  // A figure comes back as a PNG, base64-encoded.
  const plot = await sbx.runCode('import matplotlib.pyplot as plt\nplt.bar(df.city, df.temp)\nplt.show()')
  console.log('chart:', plot.results[0].png ? `png, ${plot.results[0].png.length} base64 characters` : 'none')

  // An error is data, not an exception.
  const bad = await sbx.runCode('1 / 0')
  console.log('error:', bad.error.name, '-', bad.error.value)

  // Files and commands.
  await sbx.files.write('/home/user/notes.txt', 'first line\nsecond line\n')
  const wc = await sbx.commands.run('wc -l /home/user/notes.txt')
  console.log('wc says:', wc.stdout.trim())
  const listed = await sbx.files.list('/home/user')
  console.log('files:', listed.map((f) => f.name).filter((n) => !n.startsWith('.')).join(', '))
} finally {
  await sbx.kill()
}
