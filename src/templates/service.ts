// The template library's rules over its store: content checked against its channel (the fields
// it needs, Liquid that parses and reads only what a send provides, MJML that compiles), every
// edit a new version saved on the version it was made on, archive and delete refused while a
// journey names the template, and previews and test sends rendered by the conductor as a send
// renders them. Rendered output is a person's data: it is returned, never kept.
import { randomBytes } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  checkHtmlTemplate,
  checkTemplate,
  type LibraryVersion,
  type RenderedContent,
  type TemplateVariables,
} from '../conductor/index.ts';
import { RapportError } from '../errors/index.ts';
import type { TemplateContent, TemplateRow, TemplateStore, TemplateVersionRow } from '../store/index.ts';
import {
  CONTENT_SCHEMAS,
  idFromName,
  type LibraryChannel,
  type SendableContent,
  sendableContent,
  smsFacts,
} from './model.ts';
import type {
  CreateTemplate,
  EditTemplate,
  Rendered,
  RenderInput,
  TemplateView,
  TestSendInput,
} from './schema.ts';

/** Where a template is used (the conductor's TemplateUse, without importing the runtime). */
export interface TemplateUseRow {
  templateId: string;
  journeyId: string;
  journeyName: string;
  journeyVersion: number;
  status: string;
  stepId: string;
  pinnedVersion: number | null;
  copiedVersion: number | null;
}

export interface TemplateServiceOptions {
  store: TemplateStore;
  /** Every journey step naming a library template. */
  uses: () => Promise<TemplateUseRow[]>;
  /** Renders a message as a send does, for a person or with sample traits. */
  render: (input: {
    template: SendableContent;
    profileId?: string;
    traits?: Record<string, unknown>;
  }) => Promise<RenderedContent>;
  /** Sends a rendered test once on a configured channel (409 when it is not). */
  testSend: (
    channel: LibraryChannel,
    input: { template: SendableContent; to: Record<string, unknown>; label: string; profileId?: string },
  ) => Promise<{
    idempotencyKey: string;
    to: string;
    accepted: boolean;
    status: 'sent' | 'failed' | 'retry';
    error: string | null;
  }>;
  now?: () => string;
}

/** What a library template may read: what every send provides (the trigger event and offer when there is one). */
const LIBRARY_VARIABLES: TemplateVariables = {
  roots: {
    traits: 'any',
    person: ['id', 'timeZone'],
    journey: ['id', 'name', 'version'],
    event: 'any',
    offer: 'any',
    recommendations: 'any',
  },
};

const CHECKS = {
  email: TypeCompiler.Compile(CONTENT_SCHEMAS.email),
  sms: TypeCompiler.Compile(CONTENT_SCHEMAS.sms),
  push: TypeCompiler.Compile(CONTENT_SCHEMAS.push),
};

const E164 = /^\+[1-9][0-9]{6,14}$/;
const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/;

/** 400 naming the field when the content does not fit its channel or its Liquid would fail at send. */
export function checkContent(channel: LibraryChannel, content: TemplateContent): void {
  const check = CHECKS[channel];
  if (!check.Check(content)) {
    const first = [...check.Errors(content)][0];
    const field = `content${first?.path.replaceAll('/', '.') ?? ''}`;
    const known = Object.keys(CONTENT_SCHEMAS[channel].properties).join(', ');
    const message =
      first?.message === 'Unexpected property'
        ? `${field}: a ${channel} template has ${known}`
        : `${field}: ${first?.message ?? 'invalid'}`;
    throw new RapportError('RAPPORT_API_BAD_REQUEST', message, { field });
  }
  for (const [key, source] of Object.entries(content)) {
    const issues = [
      ...checkTemplate(source, LIBRARY_VARIABLES),
      ...(key === 'html' ? checkHtmlTemplate(source) : []),
    ];
    if (issues.length > 0)
      throw new RapportError('RAPPORT_API_BAD_REQUEST', `content.${key}: ${issues[0]!.message}`, {
        field: `content.${key}`,
      });
  }
}

