/**
 * The projects and project_files tables: creation under the monthly quota, status changes,
 * the reads the routes need, and the claims that let one API instance among several generate
 * each project (migration 002).
 */
import type { Database } from '../db/database.ts';
import type { Complexity, UserTier } from '../domain.ts';

/** Projects a user may create per calendar month (UTC), by tier; `null` is unlimited. */
export const MONTHLY_QUOTA: Record<UserTier, number | null> = { free: 2, pro: 50, enterprise: null };

export type ProjectStatus = 'generating' | 'ready' | 'failed';

export interface ProjectSummary {
  id: string;
  name: string;
  status: ProjectStatus;
  created_at: Date;
}

export interface Project extends ProjectSummary {
  description: string;
  complexity: Complexity;
  error: string | null;
  files?: { path: string; content: string }[];
}

/** Result of {@link Projects.create}. */
export type CreateResult =
  | { created: true; project: Project; tier: UserTier }
  | { created: false; reason: 'quota_exceeded'; tier: UserTier; quota: number }
  | { created: false; reason: 'no_user' };

const PROJECT_COLUMNS = 'id, name, description, complexity, status, error, created_at';

/** How long a claim holds without renewal: how late a crashed instance's projects are taken over. */
export const DEFAULT_CLAIM_MS = 60_000;

/** This API instance's claims on the projects it generates. */
export interface ClaimOptions {
  /** Unique per process: a restarted instance is a new one. */
  instance: string;
  /** Lease length; renew well within it. */
  claimMs: number;
}

/** Repository functions over projects, claiming as `claim.instance`. */
export function createProjects(db: Pick<Database, 'query' | 'transaction'>, claim: ClaimOptions) {
  const lease = `${claim.claimMs} milliseconds`;
  return {
    /** The claims' lease: the generator renews within it. */
    claimMs: claim.claimMs,
    /**
     * Creates a project in `generating`, claimed by this instance, unless the owner's monthly
     * quota is used up. The user row is locked for the check, so concurrent requests cannot both
     * take the last slot.
     */
    create(userId: string, input: { name: string; description: string; complexity: Complexity }): Promise<CreateResult> {
      return db.transaction(async (q) => {
        const user = (await q<{ tier: UserTier }>('SELECT tier FROM users WHERE id = $1 FOR UPDATE', [userId])).rows[0];
        if (!user) return { created: false, reason: 'no_user' } as const;
        const quota = MONTHLY_QUOTA[user.tier];
        if (quota !== null) {
          const { rows } = await q<{ n: number }>(
            "SELECT count(*)::int AS n FROM projects WHERE user_id = $1 AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
            [userId],
          );
          if ((rows[0]?.n ?? 0) >= quota) return { created: false, reason: 'quota_exceeded', tier: user.tier, quota } as const;
        }
        const { rows } = await q<Project>(
          `INSERT INTO projects (user_id, name, description, complexity, claimed_by, claim_expires_at)
           VALUES ($1, $2, $3, $4, $5, now() + $6::interval) RETURNING ${PROJECT_COLUMNS}`,
          [userId, input.name, input.description, input.complexity, claim.instance, lease],
        );
        return { created: true, project: rows[0] as Project, tier: user.tier } as const;
      });
    },
    async list(userId: string): Promise<ProjectSummary[]> {
      const { rows } = await db.query<ProjectSummary>(
        'SELECT id, name, status, created_at FROM projects WHERE user_id = $1 ORDER BY created_at DESC LIMIT 100',
        [userId],
      );
      return rows;
    },
    /** The user's project with its files, or undefined (also for another user's project). */
    async get(userId: string, id: string): Promise<Project | undefined> {
      const { rows } = await db.query<Project>(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = $1 AND user_id = $2`, [id, userId]);
      const project = rows[0];
      if (project?.status === 'ready') {
        project.files = (await db.query<{ path: string; content: string }>('SELECT path, content FROM project_files WHERE project_id = $1 ORDER BY path', [id])).rows;
      }
      return project;
    },
    /**
     * Claims the projects in `generating` that no instance holds (their claim expired or was
     * released), oldest first. Concurrent callers never get the same project: the UPDATE rechecks
     * the claim under the row lock.
     */
    async claimUnfinished(): Promise<Project[]> {
      const { rows } = await db.query<Project>(
        `UPDATE projects SET claimed_by = $1, claim_expires_at = now() + $2::interval
         WHERE status = 'generating' AND (claim_expires_at IS NULL OR claim_expires_at < now())
         RETURNING ${PROJECT_COLUMNS}`,
        [claim.instance, lease],
      );
      return rows.sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime());
    },
    /**
     * Extends this instance's claims on `ids`. Returns those another instance holds now (ours
     * lapsed and it took them over): this instance must stop working on them.
     */
    async renewClaims(ids: string[]): Promise<string[]> {
      // A data-modifying WITH always runs; the SELECT sees the rows as they were before it.
      const { rows } = await db.query<{ id: string }>(
        `WITH renewed AS (
           UPDATE projects SET claim_expires_at = now() + $3::interval
           WHERE id = ANY($2::uuid[]) AND claimed_by = $1 AND status = 'generating')
         SELECT id FROM projects WHERE id = ANY($2::uuid[]) AND status = 'generating' AND claimed_by IS DISTINCT FROM $1`,
        [claim.instance, ids, lease],
      );
      return rows.map((r) => r.id);
    },
    /** Gives up this instance's claims on `ids`, so another instance (or the next start) takes them at once. */
    async releaseClaims(ids: string[]): Promise<void> {
      await db.query(`UPDATE projects SET claim_expires_at = NULL WHERE id = ANY($2::uuid[]) AND claimed_by = $1 AND status = 'generating'`, [claim.instance, ids]);
    },
    /** Stores the files and marks the project ready, atomically. */
    complete(id: string, files: { path: string; content: string }[]): Promise<void> {
      return db.transaction(async (q) => {
        for (const file of files) {
          await q('INSERT INTO project_files (project_id, path, content) VALUES ($1, $2, $3) ON CONFLICT (project_id, path) DO UPDATE SET content = EXCLUDED.content', [id, file.path, file.content]);
        }
        await q("UPDATE projects SET status = 'ready', error = NULL, finished_at = now() WHERE id = $1", [id]);
      });
    },
    async fail(id: string, reason: string): Promise<void> {
      await db.query("UPDATE projects SET status = 'failed', error = $2, finished_at = now() WHERE id = $1", [id, reason]);
    },
  };
}

export type Projects = ReturnType<typeof createProjects>;
