-- Runs once when the compose PostgreSQL initializes: installs the extension.
CREATE EXTENSION flatwal;
