// Helpers for the E2B SDK checks: each check prints "ok NAME" or "FAIL NAME: why"; the script
// exits non-zero when any failed. The server and keys come from the environment (test_e2b.sh).
import assert from 'node:assert/strict'

export { assert }
export const base = process.env.E2B_API_URL
export const keyB = process.env.E2B_KEY_OTHER_TENANT
let failures = 0

export async function check(name, fn) {
  try {
    await fn()
    console.log(`ok ${name}`)
  } catch (e) {
    failures += 1
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 6).join('\n') : e}`)
  }
}

// Resolves to the error a promise rejects with (fails when it resolves).
export async function rejection(promise) {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error('expected an error, got success')
}

export async function done(...sandboxes) {
  for (const s of sandboxes) await s.kill().catch(() => {})
  console.log(failures ? `${failures} check(s) failed` : 'all checks passed')
  process.exit(failures ? 1 : 0)
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
