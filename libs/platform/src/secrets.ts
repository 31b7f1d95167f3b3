/**
 * Process-wide set of secret values (from config and environment). The logger scrubs them from
 * every line it writes, so a secret that slips into an error message still never reaches output.
 */
const secrets = new Set<string>();
let pattern: RegExp | null = null;

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  // Also the forms a secret takes inside JSON or URLs.
  const json = JSON.stringify(value).slice(1, -1);
  if (json !== value) secrets.add(json);
  const enc = encodeURIComponent(value);
  if (enc !== value) secrets.add(enc);
  pattern = null;
}

export function scrubSecrets(text: string): string {
  if (secrets.size === 0) return text;
  if (!pattern) {
    const alts = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(alts.join('|'), 'g');
  }
  return text.replace(pattern, '[REDACTED]');
}

export function secretCount(): number {
  return secrets.size;
}
