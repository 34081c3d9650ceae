// Unit tests for the streaming subresources' wire formats: channel messages (v4, v5 close), resize, exit statuses,
// protocol negotiation and the options kube-apiserver checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloeError } from '../api/errors.js';
import { Channel, channelFrame, exitStatus, forwardedPorts, negotiate, parseChannelMessage, parseResize, StreamProtocol, streamRequest } from './streaming.js';

describe('channel messages', () => {
  test('a message is the channel byte, then the data; parsing gives both back', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 254 }), fc.uint8Array({ maxLength: 256 }), fc.boolean(), (channel, bytes, v5) => {
      const frame = channelFrame(channel, Buffer.from(bytes));
      assert.equal(frame[0], channel);
      assert.deepEqual(parseChannelMessage(frame, v5), { kind: 'data', channel, data: Buffer.from(bytes) });
    }));
  });

  test('v5 reads 255 followed by one channel byte as that channel closing; v4 has no such signal', () => {
    assert.deepEqual(parseChannelMessage(Buffer.from([Channel.close, Channel.stdin]), true), { kind: 'close', channel: 0 });
    assert.deepEqual(parseChannelMessage(Buffer.from([Channel.close, 0, 1]), true), { kind: 'invalid' });
    assert.deepEqual(parseChannelMessage(Buffer.from([Channel.close, 0]), false), { kind: 'data', channel: 255, data: Buffer.from([0]) });
    assert.deepEqual(parseChannelMessage(Buffer.alloc(0), true), { kind: 'invalid' });
  });

  test('an empty message on a channel is valid (the server sends one on the first output channel)', () => {
    assert.deepEqual(parseChannelMessage(channelFrame(Channel.stdout, Buffer.alloc(0)), true), { kind: 'data', channel: 1, data: Buffer.alloc(0) });
  });

  test('resize messages are client-go\'s TerminalSize JSON', () => {
    assert.deepEqual(parseResize('{"Width":120,"Height":40}'), { width: 120, height: 40 });
    assert.equal(parseResize('{"width":1}'), undefined);
    assert.equal(parseResize('not json'), undefined);
  });
});

describe('exit statuses (the error channel, remote command v4 and v5)', () => {
  test('exit 0 is Success', () => {
    assert.deepEqual(exitStatus({ kind: 'exited', code: 0 }), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
  });

  test('another code is NonZeroExitCode with the code as an ExitCode cause, clamped to 8 bits', () => {
    const status = exitStatus({ kind: 'exited', code: 3 }) as { status: string; reason: string; details: { causes: { reason: string; message: string }[] } };
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    const big = exitStatus({ kind: 'exited', code: 300 }) as typeof status;
    assert.equal(big.details.causes[0]!.message, '255');
  });

  test('a command that could not run is an InternalError whose message kubectl prints', () => {
    const status = exitStatus({ kind: 'failed', message: 'exec: "x": executable file not found in $PATH' }) as { status: string; reason: string; message: string; code: number };
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'InternalError');
    assert.equal(status.code, 500);
    assert.match(status.message, /executable file not found/);
  });
});

describe('protocol negotiation', () => {
  test('exec and attach: v5 or v4 over WebSocket, the client\'s order deciding; v4 over SPDY', () => {
    assert.equal(negotiate('exec', 'websocket', ['v5.channel.k8s.io']), StreamProtocol.v5);
    assert.equal(negotiate('exec', 'websocket', ['v4.channel.k8s.io', 'v5.channel.k8s.io']), StreamProtocol.v4);
    assert.equal(negotiate('attach', 'websocket', ['channel.k8s.io', 'v5.channel.k8s.io']), StreamProtocol.v5);
    assert.equal(negotiate('exec', 'websocket', ['base64.channel.k8s.io']), undefined);
    assert.equal(negotiate('exec', 'spdy', ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io']), StreamProtocol.v4);
  });

  test('port-forward: SPDY tunnelled in a WebSocket (kubectl), channels over WebSocket (Python client), or SPDY', () => {
    assert.equal(negotiate('portforward', 'websocket', ['SPDY/3.1+portforward.k8s.io']), StreamProtocol.tunnelledPortForward);
    assert.equal(negotiate('portforward', 'websocket', ['v4.channel.k8s.io']), StreamProtocol.v4);
    assert.equal(negotiate('portforward', 'spdy', ['portforward.k8s.io']), StreamProtocol.portForward);
    assert.equal(negotiate('portforward', 'spdy', ['v4.channel.k8s.io']), undefined);
  });
});

describe('request options', () => {
  const q = (text: string): URLSearchParams => new URLSearchParams(text);

  test('exec: repeated command parameters, booleans as Go parses them, the container', () => {
    assert.deepEqual(streamRequest('exec', q('command=sh&command=-c&command=echo+hi&stdin=true&stdout=1&stderr=True&tty=false&container=main')), {
      stdin: true, stdout: true, stderr: true, tty: false, container: 'main', command: ['sh', '-c', 'echo hi'],
    });
  });

  test('kube-apiserver\'s refusals: no command, no stream', () => {
    const refused = (fn: () => unknown, message: RegExp): void => {
      assert.throws(fn, (err: unknown) => err instanceof FloeError && err.reason === 'BadRequest' && message.test(err.message));
    };
    refused(() => streamRequest('exec', q('stdout=true')), /at least 1 command/);
    refused(() => streamRequest('exec', q('command=ls')), /at least one of stdin, stdout, stderr/);
    refused(() => streamRequest('attach', q('tty=true')), /at least one of stdin, stdout, stderr/);
    assert.deepEqual(streamRequest('attach', q('stdout=true&stderr=true')), { stdin: false, stdout: true, stderr: true, tty: false });
  });

  test('port-forward ports: repeated or comma-separated, under either name, each 1-65535', () => {
    assert.deepEqual(forwardedPorts(q('ports=80,8080&port=9000')), [80, 8080, 9000]);
    for (const bad of ['', 'ports=0', 'ports=70000', 'ports=http', 'ports=1.5']) {
      assert.throws(() => forwardedPorts(q(bad)), (err: unknown) => err instanceof FloeError && err.reason === 'BadRequest');
    }
  });
});
