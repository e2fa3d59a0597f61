// The template library's routes the dashboard calls; the shapes are the server's own TypeBox
// schemas (src/templates/schema.ts), imported as types only.
import type { Static } from '@sinclair/typebox';
import type {
  CreateTemplate,
  EditTemplate,
  Rendered,
  TemplateView,
  TestSendResultSchema,
  VersionSchema,
} from '../../src/templates/schema.ts';
import { request } from './api.ts';

export type LibraryTemplate = TemplateView;
export type LibraryChannel = TemplateView['channel'];
export type TemplateVersion = Static<typeof VersionSchema>;
export type RenderedMessage = Rendered;
export type TestSendResult = Static<typeof TestSendResultSchema>;
export type NewTemplate = CreateTemplate;
export type TemplateEdit = EditTemplate;

const path = (id: string) => `/api/templates/${encodeURIComponent(id)}`;

export const templatesApi = {
  list: () => request<{ items: LibraryTemplate[] }>('GET', '/api/templates'),
  get: (id: string) => request<LibraryTemplate>('GET', path(id)),
  create: (template: NewTemplate) => request<LibraryTemplate>('POST', '/api/templates', { body: template }),
  edit: (id: string, edit: TemplateEdit) => request<LibraryTemplate>('PUT', path(id), { body: edit }),
  versions: (id: string) => request<{ items: TemplateVersion[] }>('GET', `${path(id)}/versions`),
  duplicate: (id: string, name?: string) =>
    request<LibraryTemplate>('POST', `${path(id)}/duplicate`, { body: name ? { name } : {} }),
  setStatus: (id: string, status: 'active' | 'archived') =>
    request<LibraryTemplate>('PUT', `${path(id)}/status`, { body: { status } }),
  remove: (id: string) => request<void>('DELETE', path(id)),
  render: (input: {
    channel: LibraryChannel;
    content: Record<string, string>;
    profileId?: string;
    traits?: Record<string, unknown>;
  }) => request<RenderedMessage>('POST', '/api/templates/render', { body: input }),
  sendTest: (input: {
    channel: LibraryChannel;
    content: Record<string, string>;
    to: string;
    profileId?: string;
  }) => request<TestSendResult>('POST', '/api/templates/send-test', { body: input }),
};
