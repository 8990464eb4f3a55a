import { loadModule } from 'libpg-query';

// As bin/dbsec does before any command: PostgreSQL's lexer redacts every output.
await loadModule();
