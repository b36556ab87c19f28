// A stand-in for the WebAssembly engine in the bridge's unit tests: it speaks enough of the
// PostgreSQL protocol (startup, simple and extended queries, prepared statements, settings,
// COPY from the attached blob, pg_sleep and cancellation) to observe what the bridge sends it.
// The real engine is tested by the .NET tests (tests/Hourglass.Embedded.Tests).

import { message, cstr, splitMessages } from '../bridge.mjs'

const rowDescription = (names) => {
  const parts = [Buffer.alloc(2)]
  parts[0].writeInt16BE(names.length, 0)
  for (const name of names) {
    const field = Buffer.alloc(18)
    field.writeInt32BE(25, 6) // text
    field.writeInt16BE(-1, 10)
    parts.push(cstr(name), field)
  }
  return message('T', Buffer.concat(parts))
}

const dataRow = (values) => {
  const parts = [Buffer.alloc(2)]
  parts[0].writeInt16BE(values.length, 0)
  for (const value of values) {
    const bytes = Buffer.from(String(value))
    const len = Buffer.alloc(4)
    len.writeInt32BE(bytes.length, 0)
    parts.push(len, bytes)
  }
  return message('D', Buffer.concat(parts))
}

const complete = (tag) => message('C', cstr(tag))
const ready = (status) => message('Z', Buffer.from(status))
const error = (code, text) => message('E', Buffer.concat([
  Buffer.from('S'), cstr('ERROR'), Buffer.from('C'), cstr(code), Buffer.from('M'), cstr(text), Buffer.from([0]),
]))
const rows = (names, list, tag = `SELECT ${list.length}`) => [rowDescription(names), ...list.map(dataRow), complete(tag)]

class StatementError extends Error {
  constructor(code, text) { super(text); this.code = code }
}

export class FakeEngine {
  constructor({ cancellable = true } = {}) {
    this.cancellable = cancellable
    this.seq = 0
    this.started = false
    this.statements = new Map()
    this.portals = new Map()
    this.settings = new Map()
    this.defaults = new Map([['timezone', 'GMT'], ['search_path', 'pg_catalog'], ['statement_timeout', '0'], ['application_name', ''], ['client_min_messages', 'debug1']])
    this.role = 'none'
    this.tx = 'I'
    this.savepoints = []  // { name, settings, role }
    this.parsedWith = new Map() // statement name -> TimeZone setting when it was parsed
    this.calls = []       // every call: { messages, blobBytes }
    this.statementsRun = [] // every statement text run by simple query
    this.copies = []      // { sql, bytes }
    this.tableRows = 0
    this.sleeping = null
  }

  exec(bytes, blob, onStart) {
    const id = ++this.seq
    onStart?.(id)
    return this.process(bytes, blob, id)
  }

  cancel(id) {
    if (!this.cancellable) return false
    if (this.sleeping?.id === id) this.sleeping.cancel()
    return true
  }

  async close() {}

  async process(bytes, blob, id) {
    if (!this.started) {
      this.started = true
      return Buffer.concat([message('R', Buffer.alloc(4)), message('S', Buffer.concat([cstr('TimeZone'), cstr('GMT')])),
        message('S', Buffer.concat([cstr('server_version'), cstr('17.5')])), ready('I')])
    }
    const { list } = splitMessages(bytes)
    this.calls.push({ messages: list.map((m) => m.type), blobBytes: blob?.length ?? 0 })
    const out = []
    let skipping = false
    for (const m of list) {
      if (skipping && m.type !== 'S') continue
      skipping = false
      try {
        out.push(...await this.handle(m, blob, id))
      } catch (failure) {
        if (!(failure instanceof StatementError)) throw failure
        out.push(error(failure.code, failure.message))
        if (this.tx === 'T') this.tx = 'E'
        if (m.type === 'Q') out.push(ready(this.tx))
        else skipping = true
      }
    }
    return Buffer.concat(out)
  }

