/**
 * `npm run bench`: every benchmark, each printing its figures next to a peer measured in the
 * same run. Sizes can be reduced with BENCH_SCALE (e.g. 0.1) for a quick look.
 * @module
 */
import { benchAccounts } from './accounts.js'
import { benchFaults } from './faults.js'
import { benchFiles } from './files.js'
import { benchGroups } from './groups.js'
import { benchLab } from './lab.js'
import { benchRepack } from './repack.js'
import { benchRepository } from './repository.js'
import { benchSwarmOverTox } from './swarm-tox.js'
import { benchSync } from './sync.js'
import { benchToxNetwork } from './tox-network.js'
import { benchTransport } from './transport.js'
import { printFigures } from './util.js'

const scale = Number(process.env['BENCH_SCALE'] ?? 1)
// BENCH_ONLY=repository,sync,swarm,transport,network,accounts,groups,files,repack,faults,lab runs a subset.
const only = new Set((process.env['BENCH_ONLY'] ?? 'repository,sync,swarm,transport,network,accounts,groups,files,repack,faults,lab').split(','))
console.log(`gitswarm benchmarks — node ${process.version}, scale ${scale}`)
if (only.has('repository')) printFigures('Repository core (issue #2)', await benchRepository({ commits: Math.max(200, Math.round(20_000 * scale)), appends: Math.max(20, Math.round(2_000 * scale)) }))
if (only.has('sync')) printFigures('Sync (issue #4)', await benchSync({ messages: Math.round(10_000 * scale), rounds: Math.max(20, Math.round(300 * scale)), convergenceRuns: Math.max(20, Math.round(1000 * scale)) }))
if (only.has('swarm')) printFigures('Sync over Tox tunnels (DESIGN targets)', await benchSwarmOverTox({ messages: Math.round(10_000 * scale), rounds: Math.max(20, Math.round(200 * scale)) }))
if (only.has('transport')) printFigures('Tox transport (issue #5)', await benchTransport({ seconds: Math.max(2, Math.round(10 * scale)), streamBytes: 64 * 1024 * 1024 }))
if (only.has('network')) printFigures('Tox network: finding friends, and the DHT simulation (issue #6)', await benchToxNetwork({ simulationNodes: Math.max(1000, Math.round(10_000 * scale)), lookups: Math.max(200, Math.round(1000 * scale)) }))
if (only.has('accounts')) printFigures('Accounts on the network: contacts, invitations, live messages, read receipts, presence, gossip (issues #10, #19)', await benchAccounts({ rounds: Math.max(50, Math.round(500 * scale)), invites: Math.max(3, Math.round(10 * scale)), gossipMembers: 1000 }))
// A quick look uses small groups: the figures are for 12 and 24 members.
if (only.has('groups')) printFigures('Groups where several people write at once: real Accounts, one writer and rotating writers (issue #22)', await benchGroups(scale >= 0.5 ? { sizes: [12, 24], messages: 30 } : { sizes: [4, 6], messages: 10 }))
if (only.has('files')) printFigures('Files on demand: one holder, three holders, c-toxcore file transfer (issue #11)', await benchFiles({ bytes: Math.max(16 << 20, Math.round((256 << 20) * scale)) }))
if (only.has('repack')) printFigures('Long-lived conversations: loose, repacked, git gc (issue #12)', await benchRepack({ messages: Math.max(200, Math.round(20_000 * scale)), haves: Math.max(1000, Math.round(100_000 * scale)) }))
if (only.has('faults')) printFigures('Faults: seeded crash and network schedules (issue #12; npm run faults runs 10,000)', await benchFaults({ schedules: Math.max(50, Math.round(1000 * scale)) }))
if (only.has('lab')) printFigures('Network lab: LAN discovery and the Internet, gitswarm next to c-toxcore (issues #17, #18; npm run lab for the scenarios)', await benchLab({ runs: Math.max(1, Math.round(3 * scale)), fileBytes: Math.max(4 << 20, Math.round((64 << 20) * scale)) }))
