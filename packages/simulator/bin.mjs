#!/usr/bin/env node
// faceid-edge-simulator: the simulator's command line (`npx faceid-edge-simulator --help`).
// The code is the repository's tests/sim/index.mjs `main`, copied beside this file
// by scripts/build-simulator.mjs, so the command and `node tests/sim/index.mjs` are one.
import { main } from "./index.mjs";

await main(process.argv.slice(2), { program: "faceid-edge-simulator" });
