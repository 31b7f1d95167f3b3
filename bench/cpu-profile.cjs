/**
 * Preload (`node --require bench/cpu-profile.cjs`, allowed in NODE_OPTIONS, unlike `--cpu-prof`
 * on Node 20) that does what `--cpu-prof` does: samples the whole life of the process with the
 * V8 profiler and writes `<CPU_PROFILE_DIR>/<service>.<pid>.cpuprofile` when it exits (open it
 * in Chrome DevTools → Performance, or speedscope). Sampling interval: CPU_PROFILE_INTERVAL_US
 * (default 1000 µs, as --cpu-prof-interval).
 */
'use strict';
const inspector = require('node:inspector');
const { writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.CPU_PROFILE_INTERVAL_US || 1000) });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // The in-thread inspector session answers synchronously, so this works in an 'exit' handler.
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      const name = process.env.EDGE_SERVICE || 'node';
      writeFileSync(join(dir, `${name}.${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  };
  process.on('exit', write);
}
