import type { ModelGroup } from './model-group';

/**
 * Wildcard model groups (`model_name: "*"`, `"openai/*"`, `"claude-*"`): a requested name no group has exactly is
 * served by the most specific pattern matching it (the longest literal text), as LiteLLM's pattern router does.
 */
export class WildcardGroups {
  private readonly patterns: readonly { re: RegExp; group: ModelGroup }[];

  constructor(groups: readonly ModelGroup[]) {
    this.patterns = groups
      .map((group) => ({ group, literal: group.name.replace(/\*/g, '').length }))
      .sort((a, b) => b.literal - a.literal)
      .map(({ group }) => ({ group, re: toRegExp(group.name) }));
  }

  match(name: string): ModelGroup | undefined {
    for (const p of this.patterns) if (p.re.test(name)) return p.group;
    return undefined;
  }
}

function toRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}
