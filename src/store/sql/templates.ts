// The template library's SQL, written once for both engines (the engine folders keep the
// connection and migrations: sqlite/templates.ts, postgres/templates.ts). One contract suite
// runs it on both (test/store/templates.test.ts).
import type {
  NewTemplate,
  TemplateChannel,
  TemplateContent,
  TemplateEdit,
  TemplateRow,
  TemplateStatus,
  TemplateStore,
  TemplateVersionRow,
} from '../template-types.ts';
import type { StoreEngine } from './engine.ts';
import { json, raw, sql } from './query.ts';

interface TemplateDbRow {
  id: string;
  name: string;
  description: string | null;
  channel: TemplateChannel;
  status: TemplateStatus;
  latest_version: number;
  content: unknown;
  created_at: unknown;
  updated_at: unknown;
  updated_by: string | null;
}

interface VersionDbRow {
  template_id: string;
  version: number;
  content: unknown;
  created_at: unknown;
  created_by: string | null;
  note: string | null;
}

export class SqlTemplateStore implements TemplateStore {
  readonly engine: 'sqlite' | 'postgres';
  private readonly templates: ReturnType<typeof raw>;
  private readonly versions: ReturnType<typeof raw>;

  constructor(private readonly db: StoreEngine) {
    this.engine = db.engine;
    this.templates = raw(db.dialect.table('message_templates'));
    this.versions = raw(db.dialect.table('message_template_versions'));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private get withLatest() {
    return sql`SELECT t.*, v.content FROM ${this.templates} t
      JOIN ${this.versions} v ON v.template_id = t.id AND v.version = t.latest_version`;
  }

  async listTemplates(): Promise<TemplateRow[]> {
    const rows = await this.db.reads.all<TemplateDbRow>(
      sql`${this.withLatest} ORDER BY t.updated_at DESC, t.id`,
    );
    return rows.map((row) => this.toTemplate(row));
  }

  async getTemplate(id: string): Promise<TemplateRow | undefined> {
    const row = await this.db.reads.get<TemplateDbRow>(sql`${this.withLatest} WHERE t.id = ${id}`);
    return row && this.toTemplate(row);
  }

  async listVersions(id: string): Promise<TemplateVersionRow[]> {
    const rows = await this.db.reads.all<VersionDbRow>(
      sql`SELECT * FROM ${this.versions} WHERE template_id = ${id} ORDER BY version DESC`,
    );
    return rows.map((row) => this.toVersion(row));
  }

  async getVersion(id: string, version: number): Promise<TemplateVersionRow | undefined> {
    const row = await this.db.reads.get<VersionDbRow>(
      sql`SELECT * FROM ${this.versions} WHERE template_id = ${id} AND version = ${version}`,
    );
    return row && this.toVersion(row);
  }

  createTemplate(template: NewTemplate): Promise<boolean> {
    return this.db.transaction(async (x) => {
      const inserted = await x.run(
        sql`INSERT INTO ${this.templates} (id, name, description, channel, status, latest_version, created_at, updated_at, updated_by)
          VALUES (${template.id}, ${template.name}, ${template.description}, ${template.channel}, 'active', 1,
            ${template.at}, ${template.at}, ${template.by})
          ON CONFLICT (id) DO NOTHING`,
      );
      if (inserted === 0) return false;
      await x.run(
        sql`INSERT INTO ${this.versions} (template_id, version, content, created_at, created_by, note)
          VALUES (${template.id}, 1, ${json(template.content)}, ${template.at}, ${template.by}, NULL)`,
      );
      return true;
    });
  }

  addVersion(edit: TemplateEdit): Promise<'saved' | 'conflict' | 'missing'> {
    return this.db.transaction(async (x) => {
      const next = edit.baseVersion + 1;
      // The compare-and-set on latest_version: of two edits on the same base, one wins.
      const moved = await x.run(
        sql`UPDATE ${this.templates} SET latest_version = ${next}, name = ${edit.name},
            description = ${edit.description}, updated_at = ${edit.at}, updated_by = ${edit.by}
          WHERE id = ${edit.id} AND latest_version = ${edit.baseVersion}`,
      );
      if (moved === 0) {
        const exists = await x.get(sql`SELECT id FROM ${this.templates} WHERE id = ${edit.id}`);
        return exists ? 'conflict' : 'missing';
      }
      await x.run(
        sql`INSERT INTO ${this.versions} (template_id, version, content, created_at, created_by, note)
          VALUES (${edit.id}, ${next}, ${json(edit.content)}, ${edit.at}, ${edit.by}, ${edit.note})`,
      );
      return 'saved';
    });
  }

  async setStatus(id: string, status: TemplateStatus, at: string): Promise<boolean> {
    const changed = await this.db.writes((x) =>
      x.run(sql`UPDATE ${this.templates} SET status = ${status}, updated_at = ${at} WHERE id = ${id}`),
    );
    return changed > 0;
  }

  deleteTemplate(id: string): Promise<boolean> {
    return this.db.transaction(async (x) => {
      await x.run(sql`DELETE FROM ${this.versions} WHERE template_id = ${id}`);
      return (await x.run(sql`DELETE FROM ${this.templates} WHERE id = ${id}`)) > 0;
    });
  }

  private toTemplate(row: TemplateDbRow): TemplateRow {
    const { dialect } = this.db;
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      channel: row.channel,
      status: row.status,
      latestVersion: Number(row.latest_version),
      content: dialect.readJson(row.content) as TemplateContent,
      createdAt: dialect.readInstant(row.created_at) ?? '',
      updatedAt: dialect.readInstant(row.updated_at) ?? '',
      updatedBy: row.updated_by,
    };
  }

  private toVersion(row: VersionDbRow): TemplateVersionRow {
    const { dialect } = this.db;
    return {
      templateId: row.template_id,
      version: Number(row.version),
      content: dialect.readJson(row.content) as TemplateContent,
      createdAt: dialect.readInstant(row.created_at) ?? '',
      createdBy: row.created_by,
      note: row.note,
    };
  }
}