/** A rendered message in the channel's own words, with the SMS facts of what was rendered. */
export function renderedFor(channel: LibraryChannel, content: RenderedContent): Rendered {
  if (channel === 'email')
    return {
      channel,
      subject: content.subject ?? '',
      text: content.text ?? '',
      ...(content.html !== undefined ? { html: content.html } : {}),
    };
  if (channel === 'push')
    return {
      channel,
      title: content.subject ?? '',
      body: content.text ?? '',
      ...(content.url !== undefined ? { deepLink: content.url } : {}),
    };
  const body = content.text ?? '';
  return { channel, body, sms: smsFacts(body) };
}

function addressFor(channel: LibraryChannel, to: string): Record<string, unknown> {
  const value = to.trim();
  if (channel === 'email' && !EMAIL.test(value))
    throw new RapportError('RAPPORT_API_BAD_REQUEST', 'to: an email test goes to one email address', {
      field: 'to',
    });
  if (channel === 'sms' && !E164.test(value))
    throw new RapportError(
      'RAPPORT_API_BAD_REQUEST',
      'to: an SMS test goes to a number in international form, + then 7 to 15 digits (+447700900123)',
      { field: 'to' },
    );
  if (channel === 'email') return { email: value };
  if (channel === 'sms') return { phone: value };
  return { userId: value };
}

export class TemplateService {
  private readonly store: TemplateStore;
  private readonly now: () => string;

