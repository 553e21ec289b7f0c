// The cluster mode jobs (issue 17): the document workloads again, on three replicas behind one
// Redis, each beside one process in the same run, plus failover and viewers per replica. Their
// ids start with `cluster` (npm run bench:cluster runs them alone).
import type { BenchConfig } from '../config.js';
import { CLUSTER_REPLICAS } from '../servers/tandem-cluster.js';
import type { Job, Target } from './index.js';

const ONE_PROCESS: Target = { key: 'one', label: 'one process', server: 'tandem', role: 'baseline' };
const CLUSTER: Target = { key: 'cluster', label: `${CLUSTER_REPLICAS} replicas`, server: 'tandem-cluster', role: 'tandem' };
// No kernels started ahead in the document workloads: three replicas would start three while
// they are measured, on two cores.
const NO_POOL = ['--warm-pool', '0'];
const TARGETS: Target[] = [CLUSTER, ONE_PROCESS].map((t) => ({ ...t, serverArgs: NO_POOL }));

const ROUNDS = (rounds: number): string =>
  rounds > 1 ? ` ${rounds} rounds, the two columns alternated, each a fresh server; every figure is the median of the rounds.` : '';
const SPREAD = `Both with \`--warm-pool 0\`. On the cluster the clients are spread evenly over the ${CLUSTER_REPLICAS} replicas (client i on replica i mod ${CLUSTER_REPLICAS}); the room is opened on the first, which owns the notebook. Server CPU is that of every replica and Redis together; server memory is the largest replica's.`;

export function clusterJobs(c: BenchConfig): Job[] {
  const k = c.cluster;
  const jobs: Job[] = [];
  for (const p of k.propagation) {
    jobs.push({
      id: `cluster-propagation-${p.observers}`,
      suite: 'propagation',
      section: 'cluster',
      title: `Cluster: propagation, ${p.observers} observers`,
      workload: `One writer types ${p.editsPerSecond} edits/s at the end of a cell for ${p.seconds} s (the first ${p.warmupSeconds} s unmeasured); ${p.observers} read-only observers (viewer share links) receive them. ${SPREAD} The writer is on the owner; on the other replicas an edit arrives through the shared log (the owner's XADD, their XREAD).${ROUNDS(k.rounds)}`,
      params: p,
      targets: TARGETS,
      rounds: k.rounds,
    });
  }
  const j = k.join;
  jobs.push({
    id: 'cluster-join',
    suite: 'join',
    section: 'cluster',
    title: `Cluster: join storm, ${j.clients} clients`,
    workload: `${j.clients} clients open the same ${(j.notebookBytes / 1e6).toFixed(1)} MB notebook (the synthetic analysis notebook, fixed seed) at the same moment; the room is already open (on the cluster, on every replica: the first join on a replica that has no copy yet, which fetches it from the owner, is timed apart). ${SPREAD} Time runs from the storm's start to each client's receipt of the whole state. Timeout ${j.timeoutSeconds} s.${ROUNDS(k.rounds)}`,
    params: j,
    targets: TARGETS,
    rounds: k.rounds,
    timeoutSeconds: j.timeoutSeconds + 120,
  });
  const p = k.presence;
  jobs.push({
    id: 'cluster-presence',
    suite: 'presence',
    section: 'cluster',
    title: `Cluster: presence, ${p.clients} editors`,
    workload: `${p.clients} editors each send an awareness update (cursor, with its send time) ${p.awarenessHz}×/s, at random phases, while one writer types ${p.editsPerSecond} edits/s; measured over ${p.seconds - p.warmupSeconds} s after ${p.warmupSeconds} s of warm-up. Edit latency is the writer's edits at all ${p.clients} clients; cursor latency is every other client's cursor at one client in 25. ${SPREAD} The writer is on the owner; presence crosses replicas by Redis pub/sub.${ROUNDS(k.rounds)}`,
    params: p,
    targets: TARGETS,
    rounds: k.rounds,
  });
  const f = k.failover;
  jobs.push({
    id: 'cluster-failover',
    suite: 'failover',
    section: 'cluster',
    title: 'Cluster: failover after kill -9 of the owner',
    workload: `A notebook is open on every replica (an editor on each) and has run a cell; its owner is killed with SIGKILL. Time runs from the kill to the first \`POST /api/notebooks/{fileId}/execute\` a surviving replica accepts (asked every 50 ms; 503 while nobody owns the notebook), and to that run's output in an editor's document on a third replica (a kernel starts on the new owner). ${f.repetitions} repetition${f.repetitions === 1 ? '' : 's'} per column, each on a fresh notebook, killing its owner and then starting the dead replica again. Lease: \`--lease\` (5 s by default). One process has nobody to take over: its column is kill -9 and an immediate restart on the same root and port, as a supervisor would, then the same request and an editor reconnecting for the output.`,
    params: f,
    targets: [
      ...k.leaseSeconds.map(
        (s): Target => ({
          key: `lease-${s}`,
          label: `${CLUSTER_REPLICAS} replicas, lease ${s} s`,
          server: 'tandem-cluster',
          serverArgs: ['--lease', String(s)],
          role: 'tandem',
        }),
      ),
      { ...ONE_PROCESS, label: 'one process, restarted at once' },
    ],
    timeoutSeconds: 120 + f.repetitions * (2 * f.timeoutSeconds + 30),
  });
  const v = k.viewers;
  jobs.push({
    id: 'cluster-viewers',
    suite: 'viewers',
    section: 'cluster',
    title: 'Cluster: viewers per replica',
    workload: `${v.viewersPerReplica} read-only viewers per process on one ${(v.notebookBytes / 1e3).toFixed(0)} KB notebook: ${v.viewersPerReplica} on one process, ${v.viewersPerReplica * CLUSTER_REPLICAS} on the cluster (${v.viewersPerReplica} on each replica). Settled RSS of each process before and after they join.`,
    params: v,
    targets: TARGETS,
  });
  return jobs;
}
