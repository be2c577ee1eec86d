/**
 * A throwaway certificate authority for TLS test servers: Debian's openssl makes a CA and a
 * server certificate signed by it for 127.0.0.1, valid for a day. The server certificate names
 * its address in subjectAltName, because Go (Alertmanager) verifies SANs only, never the CN.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from '../../src/packages.ts';
import { tempDir } from './services.ts';

/** A CA (its PEM file is what a client trusts) and a server certificate it signed. */
export interface TestCa {
  /** The CA certificate, PEM: what SMTP_CA_FILE points at. */
  caFile: string;
  /** The server's private key and certificate, PEM, for 127.0.0.1 (and localhost). */
  key: string;
  cert: string;
  /** Deletes the files. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync(requireBinary('openssl'), args, { cwd, encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr || result.error?.message}`);
}

/** Creates a CA named `name` and a server certificate for 127.0.0.1 signed by it. */
export function createTestCa(name = 'Samokoder test CA'): TestCa {
  const dir = tempDir('test-ca');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir.path);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir.path);
  writeFileSync(join(dir.path, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${Date.now().toString(16)}`, '-days', '1', '-extfile', 'server.ext', '-out', 'server.pem'], dir.path);
  return {
    caFile: join(dir.path, 'ca.pem'),
    key: readFileSync(join(dir.path, 'server.key'), 'utf8'),
    cert: readFileSync(join(dir.path, 'server.pem'), 'utf8'),
    remove: dir.remove,
  };
}
