// The people explorer's routes (POST /api/people/search and /export; shapes from the OpenAPI
// document, docs/identity.md). The bodies' and answers' types are the server's TypeBox schemas'.
import type { PeoplePage, PeopleSearch, SurveyAnswers } from '../../src/people/schema.ts';
import { downloadPosted, request } from './api.ts';

export type { PeoplePage };

/** The filter and the order of the list: the search body's fields (the CSV takes the same). */
export type PeopleFilter = Pick<PeopleSearch, 'q' | 'rule' | 'text'>;
export type PeopleSort = Pick<PeopleSearch, 'sort' | 'descending'>;
export type PeopleRequest = PeopleSearch;

export const peopleApi = {
  search: (body: PeopleRequest) => request<PeoplePage>('POST', '/api/people/search', { body }),
  /** The list as CSV in the order the table shows it. */
  exportCsv: (filter: PeopleFilter, sort: PeopleSort, traits: string[]) =>
    downloadPosted('/api/people/export', { ...filter, ...sort, traits }, 'people.csv'),
};

export type SurveyAnswer = SurveyAnswers['items'][number];

export const personApi = {
  surveyAnswers: (profileId: string) =>
    request<SurveyAnswers>('GET', `/api/people/${encodeURIComponent(profileId)}/surveys`),
  surveyTitles: () => request<{ surveys: Array<{ id: string; title: string }> }>('GET', '/api/surveys'),
};
