#!/usr/bin/env node
// The CLI entry point: the compiled sources live in dist/ (built by `npm ci` through `prepare`).
import { runProcess } from '../dist/src/cli/main.js'

await runProcess(process.argv.slice(2))
