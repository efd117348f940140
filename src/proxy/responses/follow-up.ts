import { Errors } from '../../common/errors/gateway-error';
import type { ModelGroup } from '../router/model-group';
import type { RouterService } from '../router/router.service';
import { decodeResponseId } from './response-id';

/**
 * A Responses call with `previous_response_id`: the earlier response lives on the deployment that made it, so the
 * call goes to that deployment alone (its retries, no other deployment or fallback), with the id as that upstream
 * knows it. That deployment must serve the group the call names: for an id of another group the upstream id goes to
 * the group's deployments (they may share the upstream account), and an id the gateway did not make is passed on as
 * it is; they answer for it. Undefined: route as usual.
 */
export function followUpChain(
  payload: Record<string, unknown>,
  group: ModelGroup,
  router: RouterService,
): readonly ModelGroup[] | undefined {
  const previous = payload.previous_response_id;
  if (typeof previous !== 'string') return undefined;
  const ref = decodeResponseId(previous);
  if (ref === null) return undefined;
  const chain = router.pinned(ref.deploymentId);
  if (chain === undefined)
    throw Errors.notFound(
      'previous_response_id names a deployment that is not configured (any more)',
      'response_not_found',
      'previous_response_id',
    );
  payload.previous_response_id = ref.upstreamId;
  return chain[0].name === group.name ? chain : undefined;
}
