// Unit tests of the wire bridge against a fake engine: framing, statement renaming, session
// hand-over, COPY pieces and limits, cancellation. Run with `node --test` in the bridge folder.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import {
  Engine, createServer, message, cstr, query, splitMessages, errorFields, setLogSink,
  CopyPieces, CopyLimitError, copyOptions, baselineSettings,
} from '../bridge.mjs'
import { FakeEngine } from './fake-engine.mjs'

setLogSink(() => {})

// ---------------------------------------------------------------------------------------------
// Helpers

const PIECE_BYTES = 64 << 10

async function startBridge(fake = new FakeEngine(), { lockTimeoutMs = 2000 } = {}) {
  const engine = new Engine(fake, { lockTimeoutMs, copyPieceBytes: PIECE_BYTES })
  await engine.startSession()
  const server = createServer(engine)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  return {
    fake, engine, port,
    close: () => new Promise((resolve) => {
      for (const c of server.registry.clients) c.socket.destroy()
      server.close(resolve)
    }),
  }
}

function startupPacket(params) {
  const body = Buffer.concat([...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0])])
  const packet = Buffer.alloc(8 + body.length)
  packet.writeInt32BE(packet.length, 0)
  packet.writeInt32BE(196608, 4)
  body.copy(packet, 8)
  return packet
}

class TestClient {
  static async connect(port, params = {}, { chunked = false } = {}) {
    const client = new TestClient(net.connect(port, '127.0.0.1'))
    await new Promise((resolve) => client.socket.once('connect', resolve))
    const packet = startupPacket({ user: 'postgres', database: 'postgres', ...params })
    if (chunked) await client.sendSlowly(packet)
    else client.socket.write(packet)
    const startup = await client.untilReady()
    client.key = startup.find((m) => m.type === 'K').body
    client.startup = startup
    return client
  }

  constructor(socket) {
    this.socket = socket
    this.buffer = Buffer.alloc(0)
    this.waiters = []
    this.ended = false
    socket.on('data', (d) => { this.buffer = Buffer.concat([this.buffer, d]); this.wake() })
    socket.on('close', () => { this.ended = true; this.wake() })
    socket.on('error', () => {})
  }

  wake() { for (const w of this.waiters.splice(0)) w() }

  send(...messages) { this.socket.write(Buffer.concat(messages)) }

  async sendSlowly(bytes) {
    for (const byte of bytes) {
      this.socket.write(Buffer.from([byte]))
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  // Messages up to and including the next ReadyForQuery (or until the server closes).
  async untilReady(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const { list } = splitMessages(this.buffer)
      const z = list.findIndex((m) => m.type === 'Z')
      if (z >= 0) {
        const taken = list.slice(0, z + 1)
        const used = taken.reduce((n, m) => n + 5 + m.body.length, 0)
        this.buffer = this.buffer.subarray(used)
        return taken.map((m) => ({ type: m.type, body: Buffer.from(m.body) }))
      }
      if (this.ended) return list.map((m) => ({ type: m.type, body: Buffer.from(m.body) }))
      if (Date.now() > deadline) throw new Error(`no ReadyForQuery within ${timeoutMs} ms; have ${list.map((m) => m.type).join('')}`)
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50) })
    }
  }

  async query(sql) {
    this.send(query(sql))
    return this.untilReady()
  }

  async scalar(sql) {
    const reply = await this.query(sql)
    const error = reply.find((m) => m.type === 'E')
    if (error) throw new Error(errorFields(error.body).M)
    const row = reply.find((m) => m.type === 'D')
    const len = row.body.readInt32BE(2)
    return row.body.subarray(6, 6 + len).toString('utf8')
  }

  async closed() {
    while (!this.ended) await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50) })
  }

  end() { this.send(message('X', Buffer.alloc(0))); this.socket.end() }
}

