-- The demo's platform database: the SaaS platform's own tables, small. Its manifest is
-- manifest.yaml beside it.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, plan VARCHAR(20) NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id),
    email VARCHAR(254) NOT NULL,
    full_name VARCHAR(200),
    phone VARCHAR(40),
    created_at TIMESTAMP,
    processing_restricted BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id),
    title VARCHAR(200) NOT NULL
);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT,
    created_at TIMESTAMP
);
CREATE TABLE time_entries (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    minutes INTEGER NOT NULL,
    note VARCHAR(500)
);
CREATE TABLE login_events (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    ip_address VARCHAR(45),
    created_at TIMESTAMP
)
