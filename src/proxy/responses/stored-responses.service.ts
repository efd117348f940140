import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';
import { sendRaw } from '../../common/http/raw-head';
import { CALL_ACCOUNTING, type CallAccounting } from '../call-accounting';
import { CLIENT_ABORT, ClientAbort, ClientGoneError } from '../call-context';
import { exhaustedError, type FailedAttempt } from '../router/exhausted-error';
import { RouterService } from '../router/router.service';
import { callUpstream, type UpstreamAnswer } from '../upstream/upstream-call';
import { upstreamClientError } from '../upstream/upstream-error';
import { failureFromError, failureFromStatus, isRetryableStatus } from '../upstream/upstream-failure';
import { decodeResponseId, encodeIdsInAnswer } from './response-id';

/** What may follow a stored response's id in the path. */
export type StoredPart = '' | '/input_items' | '/cancel';

/**
 * `GET` / `DELETE /responses/{id}`, `GET /responses/{id}/input_items`, `POST /responses/{id}/cancel`: sent to the
 * deployment the id names (response-id.ts), as a call of its model group: the caller must be allowed that group
 * and is admitted (limits) as for a model call; retries on that deployment only, before any answer.
 */
@Injectable()
export class StoredResponses {
  constructor(
    private readonly router: RouterService,
    @Inject(CALL_ACCOUNTING) private readonly accounting: CallAccounting,
  ) {}

  async handle(
    method: 'GET' | 'DELETE' | 'POST',
    id: string,
    part: StoredPart,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const started = performance.now();
    const ref = decodeResponseId(id);
    const chain = ref && this.router.pinned(ref.deploymentId);
    const at = chain?.[0].deployments[0].endpoint.responsePath;
    if (!ref || !chain || !at) {
      const shown = id.length > 100 ? `${id.slice(0, 100)}...` : id;
      throw Errors.notFound(
        `Response '${shown}' not found: not an id this gateway gave out, or its deployment is no longer configured`,
        'response_not_found',
        'response_id',
      );
    }
    const group = chain[0];
    const d = group.deployments[0];
    const admitted = this.accounting.admit(req.caller as Caller, group.name);
    const admission = admitted instanceof Promise ? await admitted : admitted;
    const abort = new ClientAbort();
    reply[CLIENT_ABORT] = abort;
    const q = req.url.indexOf('?');
    const path = at(ref.upstreamId, part, q === -1 ? '' : req.url.slice(q + 1));
    const failed: FailedAttempt[] = [];
    let ok = false;
    try {
      for (let n = 0; n <= this.router.numRetries && d.usable(Date.now()); n++) {
        let res: UpstreamAnswer;
        try {
          res = await callUpstream(
            d.pool,
            {
              method,
              path,
              headers: d.endpoint.headers,
              body: method === 'POST' ? '{}' : null,
              headersTimeout: d.timeoutMs,
              bodyTimeout: d.timeoutMs,
            },
            abort,
            false,
          );
        } catch (err) {
          if (abort.aborted) throw new ClientGoneError();
          failed.push({ deployment: d.id, failure: failureFromError(err) });
          d.health.fail(Date.now());
          continue;
        }
        const status = res.statusCode;
        const encoded = res.headers.contentEncoding !== undefined && res.headers.contentEncoding !== 'identity';
        if (status >= 200 && status < 300) {
          const body = part === '/input_items' || encoded ? res.body! : encodeIdsInAnswer(res.body!, d.id);
          const head = [
            'content-type',
            res.headers.contentType ?? 'application/json',
            'x-litellm-model-id',
            d.headerId,
          ];
          if (encoded) head.push('content-encoding', res.headers.contentEncoding!);
          sendRaw(reply, status, head, body);
          ok = true;
          return;
        }
        if (!isRetryableStatus(status))
          throw upstreamClientError(status, res.body!, res.headers.contentType, d.config.apiKey, encoded);
        failed.push({ deployment: d.id, failure: failureFromStatus(status, res.headers.retryAfter) });
        d.health.fail(Date.now());
      }
      throw exhaustedError(chain, failed, Date.now());
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      throw err;
    } finally {
      admission.done({
        modelGroup: group.name,
        deploymentId: d.id,
        promptTokens: 0,
        completionTokens: 0,
        cost: 0,
        latencyMs: performance.now() - started,
        ok,
      });
    }
  }
}