const parse = (name, sql) => message('P', Buffer.concat([cstr(name), cstr(sql), Buffer.alloc(2)]))
const bind = (portal, statement) => message('B', Buffer.concat([cstr(portal), cstr(statement), Buffer.alloc(6)]))
const execute = (portal) => message('E', Buffer.concat([cstr(portal), Buffer.alloc(4)]))
const closeStatement = (name) => message('C', Buffer.concat([Buffer.from('S'), cstr(name)]))
const sync = () => message('S', Buffer.alloc(0))
const copyData = (bytes) => message('d', bytes)
const copyDone = () => message('c', Buffer.alloc(0))
const types = (reply) => reply.map((m) => m.type).join('')
const errorOf = (reply) => {
  const e = reply.find((m) => m.type === 'E')
  return e ? errorFields(e.body) : null
}
const waitFor = async (condition, timeoutMs = 3000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// ---------------------------------------------------------------------------------------------
// Framing

test('messages split into single bytes reach the engine whole', async () => {
  const bridge = await startBridge()
  try {
    const client = await TestClient.connect(bridge.port, {}, { chunked: true })
    await client.sendSlowly(query('SELECT 7'))
    const reply = await client.untilReady()
    assert.equal(types(reply), 'TDCZ')
    assert.ok(bridge.fake.calls.every((c) => !c.messages.includes(undefined)))
    client.end()
  } finally { await bridge.close() }
})

test('garbage gets 08P01 and a disconnect; the next client is served', async () => {
  const bridge = await startBridge()
  try {
    const bad = await TestClient.connect(bridge.port)
    bad.socket.write(Buffer.from([0x21, 0, 0, 0, 4]))
    await bad.closed()
    assert.equal(errorFields(splitMessages(bad.buffer).list.find((m) => m.type === 'E').body).C, '08P01')
    const good = await TestClient.connect(bridge.port)
    assert.equal(await good.scalar('SELECT 5'), '5')
    good.end()
  } finally { await bridge.close() }
})

test('a long pipeline reaches the engine in slices of at most 256 messages, all answered', async () => {
  const bridge = await startBridge()
  try {
    const client = await TestClient.connect(bridge.port)
    const messages = []
    for (let i = 0; i < 300; i++) messages.push(parse('', `SELECT ${i}`), bind('', ''), execute(''))
    client.send(...messages, sync())
    const reply = await client.untilReady()
    assert.equal(reply.filter((m) => m.type === 'C').length, 300)
    assert.ok(Math.max(...bridge.fake.calls.map((c) => c.messages.length)) <= 256)
    client.end()
  } finally { await bridge.close() }
})

// ---------------------------------------------------------------------------------------------
// Statement renaming

test('two clients prepare the same statement name; errors name it as the client did; disconnect closes it', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port)
    const b = await TestClient.connect(bridge.port)
    a.send(parse('s1', 'SELECT 1'), sync())
    assert.equal(types(await a.untilReady()), '1Z')
    b.send(parse('s1', 'SELECT 2'), sync())
    assert.equal(types(await b.untilReady()), '1Z')
    const engineNames = [...bridge.fake.statements.keys()].filter((n) => n !== '')
    assert.equal(engineNames.length, 2)
    assert.ok(!engineNames.includes('s1'))

    a.send(bind('', 's1'), execute(''), sync())
    assert.equal(await valueOf(await a.untilReady()), '1')
    b.send(bind('p', 's1'), execute('p'), sync())
    assert.equal(await valueOf(await b.untilReady()), '2')

    a.send(parse('s1', 'SELECT 3'), sync())
    assert.equal(errorOf(await a.untilReady()).M, 'prepared statement "s1" already exists')

    a.end()
    await waitFor(() => bridge.fake.statements.size === 1 + (bridge.fake.statements.has('') ? 1 : 0))
    b.send(bind('', 's1'), execute(''), sync())
    assert.equal(await valueOf(await b.untilReady()), '2')
    b.end()
  } finally { await bridge.close() }
})

