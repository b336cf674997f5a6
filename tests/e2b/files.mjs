// files: read/write (text, bytes, empty, 5 MiB, several at once, multipart and octet-stream),
// list, exists, getInfo, makeDir, rename, remove, and the errors as the SDK's classes.
import { Sandbox, FileNotFoundError, NotFoundError, InvalidArgumentError, SandboxError } from 'e2b'
import { assert, check, rejection, done } from './lib.mjs'

const sbx = await Sandbox.create('base', { timeoutMs: 180_000 })

await check('write and read text, bytes and an empty file', async () => {
  const info = await sbx.files.write('/home/user/a.txt', 'hello ünïcode')
  assert.equal(info.path, '/home/user/a.txt')
  assert.equal(info.name, 'a.txt')
  assert.equal(await sbx.files.read('/home/user/a.txt'), 'hello ünïcode')
  const bytes = new Uint8Array([0, 1, 2, 255, 10, 13])
  await sbx.files.write('/home/user/b.bin', bytes.buffer)
  assert.deepEqual(await sbx.files.read('/home/user/b.bin', { format: 'bytes' }), bytes)
  await sbx.files.write('/home/user/empty', '')
  assert.equal(await sbx.files.read('/home/user/empty'), '')
})

await check('5 MiB round trip, multipart and octet-stream', async () => {
  const big = Buffer.alloc(5 << 20)
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff
  await sbx.files.write('/home/user/big.bin', big)
  const back = Buffer.from(await sbx.files.read('/home/user/big.bin', { format: 'bytes' }))
  assert.ok(back.equals(big), `read ${back.length} bytes`)
  await sbx.files.write('/home/user/raw.bin', big, { useOctetStream: true })
  assert.ok(Buffer.from(await sbx.files.read('/home/user/raw.bin', { format: 'bytes' })).equals(big))
  assert.equal((await sbx.commands.run('sha256sum /home/user/big.bin /home/user/raw.bin | cut -c1-64 | uniq | wc -l')).stdout, '1\n')
})

await check('several files at once, parents made, relative paths from the home', async () => {
  const r = await sbx.files.write([
    { path: '/home/user/deep/er/x.txt', data: 'x' },
    { path: 'rel/y.txt', data: 'y' },
  ])
  assert.deepEqual(r.map((e) => e.path), ['/home/user/deep/er/x.txt', '/home/user/rel/y.txt'])
  assert.equal((await sbx.commands.run('cat /home/user/deep/er/x.txt /home/user/rel/y.txt')).stdout, 'xy')
  await sbx.files.write('/tmp/t.txt', 'tmp is writable')
  assert.equal(await sbx.files.read('/tmp/t.txt'), 'tmp is writable')
})

await check('list, exists, getInfo, makeDir, rename, remove', async () => {
  assert.equal(await sbx.files.makeDir('/home/user/d/e'), true)
  assert.equal(await sbx.files.makeDir('/home/user/d/e'), false)
  await sbx.files.write('/home/user/d/f.txt', 'ff')
  const names = (await sbx.files.list('/home/user/d')).map((e) => `${e.name}:${e.type}`).sort()
  assert.deepEqual(names, ['e:dir', 'f.txt:file'])
  const deep = (await sbx.files.list('/home/user/d', { depth: 2 })).length
  assert.equal(deep, 2)
  const info = await sbx.files.getInfo('/home/user/d/f.txt')
  assert.equal(info.size, 2)
  assert.equal(info.type, 'file')
  assert.equal(info.permissions, '-rw-r--r--')
  assert.ok(Math.abs(info.modifiedTime.getTime() - Date.now()) < 60_000, String(info.modifiedTime))
  assert.equal(await sbx.files.exists('/home/user/d/f.txt'), true)
  assert.equal(await sbx.files.exists('/home/user/d/nope'), false)
  const moved = await sbx.files.rename('/home/user/d/f.txt', '/home/user/d/g.txt')
  assert.equal(moved.path, '/home/user/d/g.txt')
  assert.equal(await sbx.files.exists('/home/user/d/f.txt'), false)
  await sbx.files.remove('/home/user/d')
  assert.equal(await sbx.files.exists('/home/user/d'), false)
  await sbx.commands.run('ln -s /etc/hostname /home/user/link')
  const link = await sbx.files.getInfo('/home/user/link')
  assert.equal(link.type, 'symlink')
  assert.equal(link.symlinkTarget, '/etc/hostname')
})

