// The overhead benchmark's tables and targets, from its results (for the terminal and the README).
import { fmt } from '../lib/table.js';

const names = (o) => Object.keys(o.throughput.result);

export function throughputTable(o, rounds = o.rounds ?? o.throughput.rounds) {
  const pq = o.throughput.result['p-queue'].perSecond;
  return {
    title: `schedule() throughput, no-op tasks, ${o.concurrency} at a time (median of ${rounds} rounds)`,
    header: ['library', 'tasks/s', 'vs p-queue', 'µs/task', 'batch'],
    rows: names(o).map((n) => {
      const r = o.throughput.result[n];
      return [r.label, fmt(r.perSecond), `${fmt(r.perSecond / pq, 2)}×`, fmt(1e6 / r.perSecond, 2), r.batch];
    }),
  };
}

export function memoryTable(o, runs = o.heapRuns ?? o.heap['p-queue'].runs.length) {
  const pq = o.heap['p-queue'].bytesPerJob;
  return {
    title: `memory per queued job, ${fmt(o.queuedJobs)} queued (median of ${runs} processes)`,
    header: ['library', 'bytes/job', 'JS heap', 'external (wasm)', 'vs p-queue'],
    rows: names(o).map((n) => {
      const h = o.heap[n];
      return [o.throughput.result[n].label, fmt(h.bytesPerJob), fmt(h.heapBytesPerJob), fmt(h.externalBytesPerJob), `${fmt(h.bytesPerJob / pq, 2)}×`];
    }),
  };
}

export function overheadTargets(o) {
  const pq = o.throughput.result['p-queue'].perSecond;
  const sl = o.throughput.result.sluice.perSecond;
  const pqHeap = o.heap['p-queue'].bytesPerJob;
  const slHeap = o.heap.sluice.bytesPerJob;
  return [
    { id: 'throughput', target: "sluice's schedule() throughput ≥ p-queue's", figure: `${fmt(sl)} vs ${fmt(pq)} tasks/s (${fmt(sl / pq, 2)}×)`, met: sl >= pq },
    { id: 'heap', target: "heap per queued job ≤ p-queue's", figure: `${fmt(slHeap)} vs ${fmt(pqHeap)} bytes/job (${fmt(slHeap / pqHeap, 2)}×)`, met: slHeap <= pqHeap },
  ];
}
