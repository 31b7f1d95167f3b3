import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The status page's script: the bundle `npm run build` made beside the console's own bundle
 * (dist/console-ui/app.js, in the image), else built now with esbuild from the sources (a dev checkout, where esbuild is a dev
 * dependency). Nothing is fetched from a CDN.
 */
export async function loadUiBundle(root: string): Promise<string> {
  // Beside the running bundle only: a dev checkout builds from the sources (never a stale dist/).
  const built = join(__dirname, 'console-ui', 'app.js');
  if (existsSync(built)) return readFileSync(built, 'utf8');
  const opts = JSON.parse(readFileSync(join(root, 'services/console/ui-build.json'), 'utf8')) as Record<string, unknown>;
  delete opts.$comment;
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const out = await esbuild.build({ ...opts, absWorkingDir: resolve(root), write: false, logLevel: 'silent' });
  return out.outputFiles[0].text;
}

export const INDEX_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Edge status</title><link rel="icon" href="data:,"><style>
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
header{background:#24292f;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}header h1{font-size:17px;margin:0}
main{padding:14px 20px;display:grid;gap:14px;grid-template-columns:repeat(auto-fit,minmax(440px,1fr))}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 14px}section h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eaeef2;font-size:13px}
.st{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:12px}.online{background:#1a7f37}.offline{background:#cf222e}.degraded{background:#bf8700}.disabled,.unknown{background:#6e7781}
.muted{color:#57606a}.wide{grid-column:1/-1}button{cursor:pointer}input,select,button{font:inherit;padding:2px 6px}
.tree ul{list-style:none;margin:0;padding-left:18px}.tree li{margin:2px 0}.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}
.msg{margin-left:8px}.err{color:#cf222e}.ok{color:#1a7f37}
</style></head><body><div id="app">loading…</div><script src="app.js"></script></body></html>`;
