import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ESLint } from 'eslint';

/**
 * The module boundaries of ARCHITECTURE §3 are enforced by lint: a wrong import is an error.
 * Each case lints a one-line file placed (virtually) inside a project.
 */
const root = join(__dirname, '..', '..');

describe('module boundaries', () => {
  let eslint: ESLint;
  beforeAll(() => {
    // The rule reads Nx's project graph; build it as `npm run lint` does.
    execFileSync('npx', ['nx', 'show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' }, stdio: 'ignore' });
    eslint = new ESLint({ cwd: root });
  }, 600_000);

  async function errors(file: string, code: string): Promise<string[]> {
    const [r] = await eslint.lintText(code, { filePath: join(root, file) });
    return r.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it.each([
    ['contracts imports a lib', 'libs/contracts/src/x.ts', "import { sleep } from '@edge/platform';\nexport const x = sleep;", /cannot depend on any libs|Circular dependency/],
    ['contracts imports a package other than zod', 'libs/contracts/src/x.ts', "import axios from 'axios';\nexport const x = axios;", /not allowed to import "axios"/],
    ['a vendor imports another vendor', 'libs/vendors/milestone/src/x.ts', "import { onguardMapper } from '@edge/vendor-onguard/mapper';\nexport const x = onguardMapper;", /can only depend on libs tagged/],
    ['a vendor imports the NATS client', 'libs/vendors/onguard/src/x.ts', "import { connect } from '@nats-io/transport-node';\nexport const x = connect;", /not allowed to import "@nats-io\/transport-node"/],
    ['a service imports the NATS client', 'services/normalizer/src/x.ts', "import { jetstream } from '@nats-io/jetstream';\nexport const x = jetstream;", /not allowed to import "@nats-io\/jetstream"/],
    ['a service imports another service', 'services/forwarder/src/x.ts', "import { Normalizer } from '../../normalizer/src/normalizer';\nexport const x = Normalizer;", /relative or absolute path/],
    ['the collector kit imports a vendor', 'libs/collector-kit/src/x.ts', "import { onguardMapper } from '@edge/vendor-onguard/mapper';\nexport const x = onguardMapper;", /can only depend on libs tagged|Circular dependency/],
    ['the platform imports the vendor list', 'libs/platform/src/x.ts', "import { VENDORS } from '@edge/vendors';\nexport const x = VENDORS;", /can only depend on libs tagged|Circular dependency/],
    ['a vendor imports the vendor list', 'libs/vendors/onguard/src/x.ts', "import { VENDORS } from '@edge/vendors';\nexport const x = VENDORS;", /can only depend on libs tagged|Circular dependency/],
    ['the collector kit imports the vendor list', 'libs/collector-kit/src/x.ts', "import { VENDORS } from '@edge/vendors';\nexport const x = VENDORS;", /can only depend on libs tagged|Circular dependency/],
    ['a simulator imports the vendor list', 'services/simulators/onguard/src/x.ts', "import { VENDORS } from '@edge/vendors';\nexport const x = VENDORS;", /can only depend on libs tagged|Circular dependency/],
  ])('%s is a lint error', async (_name, file, code, expected) => {
    const msgs = await errors(file, code);
    expect(msgs.some((m) => expected.test(m)), msgs.join('\n') || 'no boundary error').toBe(true);
  });

  it.each([
    ['platform imports NATS', 'libs/platform/src/x.ts', "import { connect } from '@nats-io/transport-node';\nexport const x = connect;"],
    ['a service imports libs and a vendor mapper', 'services/normalizer/src/x.ts', "import { sleep } from '@edge/platform';\nimport { onguardMapper } from '@edge/vendor-onguard/mapper';\nexport const x = [sleep, onguardMapper];"],
    ['a vendor imports the collector kit', 'libs/vendors/onguard/src/x.ts', "import { RawPublisher } from '@edge/collector-kit';\nexport const x = RawPublisher;"],
    ['a service imports the vendor list', 'services/normalizer/src/x.ts', "import { VENDORS } from '@edge/vendors';\nexport const x = VENDORS;"],
    ['the operator CLI imports the vendor list', 'services/cli/src/x.ts', "import { VENDORS } from '@edge/vendors';\nexport const x = VENDORS;"],
    ['a simulator implements the descriptor type of the collector kit', 'services/simulators/onguard/src/x.ts', "import type { SimulatorHarness } from '@edge/collector-kit/vendor';\nexport type X = SimulatorHarness;"],
  ])('%s is allowed', async (_name, file, code) => {
    expect(await errors(file, code)).toEqual([]);
  });
});
