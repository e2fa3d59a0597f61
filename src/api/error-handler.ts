// How every refusal and failure is answered: a RapportError as its catalogue status and body
// (with Retry-After when it names one), a framework 4xx (a bad body, an unknown route) as
// RAPPORT_API_BAD_REQUEST, anything else as a logged 500 that says no more than that.
import type { FastifyInstance } from 'fastify';
import { isRapportError } from '../errors/index.ts';
import { drainRequest } from './drain.ts';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (error, request, reply) => {
    const refusedStatus = isRapportError(error)
      ? error.status
      : (error as { statusCode?: number }).statusCode;
    if (refusedStatus === 413) await drainRequest(request.raw);
    if (isRapportError(error)) {
      const retryAfter = error.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('Retry-After', String(retryAfter));
      if (error.kind !== 'user') request.log.warn({ code: error.code }, error.message);
      return reply.code(error.status).send(error.toJSON());
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) {
      return reply.code(status).send({ error: 'RAPPORT_API_BAD_REQUEST', message: (error as Error).message });
    }
    request.log.error(error);
    return reply.code(500).send({ error: 'RAPPORT_INTERNAL', message: 'internal error; it has been logged' });
  });
}
