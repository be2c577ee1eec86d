/**
 * Why Alertmanager's notifications failed, read from its log. Alertmanager (0.25 here, 0.27 in
 * compose) counts failures per integration in its metrics and exposes no error text in its API:
 * the reason is only in the log lines it writes for each failed attempt and each notification it
 * gave up on (logfmt, as the local stack's log file or `docker compose logs` print them). `doctor`
 * names the last one per integration.
 */
import { redactSecrets } from '../stack/process.ts';

/** The last failure Alertmanager logged for one integration. */
export interface NotificationFailure {
  /** The integration, as in `alertmanager_notifications_failed_total{integration}`: email, telegram, webhook... */
  integration: string;
  receiver: string;
  /** The line's `ts` (RFC 3339), as Alertmanager wrote it. */
  at: string;
  /** The error text, bot tokens redacted, at most {@link MAX_ERROR_CHARS} characters. */
  error: string;
}

/** Long enough for any SMTP or HTTP reason, short enough for one terminal line. */
const MAX_ERROR_CHARS = 300;

/** The key=value pairs of a logfmt line; quoted values are unescaped. Words without `=` (a compose prefix) are skipped. */
export function logfmtFields(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g)) {
    const raw = m[2] as string;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    fields[m[1] as string] = value;
  }
  return fields;
}

/** `email[0]` → `email`. */
const integrationName = (field: string) => field.replace(/\[\d+\]$/, '');

function clean(error: string): string {
  const text = redactSecrets(error).replace(/\s+/g, ' ').trim();
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/** The failures one log line reports (none for most lines). */
function failuresIn(fields: Record<string, string>): NotificationFailure[] {
  const at = fields.ts ?? '';
  const err = fields.err;
  if (err === undefined) return [];
  // An attempt that will be retried: the integration and receiver are fields of the line.
  if (fields.msg === 'Notify attempt failed, will retry later' && fields.integration) {
    return [{ integration: integrationName(fields.integration), receiver: fields.receiver ?? '', at, error: clean(err) }];
  }
  // A notification given up on: `<receiver>/<integration>[<i>]: <reason>`, several joined by "; ".
  if (fields.msg === 'Notify for alerts failed') {
    return err.split('; ').flatMap((part) => {
      const m = /^([^/\s]+)\/([a-z_]+)\[\d+\]: ([\s\S]+)$/.exec(part.trim());
      return m ? [{ integration: m[2] as string, receiver: m[1] as string, at, error: clean(m[3] as string) }] : [];
    });
  }
  return [];
}

/** The last failure per integration in `log` (Alertmanager's log text), in the order of the log. */
export function lastFailures(log: string): Map<string, NotificationFailure> {
  const last = new Map<string, NotificationFailure>();
  for (const line of log.split('\n')) {
    if (!line.includes('err=')) continue;
    for (const failure of failuresIn(logfmtFields(line))) last.set(failure.integration, failure);
  }
  return last;
}
