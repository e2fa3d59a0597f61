// The task queue's routes the Tasks page calls (GET /api/tasks, claim, complete).
import { request, type Task } from './api.ts';

export type TaskStatus = Task['status'];

export interface TaskQuery {
  status?: TaskStatus;
  queue?: string;
  after?: string;
  limit?: number;
}

export const tasksApi = {
  list: (query: TaskQuery) =>
    request<{ items: Task[] }>('GET', '/api/tasks', { query: { limit: 25, ...query } }),
  claim: (id: string, by: string) =>
    request<Task>('POST', `/api/tasks/${encodeURIComponent(id)}/claim`, { body: { by } }),
  complete: (id: string, outcome: string, by: string) =>
    request<Task>('POST', `/api/tasks/${encodeURIComponent(id)}/complete`, { body: { outcome, by } }),
};
