// server.test.js - findExecutable (src/server.ts, compiled to out/) finds
// catc-lsp on PATH, by path and by ~/ path, and nothing else.
const assert = require("assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { findExecutable } = require("../out/server");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "catc-server-test-"));
const bin = path.join(dir, "bin");
fs.mkdirSync(bin);
const server = path.join(bin, "catc-lsp");
fs.writeFileSync(server, "#!/bin/sh\n", { mode: 0o755 });
fs.writeFileSync(path.join(bin, "not-executable"), "", { mode: 0o644 });
fs.mkdirSync(path.join(bin, "a-directory"));
const env = { PATH: ["/nonexistent", bin].join(path.delimiter) };

try {
  assert.strictEqual(findExecutable("catc-lsp", env, "linux"), server);
  assert.strictEqual(findExecutable(server, {}, "linux"), server);
  assert.strictEqual(findExecutable("catc-lsp", { PATH: "/nonexistent" }, "linux"), undefined);
  assert.strictEqual(findExecutable("catc-lsp", {}, "linux"), undefined);
  assert.strictEqual(findExecutable("not-executable", env, "linux"), undefined);
  assert.strictEqual(findExecutable("a-directory", env, "linux"), undefined);
  assert.strictEqual(findExecutable(path.join(bin, "missing"), env, "linux"), undefined);
  process.env.HOME = dir; // os.homedir() on POSIX
  assert.strictEqual(findExecutable("~/bin/catc-lsp", {}, "linux"), server);
  console.log("✓ test/server.test.js: findExecutable");
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