await check('errors are the SDK classes', async () => {
  const missing = await rejection(sbx.files.read('/home/user/missing'))
  assert.ok(missing instanceof FileNotFoundError, missing.constructor.name)
  const info = await rejection(sbx.files.getInfo('/nope/nope'))
  assert.ok(info instanceof FileNotFoundError || info instanceof NotFoundError, info.constructor.name)
  const dir = await rejection(sbx.files.read('/home/user'))
  assert.ok(dir instanceof InvalidArgumentError, dir.constructor.name)
  const ro = await rejection(sbx.files.write('/etc/evil', 'x'))
  assert.ok(ro instanceof SandboxError, ro.constructor.name)
  assert.match(ro.message, /permission|read-only/i)
  const removeMissing = await rejection(sbx.files.remove('/home/user/missing'))
  assert.ok(removeMissing instanceof FileNotFoundError || removeMissing instanceof NotFoundError, removeMissing.constructor.name)
})

await check('~ is the home, as in E2B, and watching a directory says it is not supported', async () => {
  const info = await sbx.files.write('~/tilde.txt', 'home')
  assert.equal(info.path, '/home/user/tilde.txt')
  assert.equal(await sbx.files.read('~/tilde.txt'), 'home')
  assert.equal((await sbx.commands.run('pwd', { cwd: '~' })).stdout, '/home/user\n')
  const w = await rejection(sbx.files.watchDir('/home/user', () => {}))
  assert.match(w.message, /\[unimplemented\] watching directories is not supported by orch/)
})

await check('a write keeps the mode of the file it replaces and goes through a link, as envd', async () => {
  await sbx.commands.run('printf "#!/bin/sh\\necho old\\n" > /home/user/tool.sh && chmod 755 /home/user/tool.sh && ln -s tool.sh /home/user/tool-link')
  await sbx.files.write('/home/user/tool.sh', '#!/bin/sh\necho new\n')
  assert.equal((await sbx.commands.run('/home/user/tool.sh; stat -c %a /home/user/tool.sh')).stdout, 'new\n755\n')
  await sbx.files.write('/home/user/tool-link', '#!/bin/sh\necho linked\n')
  assert.equal((await sbx.commands.run('test -L /home/user/tool-link && /home/user/tool.sh')).stdout, 'linked\n')
  await sbx.files.write('/home/user/fresh.txt', 'x')
  assert.equal((await sbx.commands.run('stat -c %a /home/user/fresh.txt')).stdout, '644\n')
})

await check('traversal stays inside the sandbox: host files are never reached', async () => {
  const hostName = (await import('node:os')).hostname()
  const inside = await sbx.files.read('/home/user/../../../../etc/hostname')
  assert.notEqual(inside.trim(), hostName)
  assert.equal(inside.trim(), (await sbx.commands.run('cat /etc/hostname')).stdout.trim())
  const up = await rejection(sbx.files.write('/home/user/../../etc/passwd', 'x'))
  assert.ok(up instanceof SandboxError, up.constructor.name)
  await sbx.commands.run('ln -s / /home/user/root-link')
  const escaped = await rejection(sbx.files.write('/home/user/root-link/usr/evil', 'x'))
  assert.ok(escaped instanceof SandboxError, escaped.constructor.name)
  assert.equal((await sbx.commands.run('test -e /usr/evil && echo yes || echo no')).stdout, 'no\n')
  const agent = await rejection(sbx.files.write('/.orch-agent', 'x'))
  assert.ok(agent instanceof SandboxError, agent.constructor.name)
})

await done(sbx)
