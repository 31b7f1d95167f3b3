import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtml } from './render-html';
import type { SurveyReport } from '@edge/collector-kit/survey';

/** Where the survey keeps its latest reports on the box (the console serves them from here). */
export function surveyDir(dataDir: string): string {
  return resolve(dataDir, 'survey');
}

/**
 * Saves the report: one JSON and one HTML per system (the latest survey of each), so the status
 * page can show and hand out each system's report.
 */
export function saveReport(dataDir: string, r: SurveyReport): string {
  const dir = surveyDir(dataDir);
  mkdirSync(dir, { recursive: true });
  for (const s of r.systems) {
    const one: SurveyReport = { ...r, systems: [s] };
    writeFileSync(join(dir, `${s.system_id}.json`), JSON.stringify(one, null, 2));
    writeFileSync(join(dir, `${s.system_id}.html`), renderHtml(one));
  }
  return dir;
}