test('DEALLOCATE ALL and DISCARD ALL close only the client\'s own statements', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port)
    const b = await TestClient.connect(bridge.port)
    a.send(parse('s1', 'SELECT 1'), sync())
    await a.untilReady()
    b.send(parse('s1', 'SELECT 2'), sync())
    await b.untilReady()
    assert.equal(types(await a.query('DEALLOCATE ALL')), 'CZ')
    a.send(bind('', 's1'), execute(''), sync())
    assert.equal(errorOf(await a.untilReady()).M, 'prepared statement "s1" does not exist')
    b.send(bind('', 's1'), execute(''), sync())
    assert.equal(await valueOf(await b.untilReady()), '2')

    const reply = await b.query('DISCARD ALL')
    assert.equal(reply.find((m) => m.type === 'C').body.toString('utf8'), 'DISCARD ALL\0')
    b.send(bind('', 's1'), execute(''), sync())
    assert.equal(errorOf(await b.untilReady()).C, '26000')
    a.send(parse('s1', 'SELECT 3'), bind('', 's1'), execute(''), sync())
    assert.equal(await valueOf(await a.untilReady()), '3')
    a.end()
    b.end()
  } finally { await bridge.close() }
})

test('a very long statement name is mapped within the engine limit', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port)
    const name = 'n'.repeat(200)
    a.send(parse(name, 'SELECT 4'), bind('', name), execute(''), sync())
    assert.equal(await valueOf(await a.untilReady()), '4')
    assert.ok([...bridge.fake.statements.keys()].every((n) => Buffer.byteLength(n) <= 63))
    a.end()
  } finally { await bridge.close() }
})

async function valueOf(reply) {
  const error = errorOf(reply)
  if (error) throw new Error(`${error.C}: ${error.M}`)
  const row = reply.find((m) => m.type === 'D')
  return row.body.subarray(6, 6 + row.body.readInt32BE(2)).toString('utf8')
}

test('the unnamed statement does not leak across a hand-over', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port)
    const b = await TestClient.connect(bridge.port)
    a.send(parse('', 'SELECT 11'), sync())
    assert.equal(types(await a.untilReady()), '1Z')
    b.send(parse('', 'SELECT 22'), bind('', ''), execute(''), sync())
    assert.equal(await valueOf(await b.untilReady()), '22')

    // A binds its own unnamed statement again: it gets its own, and no extra ParseComplete.
    a.send(bind('', ''), execute(''), sync())
    const reply = await a.untilReady()
    assert.equal(types(reply), '2DCZ')
    assert.equal(await valueOf(reply), '11')

    // A client that never parsed one finds none, not another client's.
    const c = await TestClient.connect(bridge.port)
    c.send(bind('', ''), execute(''), sync())
    const none = await c.untilReady()
    assert.equal(types(none), 'EZ')
    assert.equal(errorOf(none).C, '26000')
    for (const client of [a, b, c]) client.end()
  } finally { await bridge.close() }
})

// ---------------------------------------------------------------------------------------------
// Preparing while another client holds a transaction

// One thread driving two connections, as pgbench -M prepared does: it waits for the second
// connection's PQprepare (Parse, Sync) before it sends the first connection's next statement, so
// a Parse that waited for the first connection's transaction would never be answered.
test('a connection prepares while another holds a transaction, without waiting for it', async () => {
  const bridge = await startBridge()
  try {
    const holder = await TestClient.connect(bridge.port)
    await holder.query("SET TimeZone = 'Asia/Tokyo'")
    await holder.query('BEGIN')
    const preparer = await TestClient.connect(bridge.port, { TimeZone: 'Europe/Paris' })
    preparer.send(parse('p0', 'SELECT 7'), sync())
    const prepared = await preparer.untilReady(1000)
    assert.equal(types(prepared), '1Z')
    assert.equal(prepared.at(-1).body.toString(), 'I')
    // Parsed with the preparer's own settings; the holder's are back, its transaction still open.
    assert.equal(bridge.fake.parsedWith.get([...bridge.fake.parsedWith.keys()].find((n) => n.endsWith('_p0'))), 'Europe/Paris')
    assert.equal(await holder.scalar('SHOW TimeZone'), 'Asia/Tokyo')
    assert.equal(bridge.fake.tx, 'T')

    // A Parse that fails, fails for the preparer alone: the holder's transaction is not aborted.
    preparer.send(parse('p1', 'bad statement'), sync())
    const failed = await preparer.untilReady(1000)
    assert.equal(types(failed), 'EZ')
    assert.equal(errorOf(failed).C, '42601')
    assert.equal(failed.at(-1).body.toString(), 'I')
    assert.equal(await holder.scalar('SELECT 2'), '2')
    assert.equal(bridge.fake.tx, 'T')
    assert.deepEqual(bridge.fake.savepoints, [])

    // Running the statement needs the session: it waits for the holder's COMMIT.
    preparer.send(bind('', 'p0'), execute(''), sync())
    await waitFor(() => bridge.engine.waiting.length === 1)
    await holder.query('COMMIT')
    const ran = await preparer.untilReady()
    assert.equal(await valueOf(ran), '7')
    holder.end()
    preparer.end()
  } finally { await bridge.close() }
})

