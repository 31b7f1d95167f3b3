/** Prints the config reference table for README.md: `npx tsx libs/vendors/onguard/scripts/config-reference.ts`. */
import { configReference } from '../src/config';

process.stdout.write(`${configReference()}\n`);
