// Katib's DB manager in Floe: observation logs per trial (ReportObservationLog / GetObservationLog /
// DeleteObservationLog), in an SQLite file of their own. Collectors replace a trial's collected log as a whole (they
// re-read their source from the start, so a restart never duplicates); pushed reports are appended.
import Database from 'better-sqlite3';
import type { MetricLog } from './metrics.js';

export interface LogQuery {
  metricName?: string;
  startTime?: string;
  endTime?: string;
}

export class ObservationDb {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS observation_logs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      namespace TEXT NOT NULL, trial TEXT NOT NULL, source TEXT NOT NULL,
      time TEXT NOT NULL, metric TEXT NOT NULL, value TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS observation_logs_trial ON observation_logs (namespace, trial, metric, id);`);
  }

  /** Appends reports (the Push collector). */
  report(namespace: string, trial: string, logs: readonly MetricLog[], source = 'push'): void {
    const insert = this.db.prepare('INSERT INTO observation_logs (namespace, trial, source, time, metric, value) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const l of logs) insert.run(namespace, trial, source, l.timeStamp, l.name, String(l.value));
    })();
  }

  /** Replaces what one source collected for a trial, atomically. */
  replace(namespace: string, trial: string, source: string, logs: readonly MetricLog[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM observation_logs WHERE namespace = ? AND trial = ? AND source = ?').run(namespace, trial, source);
      this.report(namespace, trial, logs, source);
    })();
  }

  get(namespace: string, trial: string, query: LogQuery = {}): MetricLog[] {
    let sql = 'SELECT time, metric, value FROM observation_logs WHERE namespace = ? AND trial = ?';
    const args: string[] = [namespace, trial];
    for (const [value, clause] of [
      [query.metricName, ' AND metric = ?'],
      [query.startTime, ' AND time >= ?'],
      [query.endTime, ' AND time <= ?'],
    ] as const) {
      if (!value) continue;
      sql += clause;
      args.push(value);
    }
    const rows = this.db.prepare(`${sql} ORDER BY id`).all(...args) as { time: string; metric: string; value: string }[];
    return rows.map((r) => ({ name: r.metric, value: Number(r.value), timeStamp: r.time }));
  }

  delete(namespace: string, trial: string): void {
    this.db.prepare('DELETE FROM observation_logs WHERE namespace = ? AND trial = ?').run(namespace, trial);
  }

  close(): void {
    this.db.close();
  }
}
