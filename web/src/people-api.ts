// The people explorer's routes (POST /api/people/search and /export; shapes from the OpenAPI
// document, docs/identity.md).
import { downloadPosted, type ProfileSummary, request } from './api.ts';

export interface PeopleFilter {
  q?: string;
  rule?: unknown;
}
export interface PeopleSort {
  sort: string;
  descending: boolean;
}
export interface PeopleRequest extends PeopleFilter, PeopleSort {
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
  /** The list as CSV in the order the table shows it. */
  exportCsv: (filter: PeopleFilter, sort: PeopleSort, traits: string[]) =>
    downloadPosted('/api/people/export', { ...filter, ...sort, traits }, 'people.csv'),
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
