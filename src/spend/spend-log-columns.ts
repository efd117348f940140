import type { SpendLogRow } from './spend-log-row';

/** Deployments' columns kept at most: deployments are few, but a client's `model` is not. */
const MAX_DEPLOYMENTS = 1_000;

interface DeploymentColumns<T> {
  readonly model: string;
  readonly apiBase: string | null;
  readonly value: T;
}

/**
 * A row's deployment columns (`model` to `api_base`), encoded once per deployment id and reused while they repeat (a
 * group's calls alternate between its deployments).
 */
export class DeploymentMemo<T> {
  private readonly deployments = new Map<string, DeploymentColumns<T>>();

  constructor(private readonly encodeDeployment: (r: SpendLogRow) => T) {}

  deployment(r: SpendLogRow): T {
    const known = r.modelId === null ? undefined : this.deployments.get(r.modelId);
    if (known !== undefined && known.model === r.model && known.apiBase === r.apiBase) return known.value;
    const value = this.encodeDeployment(r);
    if (r.modelId !== null) {
      if (this.deployments.size >= MAX_DEPLOYMENTS) this.deployments.clear();
      this.deployments.set(r.modelId, { model: r.model, apiBase: r.apiBase, value });
    }
    return value;
  }
}

/**
 * A row's caller columns (`call_type` to `end_user`) and deployment columns, encoded once and reused while they
 * repeat: the caller's while it equals the previous row's (a batch is mostly one caller's calls), the deployment's
 * as DeploymentMemo. Each row encoding has one.
 */
export class ColumnMemo<T> extends DeploymentMemo<T> {
  private previous: SpendLogRow | undefined;
  private previousCaller!: T;

  constructor(
    private readonly encodeCaller: (r: SpendLogRow) => T,
    encodeDeployment: (r: SpendLogRow) => T,
  ) {
    super(encodeDeployment);
  }

  caller(r: SpendLogRow): T {
    const p = this.previous;
    if (p !== undefined && sameCaller(r, p)) return this.previousCaller;
    this.previous = r;
    this.previousCaller = this.encodeCaller(r);
    return this.previousCaller;
  }
}

/** The two rows have the same caller columns (`call_type` to `end_user`). */
export function sameCaller(r: SpendLogRow, p: SpendLogRow): boolean {
  return (
    r.callType === p.callType &&
    r.apiKey === p.apiKey &&
    r.keyAlias === p.keyAlias &&
    r.teamId === p.teamId &&
    r.user === p.user &&
    r.endUser === p.endUser
  );
}

/** The two rows have the same deployment columns (`model` to `api_base`). */
export function sameDeployment(r: SpendLogRow, p: SpendLogRow): boolean {
  return r.modelId === p.modelId && r.model === p.model && r.apiBase === p.apiBase;
}
