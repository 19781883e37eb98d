/**
 * The small part of JSON Schema the daemon API uses to describe and check parameters: `type`
 * (one or several), `enum`, `pattern`, `minLength`/`maxLength`, `minimum`/`maximum`, `items`,
 * `maxItems`, `properties`, `required`, `additionalProperties: false`. The same objects are
 * printed in docs/daemon-api.md, so what is documented is what is checked. Pure.
 * @module
 */

/** A JSON Schema (draft 2020-12 keywords, the subset above). */
export interface Schema {
  type?: JsonType | JsonType[]
  description?: string
  enum?: readonly unknown[]
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  items?: Schema
  maxItems?: number
  properties?: Record<string, Schema>
  required?: readonly string[]
  additionalProperties?: boolean | Schema
}

/** A JSON Schema `type` name. */
export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null'

function typeOf(value: unknown): JsonType | 'undefined' {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'object') return typeof value as JsonType
  return 'undefined'
}

/** The first way `value` breaks `schema`, as a sentence naming where (`at`), or undefined when it fits. */
export function schemaError(schema: Schema, value: unknown, at = 'value'): string | undefined {
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    const actual = typeOf(value)
    const fits = types.some((t) => t === actual || (t === 'number' && actual === 'integer'))
    if (!fits) return `${at} must be ${types.join(' or ')}, got ${actual}`
  }
  if (schema.enum && !schema.enum.includes(value)) return `${at} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `${at} must have at least ${schema.minLength} characters`
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${at} must have at most ${schema.maxLength} characters`
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) return `${at} must match ${schema.pattern}`
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `${at} must be at least ${schema.minimum}`
    if (schema.maximum !== undefined && value > schema.maximum) return `${at} must be at most ${schema.maximum}`
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${at} must have at most ${schema.maxItems} items`
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const e = schemaError(schema.items, value[i], `${at}[${i}]`)
        if (e) return e
      }
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>
    for (const key of schema.required ?? []) if (!(key in obj)) return `${at}.${key} is required`
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key]
      if (sub) {
        const e = schemaError(sub, v, `${at}.${key}`)
        if (e) return e
      } else if (schema.additionalProperties === false) return `${at}.${key} is not a known field`
      else if (typeof schema.additionalProperties === 'object') {
        const e = schemaError(schema.additionalProperties, v, `${at}.${key}`)
        if (e) return e
      }
    }
  }
  return undefined
}
