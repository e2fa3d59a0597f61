// The people explorer's routes (POST /api/people/search and /export; shapes from the OpenAPI
// document, docs/identity.md).
import { downloadPosted, type ProfileSummary, request } from './api.ts';

export interface PeopleFilter {
  q?: string;
  rule?: unknown;
}
export interface PeopleRequest extends PeopleFilter {
  sort: string;
  descending: boolean;
  offset: number;
  limit: number;
}
export interface PeoplePage {
  total: number;
  offset: number;
  limit: number;
  items: ProfileSummary[];
  ruleText: string | null;
}

export const peopleApi = {
  search: (body: PeopleRequest) => request<PeoplePage>('POST', '/api/people/search', { body }),
  exportCsv: (filter: PeopleFilter, traits: string[]) =>
    downloadPosted('/api/people/export', { ...filter, traits }, 'people.csv'),
};

export interface SurveyAnswer {
  surveyId: string;
  answers: Record<string, unknown>;
  channel: string | null;
  answeredAt: string;
}

export const personApi = {
  surveyAnswers: (profileId: string) =>
    request<{ profileId: string; items: SurveyAnswer[] }>(
      'GET',
      `/api/people/${encodeURIComponent(profileId)}/surveys`,
    ),
  surveyTitles: () => request<{ surveys: Array<{ id: string; title: string }> }>('GET', '/api/surveys'),
};
