/**
 * The formats of the secret files Redis and its exporter read, written the same way by the local
 * launcher and by docker-compose's secrets step, so the two cannot drift apart.
 */

/**
 * A redis.conf that sets `password` (quoted as Redis' config parser reads it back), for a file
 * given as redis-server's first argument. docker-compose's Redis reads the same file.
 */
export function redisPasswordConfig(password: string): string {
  return `requirepass ${JSON.stringify(password)}\n`;
}

/**
 * The redis exporter's password file (`REDIS_PASSWORD_FILE`): JSON mapping the exact address it
 * scrapes (its REDIS_ADDR) to the password. The local stack's exporter reads the same format.
 */
export function redisPasswordFile(address: string, password: string): string {
  return JSON.stringify({ [address]: password });
}
