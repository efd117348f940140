import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeResponseId, encodeIdsInAnswer, encodeResponseId } from '../../src/proxy/responses/response-id';
import { ResponsesRelay } from '../../src/proxy/responses/responses-relay';
import { boundaryOf, ModelFieldFilter } from '../../src/proxy/upload/model-field-filter';

describe('response ids in the client form', () => {
  it('round-trips the deployment and the upstream id, and refuses anything else', () => {
    for (const [dep, up] of [
      ['gpt#0', 'resp_abc'],
      ['my;odd id/é', 'resp_67ccd2bed1ec8190b14f'],
    ]) {
      const id = encodeResponseId(dep, up);
      assert.match(id, /^resp_[A-Za-z0-9_-]+$/);
      assert.deepEqual(decodeResponseId(id), { deploymentId: dep, upstreamId: up });
    }
    const good = encodeResponseId('d', 'resp_1');
    for (const bad of ['resp_abc', 'msg_x', '', `${good}=`, `${good.slice(0, -1)}*`, 'resp_' + 'Z3cxOw']) {
      assert.equal(decodeResponseId(bad), null, bad);
    }
  });

  it('rewrites the response id and previous_response_id of a JSON answer, nothing else', () => {
    const body = Buffer.from(
      JSON.stringify({ id: 'resp_1', previous_response_id: 'resp_0', output: [{ id: 'msg_1', text: 'resp_1 é' }] }),
    );
    const out = JSON.parse(encodeIdsInAnswer(body, 'dep').toString('utf8'));
    assert.equal(out.id, encodeResponseId('dep', 'resp_1'));
    assert.equal(out.previous_response_id, encodeResponseId('dep', 'resp_0'));
    assert.deepEqual(out.output, [{ id: 'msg_1', text: 'resp_1 é' }]);
    assert.equal(encodeIdsInAnswer(Buffer.from('not json'), 'dep').toString(), 'not json');
  });
});

describe('ResponsesRelay', () => {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const stream =
    ev('response.created', { response: { id: 'resp_9', status: 'in_progress', usage: null } }) +
    ev('response.output_text.delta', { item_id: 'msg_9', delta: 'Hé' }) +
    ev('response.completed', {
      response: { id: 'resp_9', status: 'completed', usage: { input_tokens: 12, output_tokens: 5, total_tokens: 17 } },
    });

  it('passes events through, ids in the client form, usage from response.completed, no [DONE]; at any chunking', () => {
    const bytes = Buffer.from(stream);
    const expected = stream.split('"resp_9"').join(`"${encodeResponseId('dep', 'resp_9')}"`);
    for (const size of [1, 2, 5, 17, 64, bytes.length]) {
      const relay = new ResponsesRelay('dep');
      const out: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(relay.push(bytes.subarray(i, i + size)));
      out.push(relay.finish());
      assert.equal(Buffer.concat(out).toString('utf8'), expected, `chunks of ${size}`);
      assert.deepEqual(relay.usage, { promptTokens: 12, completionTokens: 5 });
      assert.equal(relay.events, 3);
    }
  });

  it('ends a failed stream with an error event of the Responses API', () => {
    const e = new ResponsesRelay('dep').failure('The upstream stream failed: reset', 'upstream_error');
    assert.match(e, /^event: error\ndata: /);
    assert.deepEqual(JSON.parse(e.slice(e.indexOf('{'))), {
      type: 'error',
      code: 'upstream_error',
      message: 'The upstream stream failed: reset',
      param: null,
    });
  });
});

describe('ModelFieldFilter (multipart bodies streamed with their model field taken out)', () => {
  const B = 'XyZ-boundary-42';
  const file = Buffer.concat([
    Buffer.from('\r\n--XyZ-boundary-4\r\n--'),
    Buffer.alloc(3000, 0xab),
    Buffer.from('\r\n'),
  ]);
  const part = (name: string, value: Buffer | string, filename?: string) =>
    Buffer.concat([
      Buffer.from(
        `--${B}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n` +
          (filename ? 'Content-Type: audio/wav\r\n' : '') +
          '\r\n',
      ),
      Buffer.from(value),
      Buffer.from('\r\n'),
    ]);
  const body = (...parts: Buffer[]) => Buffer.concat([...parts, Buffer.from(`--${B}--\r\n`)]);

  function run(input: Buffer, size: number): { model: string | null; sent: Buffer } {
    const f = new ModelFieldFilter(B);
    const out: Buffer[] = [];
    for (let i = 0; i < input.length; i += size) f.push(input.subarray(i, i + size), out);
    f.end(out);
    const prefix = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="model"\r\n\r\nupstream-model`);
    return { model: f.model, sent: Buffer.concat([prefix, ...out]) };
  }

  it('takes the model field out wherever it is and keeps every other byte, at any chunking', () => {
    for (const order of ['file-first', 'model-first']) {
      const parts =
        order === 'file-first'
          ? [part('file', file, 'a.wav'), part('model', 'whisper-group'), part('language', 'en')]
          : [part('model', 'whisper-group'), part('file', file, 'a.wav'), part('language', 'en')];
      const input = body(...parts);
      const expected = body(part('model', 'upstream-model'), part('file', file, 'a.wav'), part('language', 'en'));
      for (const size of [1, 2, 3, 7, 19, 64, 1000, input.length]) {
        const { model, sent } = run(input, size);
        assert.equal(model, 'whisper-group', `${order}, chunks of ${size}`);
        assert.ok(sent.equals(expected), `${order}, chunks of ${size}`);
      }
    }
  });

  it('drops a preamble, keeps the first of two model fields, and reads no model when there is none', () => {
    const twice = body(part('model', 'first'), part('model', 'second'), part('file', 'x', 'a.wav'));
    assert.equal(run(Buffer.concat([Buffer.from('preamble text\r\n'), twice]), 5).model, 'first');
    assert.equal(run(body(part('file', 'x', 'a.wav')), 4).model, null);
    assert.throws(() => run(body(part('model', 'm'.repeat(2000))), 100), /too long/);
  });

  it('reads the boundary of a multipart content type only', () => {
    assert.equal(boundaryOf('multipart/form-data; boundary=abc'), 'abc');
    assert.equal(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(boundaryOf('application/json'), null);
    assert.equal(boundaryOf('multipart/form-data'), null);
    assert.equal(boundaryOf(undefined), null);
  });
});
