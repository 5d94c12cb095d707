import { StoreUnavailableError } from '@keygate/core'
import { describe, expect, it } from 'vitest'
import { isConnectionError, toStoreError } from './connection-errors.js'

const withCode = (code: string) => Object.assign(new Error('x'), { code })

describe('isConnectionError', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED')],
    ['reset', withCode('ECONNRESET')],
    ['DNS', withCode('ENOTFOUND')],
    ['08006 connection failure', withCode('08006')],
    ['08P01 protocol violation', withCode('08P01')],
    ['57P01 admin shutdown', withCode('57P01')],
    ['57P03 cannot connect now', withCode('57P03')],
    ['53300 too many connections', withCode('53300')],
    ['lost connection', new Error('Connection terminated unexpectedly')],
    ['connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    ['every address refused', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('%s is an outage (503)', (_, error) => {
    expect(isConnectionError(error)).toBe(true)
    const mapped = toStoreError(error)
    expect(mapped).toBeInstanceOf(StoreUnavailableError)
    expect(mapped).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503, cause: error })
  })

  it.each([
    ['unique violation', withCode('23505')],
    ['undefined table', withCode('42P01')],
    ['bad bigint', withCode('22P02')],
    ['serialization failure', withCode('40001')],
    ['plain error', new Error('boom')],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ])('%s is not an outage: passed through unchanged', (_, error) => {
    expect(isConnectionError(error)).toBe(false)
    expect(toStoreError(error)).toBe(error)
  })
})