  async handle(m, blob, id) {
    const text = (offset = 0) => {
      const end = m.body.indexOf(0, offset)
      return [m.body.subarray(offset, end).toString('utf8'), end + 1]
    }
    switch (m.type) {
      case 'Q': {
        const [sql] = text()
        const statements = /^\s*DO\b/i.test(sql) ? [sql] : sql.split(';').map((s) => s.trim()).filter(Boolean)
        const out = []
        for (const statement of statements) {
          this.statementsRun.push(statement)
          out.push(...await this.run(statement, blob, id))
        }
        return [...out, ready(this.tx)]
      }
      case 'P': {
        const [name, next] = text()
        const [sql] = text(next)
        if (name !== '' && this.statements.has(name)) throw new StatementError('42P05', `prepared statement "${name}" already exists`)
        if (this.tx === 'E' && !/^(ROLLBACK|COMMIT)/i.test(sql)) throw new StatementError('25P02', 'current transaction is aborted, commands ignored until end of transaction block')
        if (/^bad\b/i.test(sql)) throw new StatementError('42601', `syntax error at or near "bad"`)
        this.statements.set(name, sql)
        this.parsedWith.set(name, this.setting('timezone'))
        return [message('1', Buffer.alloc(0))]
      }
      case 'B': {
        const [portal, next] = text()
        const [statement] = text(next)
        if (!this.statements.has(statement)) {
          throw new StatementError('26000', statement === '' ? 'unnamed prepared statement does not exist' : `prepared statement "${statement}" does not exist`)
        }
        this.portals.set(portal, this.statements.get(statement))
        return [message('2', Buffer.alloc(0))]
      }
      case 'D':
        return [message('n', Buffer.alloc(0))]
      case 'E': {
        const [portal] = text()
        const out = await this.run(this.portals.get(portal), blob, id)
        return out.filter((b) => b[0] !== 'T'.charCodeAt(0))
      }
      case 'C': {
        const [name] = text(1)
        if (m.body[0] === 'S'.charCodeAt(0)) this.statements.delete(name)
        else this.portals.delete(name)
        return [message('3', Buffer.alloc(0))]
      }
      case 'S':
        return [ready(this.tx)]
      case 'H':
        return []
      default:
        throw new Error(`fake engine got message ${m.type}`)
    }
  }

  setting(name) {
    const key = name.toLowerCase()
    return this.settings.get(key) ?? this.defaults.get(key) ?? ''
  }

