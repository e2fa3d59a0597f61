// Where the arbitration policy (caps, quiet hours, default zone) comes from, and how the admin
// API changes it while the conductor runs.
//
// Precedence: RAPPORT_ARBITRATION_POLICY, when set, is the policy (configuration as code: the
// file in the repository is the truth, and an API edit that the next deploy would silently undo
// is refused with a message naming the file). Unset, the policy is the one stored in the
// settings table (one JSON row, shared by every process on one PostgreSQL), edited with
// PUT /api/arbitration-policy; before the first edit it is the default: no caps, no quiet hours,
// UTC. The outbox reads the stored policy before each batch it arbitrates, so a change applies
// to the next decision on every process, without a restart.
import { RapportError } from '../../errors/index.ts';
import { validatePolicy } from '../arbitration/policy.ts';
import type { ArbitrationPolicy } from '../arbitration/types.ts';
import { DEFAULT_POLICY } from './state.ts';

/** The settings key/value table (the channel store's `channel_settings`, on both engines). */
export interface PolicySettings {
  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string): Promise<void>;
}

export const POLICY_SETTING_KEY = 'arbitration_policy';

/** A policy fixed at start: the RAPPORT_ARBITRATION_POLICY file, or one a test hands the server. */
export interface PinnedPolicy {
  policy: ArbitrationPolicy;
  /** What to tell an operator who tries to edit it. */
  origin: string;
}

export interface CurrentPolicy {
  policy: ArbitrationPolicy;
  /** `file`: pinned by configuration (read-only here); `stored`: saved through the API; `default`: never set. */
  source: 'file' | 'stored' | 'default';
  /** With `file`: which file or option it came from. */
  origin: string | null;
  updatedAt: string | null;
  editable: boolean;
}

interface StoredPolicy {
  policy: unknown;
  updatedAt: string;
}

/** A policy as JSON: the same document as the file (no `quietHours` key when there are none). */
export function policyDocument(policy: ArbitrationPolicy): Record<string, unknown> {
  return {
    caps: policy.caps.map((cap) => ({ channel: cap.channel, period: cap.period, limit: cap.limit })),
    ...(policy.quietHours ? { quietHours: { ...policy.quietHours } } : {}),
    defaultTimeZone: policy.defaultTimeZone,
    ...(policy.globalHoldout ? { globalHoldout: { ...policy.globalHoldout } } : {}),
  };
}

/** The issues of a document as one sentence naming each field: `/caps/0/limit: Expected … 0`. */
export function policyIssuesMessage(issues: ReadonlyArray<{ field: string; message: string }>): string {
  return issues.map((issue) => `${issue.field || '(document)'}: ${issue.message}`).join('; ');
}

export class ArbitrationPolicyStore {
  constructor(
    private readonly settings: PolicySettings,
    private readonly pinned: PinnedPolicy | undefined,
  ) {}

  async current(): Promise<CurrentPolicy> {
    if (this.pinned) {
      return {
        policy: this.pinned.policy,
        source: 'file',
        origin: this.pinned.origin,
        updatedAt: null,
        editable: false,
      };
    }
    const raw = await this.settings.getSetting(POLICY_SETTING_KEY);
    if (raw === undefined)
      return { policy: DEFAULT_POLICY, source: 'default', origin: null, updatedAt: null, editable: true };
    const stored = JSON.parse(raw) as StoredPolicy;
    const result = validatePolicy(stored.policy);
    // Checked on the way in; failing here means the row was changed behind the API's back.
    if (!result.ok)
      throw new Error(`the stored arbitration policy is invalid: ${policyIssuesMessage(result.issues)}`);
    return {
      policy: result.policy,
      source: 'stored',
      origin: null,
      updatedAt: stored.updatedAt,
      editable: true,
    };
  }

  /** The policy the outbox arbitrates with now. */
  async policy(): Promise<ArbitrationPolicy> {
    return (await this.current()).policy;
  }

  /** Validates and stores a policy document (the file's schema); throws naming each bad field. */
  async save(document: unknown, now: string): Promise<CurrentPolicy> {
    if (this.pinned) {
      throw new RapportError(
        'RAPPORT_POLICY_READ_ONLY',
        `the arbitration policy comes from ${this.pinned.origin}; edit it there and restart, or unset RAPPORT_ARBITRATION_POLICY to manage it here`,
      );
    }
    const result = validatePolicy(document);
    if (!result.ok) {
      throw new RapportError('RAPPORT_POLICY_INVALID', policyIssuesMessage(result.issues), {
        field: result.issues[0]?.field,
        issues: result.issues,
      });
    }
    const stored: StoredPolicy = { policy: policyDocument(result.policy), updatedAt: now };
    await this.settings.putSetting(POLICY_SETTING_KEY, JSON.stringify(stored));
    return { policy: result.policy, source: 'stored', origin: null, updatedAt: now, editable: true };
  }
}
