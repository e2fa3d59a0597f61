// Storage for the template library (docs/templates.md): a template is a named message for one
// channel whose every saved edit is a new numbered version, kept so a journey can name the exact
// version it sends and anyone can see what changed. No person's data is stored here: a template
// holds Liquid placeholders, and what a person receives is rendered at send or preview time.

export type TemplateChannel = 'email' | 'sms' | 'push';
export type TemplateStatus = 'active' | 'archived';

/** A version's fields as the channel names them (email: subject, html, text; sms: body; push: title, body, deepLink). */
export type TemplateContent = Record<string, string>;

export interface TemplateRow {
  id: string;
  name: string;
  description: string | null;
  channel: TemplateChannel;
  status: TemplateStatus;
  latestVersion: number;
  /** The latest version's content. */
  content: TemplateContent;
  createdAt: string;
  updatedAt: string;
  updatedBy: string | null;
}

export interface TemplateVersionRow {
  templateId: string;
  version: number;
  content: TemplateContent;
  createdAt: string;
  createdBy: string | null;
  note: string | null;
}

export interface NewTemplate {
  id: string;
  name: string;
  description: string | null;
  channel: TemplateChannel;
  content: TemplateContent;
  at: string;
  by: string | null;
}

export interface TemplateEdit {
  id: string;
  /** The version the edit was made on: the write is refused when another edit landed since. */
  baseVersion: number;
  name: string;
  description: string | null;
  content: TemplateContent;
  note: string | null;
  at: string;
  by: string | null;
}

export interface TemplateStore {
  listTemplates(): Promise<TemplateRow[]>;
  getTemplate(id: string): Promise<TemplateRow | undefined>;
  listVersions(id: string): Promise<TemplateVersionRow[]>;
  getVersion(id: string, version: number): Promise<TemplateVersionRow | undefined>;
  /** Version 1 of a new template; false when the id is taken. */
  createTemplate(template: NewTemplate): Promise<boolean>;
  /** The next version; `conflict` when the latest is no longer `baseVersion`, `missing` when there is no such template. */
  addVersion(edit: TemplateEdit): Promise<'saved' | 'conflict' | 'missing'>;
  setStatus(id: string, status: TemplateStatus, at: string): Promise<boolean>;
  /** The template and every version of it; false when there was none. */
  deleteTemplate(id: string): Promise<boolean>;
  close(): Promise<void>;
}
