import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPublish, hostPortKey, parsePublish, PortError } from './ports.js';

test('published ports parse as docker writes them, with clear errors', () => {
  assert.deepEqual(parsePublish('8080:80'), { hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  assert.equal(formatPublish(parsePublish('53:5353/udp')), '53:5353/udp');
  assert.equal(hostPortKey(parsePublish('53:5353/udp')), 'udp/53');
  assert.deepEqual(parsePublish('80'), { hostPort: 0, containerPort: 80, protocol: 'tcp' }, 'a random host port');
  assert.deepEqual(parsePublish('53/udp'), { hostPort: 0, containerPort: 53, protocol: 'udp' });
  assert.equal(parsePublish('0:80').hostPort, 0, 'host port 0 is any port, as in Docker');
  assert.throws(() => parsePublish('70000:80'), /host port .* from 1 to 65535/);
  assert.throws(() => parsePublish('80:70000'), /container port/);
  assert.throws(() => parsePublish('80:80/sctp'), /tcp or udp/);
  assert.throws(() => parsePublish('a:b:c'), PortError);
});
