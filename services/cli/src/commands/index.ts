import type { CliCommand } from '../command';
import { dlqCommand } from './dlq';

/** Every `edge <command>`. Adding one: a file beside this one and a line here. */
export const COMMANDS: readonly CliCommand[] = [dlqCommand];