test('a Parse that arrives while the holder\'s statement runs is answered as soon as that statement ends', async () => {
  const bridge = await startBridge()
  try {
    const holder = await TestClient.connect(bridge.port)
    const preparer = await TestClient.connect(bridge.port)
    holder.send(parse('', 'BEGIN'), bind('', ''), execute(''), parse('', 'SELECT pg_sleep(0.2)'), bind('', ''), execute(''), sync())
    await waitFor(() => bridge.fake.sleeping)
    preparer.send(parse('p0', 'SELECT 7'), sync())
    assert.equal(types(await preparer.untilReady(1000)), '1Z')
    assert.equal((await holder.untilReady()).at(-1).body.toString(), 'T')
    await holder.query('COMMIT')
    holder.end()
    preparer.end()
  } finally { await bridge.close() }
})

test('a Parse waits for the session while the holder\'s transaction is aborted', async () => {
  const bridge = await startBridge()
  try {
    const holder = await TestClient.connect(bridge.port)
    await holder.query('BEGIN')
    assert.equal(errorOf(await holder.query('SELECT unknown_thing')).C, '42601')
    assert.equal(bridge.fake.tx, 'E')
    const preparer = await TestClient.connect(bridge.port)
    preparer.send(parse('p0', 'SELECT 7'), sync())
    await waitFor(() => bridge.engine.waiting.length === 1)
    await holder.query('ROLLBACK')
    assert.equal(types(await preparer.untilReady()), '1Z')
    holder.end()
    preparer.end()
  } finally { await bridge.close() }
})

// ---------------------------------------------------------------------------------------------
// Session hand-over

test('settings are saved when the session changes hands and restored when it comes back', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port, { application_name: 'alpha' })
    const b = await TestClient.connect(bridge.port)
    await a.query("SET TimeZone = 'Asia/Tokyo'")
    await a.query('SET ROLE reporting')
    assert.equal(await b.scalar('SHOW TimeZone'), 'GMT')
    assert.equal(await b.scalar('SHOW role'), 'none')
    assert.equal(await b.scalar('SHOW application_name'), '')
    assert.equal(await b.scalar('SHOW search_path'), '"$user", public')
    assert.equal(await a.scalar('SHOW TimeZone'), 'Asia/Tokyo')
    assert.equal(await a.scalar('SHOW role'), 'reporting')
    assert.equal(await a.scalar('SHOW application_name'), 'alpha')

    // RESET ALL brings back the client's startup settings, not the engine's.
    await a.query('RESET ALL')
    assert.equal(await a.scalar('SHOW application_name'), 'alpha')
    assert.equal(await a.scalar('SHOW search_path'), '"$user", public')
    assert.equal(await a.scalar('SHOW TimeZone'), 'GMT')
    a.end()
    b.end()
  } finally { await bridge.close() }
})

