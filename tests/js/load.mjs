// Loads a `.automerge` file with the official JS Automerge and prints, as JSON, the
// document and the metadata of every change (actor, seq, time, hash), so that Rust
// tests can check both the content and what the change history reveals.
import { readFileSync } from "node:fs";
import * as Automerge from "@automerge/automerge";

const path = process.argv[2];
if (!path) {
  console.error("usage: node load.mjs FILE.automerge");
  process.exit(2);
}
const doc = Automerge.load(new Uint8Array(readFileSync(path)));
const changes = Automerge.getAllChanges(doc).map((bytes) => {
  const c = Automerge.decodeChange(bytes);
  return { actor: c.actor, seq: c.seq, time: c.time, hash: c.hash, deps: c.deps };
});
const plain = JSON.parse(JSON.stringify(doc, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
process.stdout.write(JSON.stringify({ doc: plain, changes }));