  constructor(private readonly options: TemplateServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date().toISOString());
  }

  async list(): Promise<TemplateView[]> {
    const [rows, uses] = await Promise.all([this.store.listTemplates(), this.options.uses()]);
    return rows.map((row) => this.view(row, uses));
  }

  async get(id: string): Promise<TemplateView> {
    const row = await this.store.getTemplate(id);
    if (!row) throw new RapportError('RAPPORT_API_NOT_FOUND', `no template ${id}`, { field: 'id' });
    return this.view(row, await this.options.uses());
  }

  async versions(id: string): Promise<TemplateVersionRow[]> {
    await this.get(id);
    return this.store.listVersions(id);
  }

  async version(id: string, version: number): Promise<TemplateVersionRow> {
    const found = await this.store.getVersion(id, version);
    if (!found)
      throw new RapportError('RAPPORT_API_NOT_FOUND', `template ${id} has no version ${version}`, {
        field: 'version',
      });
    return found;
  }

  async create(input: CreateTemplate, by: string | null): Promise<TemplateView> {
    checkContent(input.channel, input.content);
    const at = this.now();
    const base = input.id ?? idFromName(input.name);
    // A given id must be free; a made one takes a short suffix when its name's id is taken.
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = attempt === 0 || input.id ? base : `${base}-${randomBytes(3).toString('hex')}`;
      const created = await this.store.createTemplate({
        id,
        name: input.name,
        description: input.description ?? null,
        channel: input.channel,
        content: input.content,
        at,
        by,
      });
      if (created) return this.get(id);
      if (input.id) break;
    }
    throw new RapportError('RAPPORT_API_CONFLICT', `a template with id ${base} exists: choose another id`, {
      field: 'id',
    });
  }

  async edit(id: string, input: EditTemplate, by: string | null): Promise<TemplateView> {
    const current = await this.store.getTemplate(id);
    if (!current) throw new RapportError('RAPPORT_API_NOT_FOUND', `no template ${id}`, { field: 'id' });
    checkContent(current.channel, input.content);
    const outcome = await this.store.addVersion({
      id,
      baseVersion: input.baseVersion,
      name: input.name,
      description: input.description ?? current.description,
      content: input.content,
      note: input.note ?? null,
      at: this.now(),
      by,
    });
    if (outcome === 'missing') throw new RapportError('RAPPORT_API_NOT_FOUND', `no template ${id}`);
    if (outcome === 'conflict') {
      const latest = await this.store.getTemplate(id);
      throw new RapportError(
        'RAPPORT_API_CONFLICT',
        `template ${id} is at version ${latest?.latestVersion ?? '?'} now, not ${input.baseVersion}: someone saved a change meanwhile; reload it and make your edit again`,
        { field: 'baseVersion' },
      );
    }
    return this.get(id);
  }

  async duplicate(id: string, name: string | undefined, by: string | null): Promise<TemplateView> {
    const source = await this.get(id);
    return this.create(
      {
        name: name ?? `${source.name} (copy)`,
        channel: source.channel,
        content: source.content,
        ...(source.description !== null ? { description: source.description } : {}),
      },
      by,
    );
  }

  async setStatus(id: string, status: 'active' | 'archived'): Promise<TemplateView> {
    const template = await this.get(id);
    if (status === 'archived') this.refuseWhileUsed(template, 'archived');
    await this.store.setStatus(id, status, this.now());
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const template = await this.get(id);
    this.refuseWhileUsed(template, 'deleted');
    await this.store.deleteTemplate(id);
  }

  /** Looked up by the journey validator: the versions named, and each template's latest. */
  async find(
    references: ReadonlyArray<{ id: string; version: number | undefined }>,
  ): Promise<LibraryVersion[]> {
    const found: LibraryVersion[] = [];
    for (const id of new Set(references.map((reference) => reference.id))) {
      const template = await this.store.getTemplate(id);
      if (!template) continue;
      found.push(this.libraryVersion(template, template.latestVersion, template.content));
      const pinned = references.filter(
        (r) => r.id === id && r.version !== undefined && r.version !== template.latestVersion,
      );
      for (const version of new Set(pinned.map((r) => r.version as number))) {
        const row = await this.store.getVersion(id, version);
        if (row) found.push(this.libraryVersion(template, version, row.content));
      }
    }
    return found;
  }

  async render(input: RenderInput): Promise<Rendered> {
    checkContent(input.channel, input.content);
    const rendered = await this.options.render({
      template: sendableContent(input.channel, input.content),
      ...(input.profileId !== undefined ? { profileId: input.profileId } : {}),
      ...(input.traits !== undefined ? { traits: input.traits } : {}),
    });
    return renderedFor(input.channel, rendered);
  }

  async testSend(input: TestSendInput) {
    checkContent(input.channel, input.content);
    const to = addressFor(input.channel, input.to);
    return this.options.testSend(input.channel, {
      template: sendableContent(input.channel, input.content),
      to,
      label: input.to.trim(),
      ...(input.profileId !== undefined ? { profileId: input.profileId } : {}),
    });
  }

  private libraryVersion(template: TemplateRow, version: number, content: TemplateContent): LibraryVersion {
    return {
      id: template.id,
      name: template.name,
      channel: template.channel,
      status: template.status,
      version,
      template: sendableContent(template.channel, content),
    };
  }

  private refuseWhileUsed(template: TemplateView, what: 'archived' | 'deleted'): void {
    if (template.usedBy.length === 0) return;
    const journeys = [...new Set(template.usedBy.map((use) => use.journeyName))].join(', ');
    throw new RapportError(
      'RAPPORT_API_CONFLICT',
      `template ${template.name} is used by ${journeys}: it cannot be ${what} until no journey names it (choose another template in those send steps, or delete the journeys)`,
      { field: 'id', journeys: template.usedBy.map((use) => use.journeyId) },
    );
  }

  private view(row: TemplateRow, uses: TemplateUseRow[]): TemplateView {
    const usedBy = uses.filter((use) => use.templateId === row.id).map(({ templateId: _id, ...use }) => use);
    return {
      ...row,
      usedBy,
      ...(row.channel === 'sms' && row.content.body !== undefined ? { sms: smsFacts(row.content.body) } : {}),
    };
  }
}
