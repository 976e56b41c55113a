import { Lab } from '/work/main/dist/test/lab/lab.js';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
const cpuOf = (pid) => { try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100; } catch { return 0; } };
const byComm = () => { const m = {}; for (const p of readdirSync('/proc').filter(x => /^\d+$/.test(x))) { let c; try { c = readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { continue; } m[c] = (m[c] ?? 0) + cpuOf(p); } return m; };
const total = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number); return (f[0] + f[1] + f[2] + f[5] + f[6]) / 100; };
const lab = await Lab.start({ hosts: 3, controllers: 1 });
try {
  if (process.env.HOSTV6 === 'off') for (const n of [1,2,3]) execFileSync('ip', ['netns', 'exec', `berth-lab-h${n}`, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.all.disable_ipv6=1']);
  await lab.api('POST', '/services', { name: 'w', image: 'busybox', replicas: 3, command: ['sleep', '3600'] });
  for (;;) { const r = (await lab.api('GET', '/services/w')).body; if (r.running === 3) break; await new Promise(r => setTimeout(r, 200)); }
  const b = byComm(); const tb = total(); const t0 = Date.now();
  await lab.api('POST', '/services', { name: 'b', image: 'busybox', replicas: 100, command: ['sleep', '3600'] });
  for (;;) { const r = (await lab.api('GET', '/services/b')).body; if (r.running === 100) break; await new Promise(r => setTimeout(r, 200)); }
  const a = byComm(); const ta = total();
  console.log('elapsed', Date.now() - t0, 'machine busy', (ta - tb).toFixed(2));
  const d = Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]).filter(([, v]) => v > 0.1).sort((x, y) => y[1] - x[1]);
  console.log(d.slice(0, 8).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(' '));
} finally { await lab.stop(); }
