/**
 * The API's one error shape, `{"error": {"code", "message"}}`, the errors the features throw, and
 * the one error handler that turns them into responses: client errors keep their message, an
 * unavailable database is a 503 with Retry-After, other server errors are logged and hidden.
 */
import type { FastifyError, FastifyInstance } from 'fastify';

/** The database could not be reached or did not answer in time (src/db/database.ts throws it). */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/** An error the client should see as-is, with its HTTP status and a stable machine code. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

/** Stable codes for Fastify's own client errors (body parsing, validation, routing). */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_VALIDATION: 'invalid_request',
};

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (err instanceof AppError) {
      return reply.code(err.statusCode).headers(err.headers).send({ error: { code: err.code, message: err.message } });
    }
    if (err instanceof DatabaseUnavailableError) {
      request.log.warn({ err: err.message }, 'database unavailable');
      return reply.code(503).header('Retry-After', 5).send({ error: { code: 'database_unavailable', message: 'The database is unavailable; try again shortly.' } });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = FASTIFY_CODES[(err as FastifyError).code] ?? (err instanceof SyntaxError ? 'invalid_json' : 'bad_request');
      return reply.code(status).send({ error: { code, message: err.message } });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'Internal server error' } });
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: 'No such route' } });
  });
}
