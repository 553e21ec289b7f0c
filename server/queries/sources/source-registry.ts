// One query source per configured connection, made on first use and closed with the server.

import { join } from 'node:path';
import type { ResolvedConnection } from '../connections';
import { DemoSource } from './demo-source';
import { PostgresSource } from './postgres-source';
import type { QuerySource } from './source';

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export class SourceRegistry {
  private readonly sources = new Map<string, QuerySource>();

  constructor(
    private readonly stateDir: string,
    private readonly log: Logger,
  ) {}

  get(connection: ResolvedConnection): QuerySource {
    let source = this.sources.get(connection.name);
    if (!source) {
      source =
        connection.type === 'postgres'
          ? new PostgresSource(connection.name, connection.client)
          : new DemoSource(join(this.stateDir, connection.name === 'demo' ? 'demo-db' : `demo-db-${connection.name}`), this.log);
      this.sources.set(connection.name, source);
    }
    return source;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sources.values()].map((source) => source.close()));
    this.sources.clear();
  }
}
