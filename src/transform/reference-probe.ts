import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import { danglingReferences } from '../duckdb/foreign-keys.js';
import { type DuckSession, openDuckSession } from '../duckdb/session.js';
import { bronzeEntityOf, readSilverModelSql, renderSilverModel } from '../duckdb/silver-sql.js';
import { sqlIdent } from '../duckdb/sql-template.js';
import { createStager, type Stager } from '../duckdb/stager.js';
import type { TableName } from '../entities/entity.js';
import { parseBronzeKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { makeScratchDir } from '../storage/scratch-dir.js';
import { openSilverViews } from './gold-build.js';
import { probeTargetViews } from './probe-targets.js';
import type { MissingReference } from './resolve-references.js';
import { silverBytes, tablesReading } from './run-transform.js';
import { withBronzeErrors } from './silver-context.js';

/**
 * What the objects a references round fetched reference that neither Silver nor an earlier round
 * has: the next round's ids. One DuckDB session for the whole pass, over the Silver of the first
 * transform (which the pass does not change): each round types only its own Bronze through the
 * Silver models (the same SQL, so the same reference columns) into temp tables holding keys,
 * references and dt, and probes those rows against Silver's ids plus every round's. The fetched
 * objects are built into Silver once, after the last round, by the transform that builds Gold.
 * (A Silver build per round, in a session of its own, cost 3.4 s of the tiny quick start's four
 * rounds.)
 *
 * @example
 * const probe = await ReferenceProbe.open(store, '384MB');
 * try { next = await probe.missing(round.bronze_keys); } finally { await probe.close(); }
 */
export class ReferenceProbe {
  private round = 0;
  /** Tables with a `refprobe_<table>` temp table (rows of some round). */
  private readonly typed = new Set<TableName>();

  private constructor(
    private readonly session: DuckSession,
    private readonly stager: Stager,
    private readonly workDir: string,
    /** Silver's ids of a referenced table (a view: the key index's or the table's). */
    private readonly silverIds: (table: TableName) => string,
  ) {}

  static async open(store: ObjectStore, memoryLimit: string, threads?: number): Promise<ReferenceProbe> {
    const workDir = await makeScratchDir('references');
    const stager = createStager(store, join(workDir, 'stage-bronze'));
    const session = await openDuckSession({ workDir, pathBase: stager.base, memoryLimit, threads });
    try {
      const silverStager = createStager(store, join(workDir, 'stage-silver'));
      // the Silver views the probes name, made as they are first read
      const { listed, session: viewing } = await openSilverViews(session, store, silverStager);
      await session.fitAllocator(silverBytes(listed));
      const ids = await probeTargetViews(viewing, store, silverStager, listed);
      return new ReferenceProbe(viewing, stager, workDir, ids);
    } catch (err) {
      session.close();
      await rm(workDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Types the Bronze a round wrote; returns what its rows reference and nothing holds. */
  async missing(bronzeKeys: readonly string[]): Promise<MissingReference[]> {
    const round = ++this.round;
    await this.stager.stage(bronzeKeys);
    const byEntity = new Map<string, string[]>();
    for (const key of bronzeKeys) {
      const e = parseBronzeKey(key)?.entity;
      if (e !== undefined) byEntity.set(e, [...(byEntity.get(e) ?? []), this.stager.localPath(key)]);
    }
    const written = new Map<TableName, string[]>();
    for (const table of tablesReading(bronzeKeys)) {
      const contract = SILVER_CONTRACTS[table];
      const model = renderSilverModel(table, await readSilverModelSql(table), {
        own: byEntity.get(bronzeEntityOf(table)) ?? [],
        webhooks: [],
        pages: contract.bronze.from === 'parent' ? (byEntity.get(table) ?? []) : [],
      });
      // the columns a probe reads: the row's key, its references, its partition
      const cols = [...new Set([...contract.primaryKey, ...contract.foreignKeys.map((f) => f.column), 'dt'])];
      const rows = `select ${cols.map(sqlIdent).join(', ')}, ${round} as _round from (${model})`;
      const name = probeTable(table);
      await withBronzeErrors({ stager: this.stager }, table, new Set(), () =>
        this.session.conn.run(
          this.typed.has(table) ? `insert into ${name} ${rows}` : `create temp table ${name} as ${rows}`,
        ),
      );
      this.typed.add(table);
      written.set(table, [String(round)]);
    }
    return danglingReferences(
      this.session,
      written,
      async (table) => `select * from ${probeTable(table)} where _round = ${round}`,
      (table) => {
        if (!this.typed.has(table)) return this.silverIds(table);
        const id = sqlIdent(SILVER_CONTRACTS[table].primaryKey[0]!);
        return `(select ${id} from ${this.silverIds(table)} union all select ${id} from ${probeTable(table)})`;
      },
    );
  }

  async close(): Promise<void> {
    this.session.close();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

const probeTable = (table: TableName) => `refprobe_${table}`;
