'use strict';
// A spend log row as the gateway hands it to its writer (SpendLogRow): a virtual key's call to one deployment, with
// `team` a team, a user and an end user on it. One literal for the benches that encode or store rows, so they
// measure the same row.

/** `completionStartTime` is `endTime`: a JSON answer's first byte is its last. */
function spendRow(id, requestId, apiKey, team, startTime, endTime) {
  return {
    id,
    requestId,
    callType: 'acompletion',
    apiKey,
    keyAlias: null,
    teamId: team ? 'team-bench' : null,
    user: team ? 'user-bench' : null,
    endUser: team ? 'end-user-1' : null,
    model: 'bench-model',
    modelId: 'f2a9c1d0-3b4e-4f5a-8b6c-7d8e9f0a1b2c',
    apiBase: 'http://127.0.0.1:40000',
    promptTokens: 12,
    completionTokens: 30,
    spend: 0.00007,
    startTime,
    endTime,
    completionStartTime: endTime,
    status: 'success',
    statusCode: 200,
    requestTags: [],
  };
}

module.exports = { spendRow };
