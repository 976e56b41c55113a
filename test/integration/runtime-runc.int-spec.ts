// The Runtime conformance suite on the real runc runtime (conmon + runc over overlayfs), with
// busybox from a Berth registry, in a network namespace and a temporary state dir of the test's own.
import { ImageService, type LocalImage } from '../../apps/agent/src/images/image-service.js';
import { createRuntime } from '../../apps/agent/src/runtime/index.js';
import { plainConfig, runtimeConformance, type Program } from '../conformance/runtime.conformance.js';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';

/** command: a Program as busybox commands; output comes through the environment, so nothing needs quoting. */
function command(p: Program): { command: string[]; env: string[] } {
  switch (p.kind) {
    case 'print':
      return { command: ['sh', '-c', `printf '%s' "$OUT"; printf '%s' "$ERR" >&2; exit ${p.exit}`], env: [`OUT=${p.stdout}`, `ERR=${p.stderr}`] };
    case 'cat':
      return { command: ['cat', { hosts: '/etc/hosts', hostname: '/etc/hostname', resolvConf: '/etc/resolv.conf' }[p.file]], env: [] };
    case 'serve':
      // As pid 1, sleep ignores SIGTERM (no handler): only the trap makes it end on the stop signal.
      return p.onStop === undefined ? { command: ['sleep', '60'], env: [] } : { command: ['sh', '-c', `trap 'exit ${p.onStop}' TERM; while :; do sleep 1; done`], env: [] };
  }
}

if (await ownNetns(import.meta.url)) {
  const h = runtimeHost();
  let image: LocalImage;
  runtimeConformance(
    'runc',
    async () => {
      await h.setup();
      image = await new ImageService(h.cfg.stateDir, h.cfg.insecureRegistries).ensure(h.image);
      const runtime = await createRuntime(h.cfg);
      return {
        runtime,
        config: (id, program, etc) => plainConfig(id, etc, { layers: image.layerDirs, image: image.config, ...command(program) }),
      };
    },
    () => h.cleanup(),
    { skip: h.skip || undefined },
  );
}