test('startup parameters report the client its own values', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port, { TimeZone: 'Europe/Berlin' })
    const status = a.startup.filter((m) => m.type === 'S').map((m) => m.body.toString('utf8').split('\0').slice(0, 2))
    assert.deepEqual(status.find(([name]) => name === 'TimeZone'), ['TimeZone', 'Europe/Berlin'])
    assert.equal(await a.scalar('SHOW timezone'), 'Europe/Berlin')
    a.end()
  } finally { await bridge.close() }
})

test('a setting that cannot be restored is reported to its client and the others are restored', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port)
    const b = await TestClient.connect(bridge.port)
    await a.query("SET TimeZone = 'UTC+3'")
    await a.query('SET bad_setting = 1')
    await b.scalar('SELECT 1')
    const reply = await a.query('SHOW TimeZone')
    assert.equal(await valueOf(reply), 'UTC+3')
    const notice = reply.find((m) => m.type === 'N')
    assert.match(errorFields(notice.body).M, /could not restore bad_setting/)
    a.end()
    b.end()
  } finally { await bridge.close() }
})

test('the same client again costs no hand-over', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port)
    const before = bridge.engine.handOvers
    for (let i = 0; i < 5; i++) await a.scalar('SELECT 1')
    assert.equal(bridge.engine.handOvers - before, 1)
    a.end()
  } finally { await bridge.close() }
})

test('clients with the same startup settings take turns without hand-over work until one changes a setting', async () => {
  const bridge = await startBridge()
  try {
    const a = await TestClient.connect(bridge.port)
    const b = await TestClient.connect(bridge.port)
    await a.scalar('SELECT 1')
    const before = bridge.engine.handOvers
    for (let i = 0; i < 4; i++) {
      await a.scalar('SELECT 1')
      await b.query("UPDATE t SET v = 1 WHERE id = 2; SELECT 1") // SET in an UPDATE changes no setting
    }
    assert.equal(bridge.engine.handOvers, before)
    a.send(parse('', "SET TimeZone = 'UTC+1'"), bind('', ''), execute(''), sync())
    await a.untilReady()
    const snapshots = bridge.fake.statementsRun.filter((sql) => sql.startsWith('SELECT name, value')).length
    assert.equal(await b.scalar('SHOW TimeZone'), 'GMT')
    assert.equal(bridge.fake.statementsRun.filter((sql) => sql.startsWith('SELECT name, value')).length, snapshots + 1)
    assert.equal(await a.scalar('SHOW TimeZone'), 'UTC+1')
    a.end()
    b.end()
  } finally { await bridge.close() }
})

test('baselineSettings reads startup parameters and -c options', () => {
  const settings = new Map(baselineSettings({ user: 'u', database: 'd', application_name: 'app', options: '-c statement_timeout=5s --work-mem=8MB -c search_path=a,\\ b' }))
  assert.equal(settings.get('application_name'), 'app')
  assert.equal(settings.get('statement_timeout'), '5s')
  assert.equal(settings.get('work_mem'), '8MB')
  assert.equal(settings.get('search_path'), 'a, b')
  assert.equal(settings.get('client_min_messages'), 'notice')
  assert.ok(!settings.has('user') && !settings.has('database'))
})

// ---------------------------------------------------------------------------------------------
// COPY

test('CopyPieces cuts text at line ends and keeps the rest', () => {
  const pieces = new CopyPieces(copyOptions('COPY t FROM STDIN'))
  pieces.push(Buffer.from('1\ta\n2\tb\n3\t'))
  assert.equal(pieces.take(false, 4).toString(), '1\ta\n2\tb\n')
  pieces.push(Buffer.from('c\n'))
  assert.equal(pieces.take(true).toString(), '3\tc\n')
})

test('CopyPieces never cuts inside a quoted CSV value and repeats the header line', () => {
  const pieces = new CopyPieces(copyOptions("COPY t FROM STDIN WITH (FORMAT csv, HEADER true, QUOTE '\"')"))
  pieces.push(Buffer.from('id,name\n1,"two\nlines"\n2,"open\n'))
  assert.equal(pieces.take(false, 4).toString(), 'id,name\n1,"two\nlines"\n')
  pieces.push(Buffer.from('quote"\n'))
  assert.equal(pieces.take(true).toString(), 'id,name\n2,"open\nquote"\n')
})

