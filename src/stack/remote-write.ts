/**
 * Long-term storage: the `remote_write` section that sends every sample Prometheus stores to a
 * remote store (VictoriaMetrics, Mimir, Cortex, Thanos Receive), switched on by one setting,
 * REMOTE_WRITE_URL (src/config.ts).
 *
 * Prometheus 2.42 does not expand environment variables in `remote_write`, so the URL cannot be
 * a `${VAR}` in the committed prometheus.yml: whoever starts Prometheus renders a copy of it with
 * {@link withRemoteWrite} (the local launcher into its runtime directory; see docs/scaling.md).
 */
import { parseDocument } from 'yaml';

/** The `name` of our remote_write queue (its metrics carry `remote_name="long-term-storage"`). */
export const REMOTE_WRITE_NAME = 'long-term-storage';

/** The remote_write entry for `url`. Queue settings stay at Prometheus' defaults (they suit ~1M samples/s). */
export function remoteWriteSection(url: string): Array<Record<string, unknown>> {
  return [{ url, name: REMOTE_WRITE_NAME }];
}

/**
 * Returns the Prometheus config `configText` with its `remote_write` set to `url`, comments and
 * everything else unchanged; with no `url` (REMOTE_WRITE_URL unset or empty), `configText` as it
 * is, without any remote_write. Pure: no I/O.
 */
export function withRemoteWrite(configText: string, url: string | undefined): string {
  if (!url) return configText;
  const doc = parseDocument(configText);
  if (doc.errors.length > 0) throw new Error(`not a valid Prometheus config: ${doc.errors[0]?.message}`);
  doc.set('remote_write', doc.createNode(remoteWriteSection(url)));
  const rendered = doc.toString();
  return `# Rendered with remote_write to REMOTE_WRITE_URL (src/stack/remote-write.ts).\n${rendered}`;
}