  async run(sql, blob, id) {
    let match
    if (this.tx === 'E' && !/^(ROLLBACK|COMMIT)\b/i.test(sql)) throw new StatementError('25P02', 'current transaction is aborted, commands ignored until end of transaction block')
    if ((match = /^SAVEPOINT (\w+)$/i.exec(sql))) {
      if (this.tx !== 'T') throw new StatementError('25P01', 'SAVEPOINT can only be used in transaction blocks')
      this.savepoints.push({ name: match[1], settings: new Map(this.settings), role: this.role })
      return [complete('SAVEPOINT')]
    }
    if ((match = /^ROLLBACK TO SAVEPOINT (\w+)$/i.exec(sql))) {
      const at = this.savepoints.findLastIndex((p) => p.name === match[1])
      if (at < 0) throw new StatementError('3B001', `savepoint "${match[1]}" does not exist`)
      this.savepoints.length = at + 1
      this.settings = new Map(this.savepoints[at].settings)
      this.role = this.savepoints[at].role
      this.tx = 'T'
      return [complete('ROLLBACK')]
    }
    if ((match = /^RELEASE SAVEPOINT (\w+)$/i.exec(sql))) {
      const at = this.savepoints.findLastIndex((p) => p.name === match[1])
      if (at < 0) throw new StatementError('3B001', `savepoint "${match[1]}" does not exist`)
      this.savepoints.length = at
      return [complete('RELEASE')]
    }
    if (/^SELECT name, value FROM/.test(sql)) {
      const list = []
      if (this.role !== 'none') list.push(['role', this.role])
      for (const [name, value] of [...this.settings.entries()].sort()) list.push([name, value])
      return rows(['name', 'value'], list)
    }
    if (/^SET SESSION AUTHORIZATION DEFAULT$/.test(sql)) return [complete('SET')]
    if (/^RESET ROLE$/i.test(sql)) { this.role = 'none'; return [complete('RESET')] }
    if (/^RESET ALL$/i.test(sql)) { this.settings.clear(); return [complete('RESET')] }
    if (/^SELECT set_config/.test(sql)) {
      const values = []
      for (const [, name, value] of sql.matchAll(/set_config\('((?:[^']|'')*)', '((?:[^']|'')*)', false\)/g)) {
        const n = name.replace(/''/g, "'")
        const v = value.replace(/''/g, "'")
        if (n === 'bad_setting') throw new StatementError('42704', `unrecognized configuration parameter "${n}"`)
        if (n === 'role') this.role = v
        else this.settings.set(n.toLowerCase(), v)
        values.push(v)
      }
      return rows(values.map(() => 'set_config'), [values])
    }
    if ((match = /^SET ROLE (\w+)$/i.exec(sql))) { this.role = match[1]; return [complete('SET')] }
    if ((match = /^SET (\w+)\s*(?:=|TO)\s*'?([^']*)'?$/i.exec(sql))) { this.settings.set(match[1].toLowerCase(), match[2]); return [complete('SET')] }
    if ((match = /^SHOW (\w+)$/i.exec(sql))) return rows([match[1]], [[match[1].toLowerCase() === 'role' ? this.role : this.setting(match[1])]], 'SHOW')
    if (/^BEGIN$/i.test(sql)) { this.tx = 'T'; return [complete('BEGIN')] }
    if (/^(COMMIT|ROLLBACK)$/i.test(sql)) {
      const tag = this.tx === 'E' ? 'ROLLBACK' : sql.toUpperCase()
      this.tx = 'I'
      this.savepoints = []
      return [complete(tag)]
    }
    if (/^COPY .* FROM '\/dev\/blob'/i.test(sql)) {
      const bytes = Buffer.from(blob ?? [])
      this.copies.push({ sql, bytes })
      const lines = bytes.toString('latin1').split('\n').filter((l) => l !== '' && l !== '\\.')
      if (lines.some((l) => l.startsWith('bad'))) throw new StatementError('22P02', 'invalid input syntax for type integer: "bad"')
      this.tableRows += lines.length
      return [complete(`COPY ${lines.length}`)]
    }
    if ((match = /^SELECT pg_sleep\(([\d.]+)\)$/.exec(sql))) {
      const cancelled = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), Number(match[1]) * 1000)
        this.sleeping = { id, cancel: () => { clearTimeout(timer); resolve(true) } }
      })
      this.sleeping = null
      if (cancelled) throw new StatementError('57014', 'canceling statement due to user request')
      return rows(['pg_sleep'], [['']])
    }
    if ((match = /^SELECT (.+) FROM (\S+) WHERE false$/.exec(sql))) return rows(match[1].split(',').map((c) => c.trim()), [], 'SELECT 0')
    if (/^SELECT count\(\*\) FROM pg_attribute/.test(sql)) return rows(['count'], [['2']])
    if (/^SELECT count\(\*\) FROM copied$/.test(sql)) return rows(['count'], [[String(this.tableRows)]])
    if (/^UPDATE t SET/.test(sql)) return [complete('UPDATE 0')]
    if ((match = /^SELECT (\d+)$/.exec(sql))) return rows(['?column?'], [[match[1]]])
    if (/^(LOAD|CREATE EXTENSION|CLOSE ALL|UNLISTEN|DISCARD|SELECT pg_advisory_unlock_all)/i.test(sql)) return [complete('OK')]
    if (/^DO\b/i.test(sql)) {
      const code = /ERRCODE = '(\w+)'/.exec(sql)?.[1] ?? 'P0001'
      const text = /MESSAGE = '((?:[^']|'')*)'/.exec(sql)?.[1] ?? /RAISE EXCEPTION '([^']*)'/.exec(sql)?.[1] ?? 'raised'
      throw new StatementError(code, text.replace(/''/g, "'"))
    }
    if (/^SELECT current_setting\('server_version'\)/.test(sql)) return rows(['v', 'ts', 'db'], [['17.5', '2.23.0', 'template1']])
    throw new StatementError('42601', `the fake engine does not know: ${sql}`)
  }
}
