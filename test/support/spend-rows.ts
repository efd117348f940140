import type { SpendLogRow } from '../../src/spend/spend-log-row';

/** A spend log row of no caller and no deployment, for writing straight to the store; `over` replaces fields. */
export function plainRow(id: string, at: number, spend: number, over: Partial<SpendLogRow> = {}): SpendLogRow {
  return {
    id,
    requestId: id,
    callType: 'acompletion',
    apiKey: null,
    keyAlias: null,
    teamId: null,
    user: null,
    endUser: null,
    model: 'm',
    modelId: null,
    apiBase: null,
    promptTokens: 1,
    completionTokens: 1,
    spend,
    startTime: at,
    endTime: at,
    completionStartTime: at,
    status: 'success',
    statusCode: 200,
    requestTags: [],
    ...over,
  };
}