test('CopyPieces honours a CSV escape character', () => {
  const pieces = new CopyPieces(copyOptions("COPY t FROM STDIN (FORMAT csv, ESCAPE '\\')"))
  pieces.push(Buffer.from('1,"a\\"\nb"\n2,x'))
  assert.equal(pieces.take(false, 4).toString(), '1,"a\\"\nb"\n')
})

test('CopyPieces cuts binary COPY between tuples and gives every piece header and trailer', () => {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)])
  const tuple = (n) => { const b = Buffer.alloc(2 + 4 + 4); b.writeInt16BE(1, 0); b.writeInt32BE(4, 2); b.writeInt32BE(n, 6); return b }
  const trailer = Buffer.from([0xff, 0xff])
  const pieces = new CopyPieces(copyOptions('COPY t FROM STDIN (FORMAT BINARY)'))
  pieces.push(Buffer.concat([header, tuple(1), tuple(2), tuple(3).subarray(0, 5)]))
  const first = pieces.take(false, 1)
  assert.deepEqual(first, Buffer.concat([header, tuple(1), tuple(2), trailer]))
  pieces.push(Buffer.concat([tuple(3).subarray(5), trailer]))
  assert.deepEqual(pieces.take(true), Buffer.concat([header, tuple(3), trailer]))
})

test('a single row larger than the limit is refused with a clear error', () => {
  const pieces = new CopyPieces(copyOptions('COPY t FROM STDIN'), { maxRowBytes: 1024 })
  pieces.push(Buffer.alloc(4096, 0x41))
  assert.throws(() => pieces.take(false, 16), (e) => e instanceof CopyLimitError && /larger than/.test(e.message))
})

test('a large COPY reaches the engine in bounded pieces inside one transaction', async () => {
  const bridge = await startBridge()
  try {
    const client = await TestClient.connect(bridge.port)
    client.send(query('COPY copied (a, b) FROM STDIN'))
    await waitFor(() => client.buffer.length > 0)
    const rowsPerMessage = 100
    const line = '123456\tsome text to make the row longer\n'
    const chunk = Buffer.from(line.repeat(rowsPerMessage))
    const messages = Math.ceil(20 * (PIECE_BYTES / chunk.length))
    for (let i = 0; i < messages; i++) client.send(copyData(chunk))
    client.send(copyDone())
    const reply = await client.untilReady(30000)
    const total = Math.floor(messages) * rowsPerMessage
    assert.equal(types(reply), 'GCZ')
    assert.equal(reply[1].body.toString('utf8').replace(/\0$/, ''), `COPY ${total}`)
    assert.ok(bridge.fake.copies.length >= 10, `${bridge.fake.copies.length} pieces`)
    assert.ok(bridge.fake.copies.every((c) => c.bytes.length <= PIECE_BYTES + chunk.length))
    const run = bridge.fake.statementsRun
    assert.equal(run.filter((s) => s === 'BEGIN').length, 1)
    assert.equal(run.filter((s) => s === 'COMMIT').length, 1)
    assert.equal(await client.scalar('SELECT count(*) FROM copied'), String(total))
    client.end()
  } finally { await bridge.close() }
})

