/**
 * The lab network: a bridge `berthlab0` (10.250.0.1/24) in the root
 * namespace and one network namespace per host (berth-lab-hN, eth0 =
 * 10.250.0.(10+N)/24). Hosts have no default route, so nothing a test
 * starts can reach beyond the lab.
 */
import { sh } from './sh.js';

export const LAB_BRIDGE = 'berthlab0';
export const LAB_GATEWAY = '10.250.0.1';
export const NS_PREFIX = 'berth-lab-';

export const hostNs = (n: number) => `${NS_PREFIX}h${n}`;
export const hostAddr = (n: number) => `10.250.0.${10 + n}`;

export async function createBridge(): Promise<void> {
  await sh('ip', ['link', 'add', LAB_BRIDGE, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${LAB_GATEWAY}/24`, 'dev', LAB_BRIDGE]);
  await sh('ip', ['link', 'set', LAB_BRIDGE, 'up']);
}

export async function createHost(n: number): Promise<void> {
  const ns = hostNs(n);
  await sh('ip', ['netns', 'add', ns]);
  await sh('ip', ['link', 'add', `lab-h${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await sh('ip', ['link', 'set', `lab-h${n}`, 'master', LAB_BRIDGE, 'up']);
  await sh('ip', ['-n', ns, 'addr', 'add', `${hostAddr(n)}/24`, 'dev', 'eth0']);
  await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export async function setLink(n: number, up: boolean): Promise<void> {
  await sh('ip', ['-n', hostNs(n), 'link', 'set', 'eth0', up ? 'up' : 'down']);
}

/** removeNetwork deletes every lab namespace and the bridge (veths go with them). */
export async function removeNetwork(): Promise<void> {
  const { stdout } = await sh('ip', ['netns', 'list'], { allowFail: true });
  for (const line of stdout.split('\n')) {
    const ns = line.split(' ')[0];
    if (ns?.startsWith(NS_PREFIX)) await sh('ip', ['netns', 'del', ns], { allowFail: true });
  }
  await sh('ip', ['link', 'del', LAB_BRIDGE], { allowFail: true });
}

export async function leftoverNamespaces(): Promise<string[]> {
  const { stdout } = await sh('ip', ['netns', 'list'], { allowFail: true });
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((ns) => ns.startsWith(NS_PREFIX));
}

/**
 * httpGet asks host:port for / from inside host n's namespace with busybox nc
 * (busybox's static wget crashes inside a netns); resolves with the reply, "" when none.
 */
export async function httpGet(n: number, host: string, port: number): Promise<string> {
  const r = await sh('ip', ['netns', 'exec', hostNs(n), 'bash', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 ${host} ${port}`], { allowFail: true, timeoutMs: 10_000 });
  return r.stdout.includes('200 OK') ? r.stdout : '';
}
