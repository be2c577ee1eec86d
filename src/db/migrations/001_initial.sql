-- Users, their projects and the generated files.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  tier text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'enterprise')),
  failed_logins integer NOT NULL DEFAULT 0,
  first_failed_login_at timestamptz,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL,
  complexity text NOT NULL CHECK (complexity IN ('simple', 'medium', 'complex')),
  status text NOT NULL DEFAULT 'generating' CHECK (status IN ('generating', 'ready', 'failed')),
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX projects_user_created ON projects (user_id, created_at DESC);
CREATE INDEX projects_generating ON projects (created_at) WHERE status = 'generating';

CREATE TABLE project_files (
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  path text NOT NULL,
  content text NOT NULL,
  PRIMARY KEY (project_id, path)
);
