import { Errors } from '../../common/errors/gateway-error';
import type { Deployment } from './deployment';
import { ModelGroup } from './model-group';
import type { Strategy } from './strategies';

/** Filtered groups kept for reuse: the tags a client sends bound nothing, so the memo is emptied when full. */
const MAX_MEMO = 1000;

/**
 * LiteLLM's tag-based routing (`router_settings.enable_tag_filtering`): a call with tags goes to the deployments of
 * its group that have any of them (all of them when `tag_filtering_match_any` is false), else to those tagged
 * `default`; a call without tags goes to the `default` ones, else to any. A group none of whose deployments has tags
 * is left as it is. The filtered groups share the deployments, so health, usage and cooldowns stay one.
 */
export class TagRouting {
  private readonly memo = new Map<string, ModelGroup>();

  constructor(
    private readonly matchAny: boolean,
    private readonly strategy: Strategy | null,
  ) {}

  pick(group: ModelGroup, tags: readonly string[] | undefined): ModelGroup {
    if (!group.deployments.some((d) => d.config.tags?.length)) return group;
    const memoKey = `${group.name}\u0000${tags ? [...tags].sort().join('\u0000') : ''}`;
    const known = this.memo.get(memoKey);
    if (known) return known;
    const chosen = this.filter(group, tags);
    if (this.memo.size >= MAX_MEMO) this.memo.clear();
    this.memo.set(memoKey, chosen);
    return chosen;
  }

  private filter(group: ModelGroup, tags: readonly string[] | undefined): ModelGroup {
    const defaults = group.deployments.filter((d) => d.config.tags?.includes('default'));
    let chosen: readonly Deployment[];
    if (tags && tags.length > 0) {
      const matching = group.deployments.filter((d) => this.matches(d.config.tags ?? [], tags));
      chosen = matching.length > 0 ? matching : defaults;
      if (chosen.length === 0)
        throw Errors.badRequest(
          `No deployment of model=${group.name} serves the tags [${tags.join(', ')}] (tag-based routing) and none is tagged "default"`,
          'tags',
          'no_deployments_with_tag',
        );
    } else chosen = defaults.length > 0 ? defaults : group.deployments;
    return chosen.length === group.deployments.length ? group : new ModelGroup(group.name, chosen, this.strategy);
  }

  private matches(own: readonly string[], asked: readonly string[]): boolean {
    return this.matchAny ? asked.some((t) => own.includes(t)) : asked.every((t) => own.includes(t));
  }
}