test('a failing piece rolls the whole COPY back and answers at once', async () => {
  const bridge = await startBridge()
  try {
    const client = await TestClient.connect(bridge.port)
    client.send(query('COPY copied FROM STDIN'))
    await waitFor(() => client.buffer.length > 0)
    const chunk = Buffer.from('1\tx\n'.repeat(1 << 12))
    for (let i = 0; i < 10; i++) client.send(copyData(chunk))
    client.send(copyData(Buffer.from('bad\tx\n')))
    for (let i = 0; i < 40; i++) client.send(copyData(chunk))
    client.send(copyDone())
    const reply = await client.untilReady(30000)
    assert.equal(types(reply), 'GEZ')
    assert.equal(errorOf(reply).C, '22P02')
    assert.equal(String.fromCharCode(reply.at(-1).body[0]), 'I')
    assert.ok(bridge.fake.statementsRun.includes('ROLLBACK'))
    assert.ok(!bridge.fake.statementsRun.includes('COMMIT'))
    assert.equal(await client.scalar('SELECT 9'), '9')
    client.end()
  } finally { await bridge.close() }
})

// ---------------------------------------------------------------------------------------------
// Cancel

async function sendCancel(port, key) {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  const packet = Buffer.alloc(16)
  packet.writeInt32BE(16, 0)
  packet.writeInt32BE(80877102, 4)
  key.copy(packet, 8)
  socket.write(packet)
  await new Promise((resolve) => socket.once('close', resolve))
}

test('a CancelRequest stops the running statement', async () => {
  const bridge = await startBridge()
  try {
    const client = await TestClient.connect(bridge.port)
    const started = Date.now()
    client.send(query('SELECT pg_sleep(30)'))
    await waitFor(() => bridge.fake.sleeping)
    await sendCancel(bridge.port, client.key)
    const reply = await client.untilReady()
    assert.equal(errorOf(reply).C, '57014')
    assert.ok(Date.now() - started < 5000)
    assert.equal(await client.scalar('SELECT 1'), '1')
    client.end()
  } finally { await bridge.close() }
})

test('a CancelRequest with a wrong key changes nothing', async () => {
  const bridge = await startBridge()
  try {
    const client = await TestClient.connect(bridge.port)
    client.send(query('SELECT pg_sleep(0.3)'))
    await waitFor(() => bridge.fake.sleeping)
    await sendCancel(bridge.port, Buffer.alloc(8, 7))
    assert.equal(errorOf(await client.untilReady()), null)
    client.end()
  } finally { await bridge.close() }
})

test('a CancelRequest ends a wait for another client\'s transaction', async () => {
  const bridge = await startBridge()
  try {
    const holder = await TestClient.connect(bridge.port)
    await holder.query('BEGIN')
    const waiter = await TestClient.connect(bridge.port)
    waiter.send(parse('', 'SELECT 1'), bind('', ''), execute(''), sync())
    await waitFor(() => bridge.engine.waiting.length === 1)
    await sendCancel(bridge.port, waiter.key)
    const reply = await waiter.untilReady()
    assert.equal(types(reply), 'EZ')
    assert.equal(errorOf(reply).C, '57014')
    assert.equal(await holder.scalar('SELECT 2'), '2')
    await holder.query('COMMIT')
    assert.equal(await waiter.scalar('SELECT 3'), '3')
    holder.end()
    waiter.end()
  } finally { await bridge.close() }
})

test('an engine that cannot cancel tells the client, and the statement completes', async () => {
  const bridge = await startBridge(new FakeEngine({ cancellable: false }))
  try {
    const client = await TestClient.connect(bridge.port)
    client.send(query('SELECT pg_sleep(0.3)'))
    await waitFor(() => bridge.fake.sleeping)
    await sendCancel(bridge.port, client.key)
    const reply = await client.untilReady()
    assert.match(errorFields(reply.find((m) => m.type === 'N').body).M, /cannot interrupt/)
    assert.equal(errorOf(reply), null)
    client.end()
  } finally { await bridge.close() }
})

test('a client that waits too long gets 55P03, never a hang', async () => {
  const bridge = await startBridge(new FakeEngine(), { lockTimeoutMs: 200 })
  try {
    const holder = await TestClient.connect(bridge.port)
    await holder.query('BEGIN')
    const waiter = await TestClient.connect(bridge.port)
    const reply = await waiter.query('SELECT 1')
    assert.equal(errorOf(reply).C, '55P03')
    await holder.query('COMMIT')
    holder.end()
  } finally { await bridge.close() }
})
