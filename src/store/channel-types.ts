// Storage for the delivery side (docs/channels.md): the task queue people work, and a few
// settings the channels keep (the signing secret generated on first start, the placement
// definitions). A store of its own beside the state store (same database, own migration
// track), like the segment store, so its tables never renumber the state store's.

export type TaskStatus = 'open' | 'claimed' | 'completed';

export interface TaskRow {
  id: string;
  /** The outbox's idempotency key: creating a task twice with it returns the first. */
  idempotencyKey: string;
  profileId: string;
  queue: string;
  title: string;
  note: string | null;
  status: TaskStatus;
  journeyId: string | null;
  stepId: string | null;
  createdAt: string;
  dueAt: string | null;
  claimedBy: string | null;
  claimedAt: string | null;
  completedBy: string | null;
  completedAt: string | null;
  outcome: string | null;
}

export interface TaskQuery {
  queue?: string;
  /** The tasks about this person (the profile export). */
  profileId?: string;
  status?: TaskStatus;
  /** Cursor: tasks created after this id in (created_at, id) order. */
  afterId?: string;
  limit: number;
}

export type NewTask = Pick<
  TaskRow,
  | 'id'
  | 'idempotencyKey'
  | 'profileId'
  | 'queue'
  | 'title'
  | 'note'
  | 'journeyId'
  | 'stepId'
  | 'createdAt'
  | 'dueAt'
>;

/**
 * An email the sandbox channel captured instead of sending (docs/channels.md, "The email
 * sandbox"): exactly what would have gone to the person, kept to be read on the Messages page.
 */
export interface CapturedEmail {
  /** The send's idempotency key: one capture per send. */
  id: string;
  profileId: string;
  to: string;
  from: string;
  subject: string;
  text: string | null;
  html: string | null;
  journeyId: string | null;
  stepId: string | null;
  templateId: string | null;
  capturedAt: string;
}

export interface CapturedEmailQuery {
  profileId?: string;
  journeyId?: string;
  /** Cursor: captures older than this one, in (captured_at, id) order, newest first. */
  beforeId?: string;
  limit: number;
}

export interface ChannelStore {
  readonly engine: 'sqlite' | 'postgres';
  close(): Promise<void>;
  /** Inserts the task unless one with its idempotency key exists; returns the stored one. */
  createTask(task: NewTask): Promise<TaskRow>;
  getTask(id: string): Promise<TaskRow | undefined>;
  /** Oldest first. */
  listTasks(query: TaskQuery): Promise<TaskRow[]>;
  /** Open → claimed by `by`; undefined when the task is not open (someone else got it). */
  claimTask(id: string, by: string, at: string): Promise<TaskRow | undefined>;
  /** Open or claimed → completed; undefined when it was already completed or does not exist. */
  completeTask(id: string, outcome: string, by: string, at: string): Promise<TaskRow | undefined>;
  /** Erasure: removes the tasks of these profiles; returns how many. */
  deleteTasksOf(profileIds: string[]): Promise<number>;
  /** Keeps a sandbox capture unless one with its id exists. */
  captureEmail(email: CapturedEmail): Promise<void>;
  /** Newest first. */
  listCapturedEmails(query: CapturedEmailQuery): Promise<CapturedEmail[]>;
  getCapturedEmail(id: string): Promise<CapturedEmail | undefined>;
  /** Erasure: removes the captures of these profiles; returns how many. */
  deleteCapturedEmailsOf(profileIds: string[]): Promise<number>;
  getSetting(key: string): Promise<string | undefined>;
  /** Stores the value unless the key has one; returns the value that is stored (first writer wins). */
  putSettingIfAbsent(key: string, value: string): Promise<string>;
  putSetting(key: string, value: string): Promise<void>;
}
