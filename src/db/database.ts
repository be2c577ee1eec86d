/**
 * The PostgreSQL pool and the one instrumented query function every feature uses: it times each
 * query by SQL operation, counts errors by type, and turns an unreachable database into a
 * {@link DatabaseUnavailableError} (HTTP 503) within the configured timeout instead of a hang.
 */
import pg from 'pg';
import type { DbErrorType, DbOperation } from '../metrics/catalogue.ts';
import type { Metrics } from '../metrics/registry.ts';
import { DatabaseUnavailableError } from '../errors.ts';

type QueryParams = readonly unknown[];

/** A transaction-scoped query function, given to `transaction` callbacks. */
export type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: QueryParams) => Promise<pg.QueryResult<R>>;

const OPERATION = /^\s*(select|insert|update|delete)\b/i;

/** SQL operation label of a statement: its first keyword, or `other`. */
export function sqlOperation(sql: string): DbOperation {
  const match = OPERATION.exec(sql);
  return match?.[1] ? (match[1].toLowerCase() as DbOperation) : 'other';
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03']);

/** Error type label of a failed query. */
export function dbErrorType(err: unknown): DbErrorType {
  const code = (err as { code?: string } | null)?.code ?? '';
  const message = err instanceof Error ? err.message : '';
  if (code === '57014' || /timeout/i.test(message)) return 'timeout';
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || /Connection terminated|connect/i.test(message)) return 'connection';
  if (code.startsWith('23')) return 'constraint';
  if (/^[0-9A-Z]{5}$/.test(code)) return 'query';
  return 'other';
}

/** Options for {@link createDatabase}. */
export interface DatabaseOptions {
  url: string;
  poolMax: number;
  /** Bound on connecting and on each statement, so a dead database answers 503, not a hang. */
  timeoutMs: number;
}

/** Creates the pool and the instrumented query functions. */
export function createDatabase(options: DatabaseOptions, metrics: Pick<Metrics, 'observeDbQuery' | 'recordDbError' | 'watchPool'>) {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    query_timeout: options.timeoutMs + 1_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => metrics.recordDbError('connection'));
  metrics.watchPool(pool);

  async function run<R extends pg.QueryResultRow>(runner: pg.Pool | pg.PoolClient, sql: string, params?: QueryParams) {
    const started = performance.now();
    const operation = sqlOperation(sql);
    try {
      return await runner.query<R>(sql, params as unknown[] | undefined);
    } catch (err) {
      const type = dbErrorType(err);
      metrics.recordDbError(type);
      if (type === 'connection' || type === 'timeout') {
        throw new DatabaseUnavailableError(`database unavailable (${type})`, { cause: err });
      }
      throw err;
    } finally {
      metrics.observeDbQuery(operation, (performance.now() - started) / 1000);
    }
  }

  const query: Query = (sql, params) => run(pool, sql, params);

  return {
    pool,
    query,
    /** Runs `fn` in a transaction; rolls back when it throws. */
    async transaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        metrics.recordDbError(dbErrorType(err));
        throw new DatabaseUnavailableError('database unavailable (connection)', { cause: err });
      }
      const q: Query = (sql, params) => run(client, sql, params);
      try {
        await q('BEGIN');
        const result = await fn(q);
        await q('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The database of one API instance. */
export type Database = ReturnType<typeof createDatabase>;
