// The task queue's routes the Tasks page calls (GET /api/tasks, claim, complete).
import type { TaskListQuery } from '../../src/channels/schema.ts';
import { request, type Task } from './api.ts';

export type TaskStatus = Task['status'];

/** GET /api/tasks's filters, as the route validates them. */
export type TaskQuery = TaskListQuery;

export const tasksApi = {
  list: (query: TaskQuery) =>
    request<{ items: Task[] }>('GET', '/api/tasks', { query: { limit: 25, ...query } }),
  claim: (id: string, by: string) =>
    request<Task>('POST', `/api/tasks/${encodeURIComponent(id)}/claim`, { body: { by } }),
  complete: (id: string, outcome: string, by: string) =>
    request<Task>('POST', `/api/tasks/${encodeURIComponent(id)}/complete`, { body: { outcome, by } }),
};
