import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMounts, MountError, parseMountFlag, parseSize, parseVolumeFlag } from './mounts.js';

test('-v: binds, named and anonymous volumes, options', () => {
  assert.deepEqual(parseVolumeFlag('/srv/data:/data:ro'), { type: 'bind', source: '/srv/data', target: '/data', readonly: true });
  assert.deepEqual(parseVolumeFlag('cache:/var/cache/'), { type: 'volume', source: 'cache', target: '/var/cache' });
  assert.deepEqual(parseVolumeFlag('/scratch'), { type: 'volume', source: '', target: '/scratch' });
  assert.deepEqual(parseVolumeFlag('/a:/b:rw,rslave'), { type: 'bind', source: '/a', target: '/b', propagation: 'rslave' });
  assert.throws(() => parseVolumeFlag('data:rel/path'), /must be an absolute path/);
  assert.throws(() => parseVolumeFlag('data:/x:rx'), /unknown option "rx"/);
  assert.throws(() => parseVolumeFlag('bad name!:/x'), /not a volume name/);
  assert.throws(() => parseVolumeFlag('a:b:c:d'), /\[SOURCE:\]TARGET/);
  assert.throws(() => parseVolumeFlag('x:/'), /below \//);
});

test('--mount: every type and key, with the field and reason on errors', () => {
  assert.deepEqual(parseMountFlag('type=tmpfs,target=/run/x,tmpfs-size=64m,tmpfs-mode=1770'), { type: 'tmpfs', source: '', target: '/run/x', tmpfsSize: 64 * 1024 ** 2, tmpfsMode: 0o1770 });
  assert.deepEqual(parseMountFlag('source=db,target=/var/lib/db,readonly,volume-opt=size=1g'), { type: 'volume', source: 'db', target: '/var/lib/db', readonly: true, volumeOptions: { size: '1g' } });
  assert.deepEqual(parseMountFlag('type=bind,src=/etc,dst=/host-etc,ro=true,bind-propagation=rshared'), { type: 'bind', source: '/etc', target: '/host-etc', readonly: true, propagation: 'rshared' });
  assert.throws(() => parseMountFlag('type=bind,source=etc,target=/x'), /absolute host path/);
  assert.throws(() => parseMountFlag('type=nfs,target=/x'), /volume, bind or tmpfs/);
  assert.throws(() => parseMountFlag('type=tmpfs,source=x,target=/x'), /no source/);
  assert.throws(() => parseMountFlag('type=volume,target=/x,tmpfs-size=1m'), /for tmpfs mounts/);
  assert.throws(() => parseMountFlag('type=volume,target=/x,color=red'), MountError);
  assert.throws(() => parseMountFlag('type=tmpfs,target=/x,tmpfs-mode=999'), /octal/);
  assert.equal(parseSize('512k', 'x'), 524288);
  assert.throws(
    () =>
      checkMounts([
        { type: 'tmpfs', source: '', target: '/x' },
        { type: 'volume', source: 'v', target: '/x/' },
      ]),
    /two mounts on \/x/,
  );
});
