import type { CliCommand } from '../command';
import { configCommand } from './config-check';
import { devicesCommand } from './devices';
import { dlqCommand } from './dlq';
import { statusCommand } from './status';
import { surveyCommand } from './survey';
import { syncCommand } from './sync';

/** Every `edge <command>`. Adding one: a file beside this one and a line here. */
export const COMMANDS: readonly CliCommand[] = [statusCommand, syncCommand, devicesCommand, dlqCommand, configCommand, surveyCommand];
