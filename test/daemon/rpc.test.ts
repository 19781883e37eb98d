/** JSON-RPC framing, the parameter schemas and the error code table, without a node. */
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { METHODS, NOTIFICATIONS } from '../../src/daemon/api.js'
import { handleFrame, RPC_ERROR_CODES } from '../../src/daemon/json-rpc.js'
import { checkParams } from '../../src/daemon/methods.js'
import { schemaError } from '../../src/daemon/schema.js'
import { ERROR_CLASSES, NotFoundError, TimeoutError } from '../../src/errors.js'

describe('JSON-RPC framing', () => {
  const call = async (method: string, params: unknown[]) => {
    if (method === 'echo') return params
    if (method === 'void') return undefined
    throw new NotFoundError(`thing ${method}`)
  }
  it('answers a request, skips a notification, keeps batch order', async () => {
    expect(await handleFrame('{"jsonrpc":"2.0","id":"a","method":"echo","params":[1,"x"]}', call)).toEqual({ jsonrpc: '2.0', id: 'a', result: [1, 'x'] })
    expect(await handleFrame('{"jsonrpc":"2.0","id":3,"method":"void"}', call)).toEqual({ jsonrpc: '2.0', id: 3, result: null })
    expect(await handleFrame('{"jsonrpc":"2.0","method":"echo"}', call)).toBeUndefined()
    expect(await handleFrame('[{"jsonrpc":"2.0","method":"echo"}]', call)).toBeUndefined()
    const batch = await handleFrame('[{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]},{"jsonrpc":"2.0","id":1,"method":"missing"}]', call)
    expect(batch).toEqual([
      { jsonrpc: '2.0', id: 2, result: [2] },
      { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'not found: thing missing', data: { name: 'NotFoundError', code: 'ERR_NOT_FOUND', details: { what: 'thing missing' } } } },
    ])
  })
  it('refuses what is not a request', async () => {
    expect(await handleFrame('not json', call)).toMatchObject({ id: null, error: { code: -32700 } })
    expect(await handleFrame('[]', call)).toMatchObject({ id: null, error: { code: -32600 } })
    expect(await handleFrame('5', call)).toMatchObject({ id: null, error: { code: -32600 } })
    expect(await handleFrame('{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}}', call)).toMatchObject({ id: 1, error: { code: -32602 } })
    expect(await handleFrame('{"jsonrpc":"2.0","id":{"x":1},"method":"echo"}', call)).toMatchObject({ id: null, result: [] })
  })
  it('gives every error class its own fixed integer code', () => {
    const codes = [...ERROR_CLASSES.map((c) => c.code), TimeoutError.code]
    for (const code of codes) expect(RPC_ERROR_CODES[code], code).toBeTypeOf('number')
    const ints = Object.values(RPC_ERROR_CODES)
    expect(new Set(ints).size).toBe(ints.length)
    expect(RPC_ERROR_CODES.ERR_INVALID_ARGUMENT).toBe(-32602)
    expect(RPC_ERROR_CODES.ERR_NOT_FOUND).toBe(-32001)
  })
})

describe('parameter schemas', () => {
  it('checks types, patterns, bounds, fields', () => {
    expect(schemaError({ type: 'string', pattern: '^[0-9a-f]{4}$' }, 'abcd')).toBeUndefined()
    expect(schemaError({ type: 'string', pattern: '^[0-9a-f]{4}$' }, 'abcg', 'id')).toBe('id must match ^[0-9a-f]{4}$')
    expect(schemaError({ type: 'integer', minimum: 0 }, 1.5)).toBe('value must be integer, got number')
    expect(schemaError({ type: 'number' }, 2)).toBeUndefined()
    expect(schemaError({ type: ['object', 'null'] }, null)).toBeUndefined()
    expect(schemaError({ type: 'object', properties: { a: { type: 'boolean' } }, additionalProperties: false }, { b: 1 }, 'o')).toBe('o.b is not a known field')
    expect(schemaError({ type: 'object', additionalProperties: { type: 'string' } }, { k: 1 }, 'm')).toBe('m.k must be string, got integer')
    expect(schemaError({ type: 'array', items: { enum: [1, 2] }, maxItems: 2 }, [1, 3], 'l')).toBe('l[1] must be one of 1, 2')
    expect(schemaError({ type: 'string', maxLength: 3 }, 'abcd')).toBe('value must have at most 3 characters')
  })
  it('checks a method’s positional parameters', () => {
    const send = METHODS.find((m) => m.name === 'sendMessage')!
    expect(() => checkParams(send, ['a'.repeat(40), 'hi'])).not.toThrow()
    expect(() => checkParams(send, ['a'.repeat(40), 'hi', null])).not.toThrow()
    expect(() => checkParams(send, ['a'.repeat(40)])).toThrow(/parameter 2 \(body\) is required/)
    expect(() => checkParams(send, ['a'.repeat(40), 'hi', {}, 4])).toThrow(/at most 3 parameters/)
    expect(() => checkParams(send, ['a'.repeat(40), 'hi', { replyTo: 'x' }])).toThrow(/options.replyTo must match/)
  })
  it('has an Account method behind each method that is not the daemon’s own', () => {
    const own = new Set(['getAccountDetails', 'subscribe', 'unsubscribe'])
    for (const m of METHODS) if (!own.has(m.name)) expect(typeof (Account.prototype as unknown as Record<string, unknown>)[m.name], m.name).toBe('function')
  })
  it('names each method and notification once, optional parameters last', () => {
    for (const list of [METHODS, NOTIFICATIONS] as const) {
      const names = list.map((m) => m.name)
      expect(new Set(names).size).toBe(names.length)
      for (const m of list) {
        const firstOptional = m.params.findIndex((p) => 'optional' in p && p.optional)
        if (firstOptional >= 0) expect(m.params.slice(firstOptional).every((p) => 'optional' in p && p.optional), m.name).toBe(true)
      }
    }
  })
})
