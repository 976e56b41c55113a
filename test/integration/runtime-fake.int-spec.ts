// The Runtime conformance suite on the in-memory fake (test/fixtures/fake-runtime.ts): the fake
// keeps the contract the tests built on it rely on.
import { runtimeConformance, type Program } from '../conformance/runtime.conformance.js';
import { FakeRuntime, fakeCommand } from '../fixtures/fake-runtime.js';

runtimeConformance(
  'fake',
  async () => ({
    runtime: new FakeRuntime(),
    config: (id, program: Program, etc) => ({
      id,
      layers: [],
      image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
      command: fakeCommand(program),
      env: [],
      hostname: id.slice(0, 12),
      network: 'none',
      user: { uid: 0, gid: 0 },
      etc,
      volumes: [],
      mounts: [],
      metadata: {},
    }),
  }),
  async () => {},
);
