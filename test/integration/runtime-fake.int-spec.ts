// The Runtime conformance suite on the in-memory fake (test/fixtures/fake-runtime.ts): the fake
// keeps the contract the tests built on it rely on.
import { plainConfig, runtimeConformance, type Program } from '../conformance/runtime.conformance.js';
import { FakeRuntime, fakeCommand } from '../fixtures/fake-runtime.js';

runtimeConformance(
  'fake',
  async () => ({
    runtime: new FakeRuntime(),
    config: (id, program: Program, etc) =>
      plainConfig(id, etc, { layers: [], image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, command: fakeCommand(program), env: [] }),
  }),
  async () => {},
);
