// The consent purposes people may grant or deny (docs/privacy.md). RAPPORT_CONSENT_PURPOSES
// seeds them; an admin adds, describes and retires them through the API and the Settings page.
// The list every reader holds (ingest's screen, the consent routes, the pickers) is one array,
// changed in place, and the processors in their worker thread are told of each change, so a
// purpose added now can be granted at once. Retiring a purpose a journey sends under, or a
// channel's own opt-in, is refused: people's choices for it would stop meaning anything.
import { RapportError } from '../errors/index.ts';

export interface PurposeEntry {
  name: string;
  description: string | null;
  /** `configuration`: seeded by RAPPORT_CONSENT_PURPOSES; `api`: added through the API. */
  source: 'configuration' | 'api';
  addedAt: string;
  retiredAt: string | null;
}

export interface PurposeSettings {
  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string): Promise<void>;
}

export interface PurposeCatalogOptions {
  settings: PurposeSettings;
  /** The live list (the configuration's array): changed in place, never replaced. */
  live: string[];
  /** What refuses a retirement: journeys sending under the purpose, channels whose opt-in it is. */
  usesOf: (purpose: string) => Promise<string[]>;
  /** Told after every change (the processors' worker thread). */
  onChange?: (purposes: readonly string[]) => void;
  now?: () => string;
}

const SETTING = 'consent_purposes';
export const PURPOSE_NAME = /^[A-Za-z][\w-]{0,63}$/;

export class PurposeCatalog {
  private entries: PurposeEntry[] = [];
  private readonly now: () => string;

  constructor(private readonly options: PurposeCatalogOptions) {
    this.now = options.now ?? (() => new Date().toISOString());
  }

  /** Reads the saved catalogue and adds the configured purposes it lacks (a retired one stays retired). */
  async load(): Promise<this> {
    const saved = await this.options.settings.getSetting(SETTING);
    this.entries = saved ? (JSON.parse(saved) as PurposeEntry[]) : [];
    const at = this.now();
    let added = false;
    for (const name of this.options.live) {
      if (this.find(name)) continue;
      this.entries.push({ name, description: null, source: 'configuration', addedAt: at, retiredAt: null });
      added = true;
    }
    if (added || !saved) await this.save();
    this.publish();
    return this;
  }

  list(): PurposeEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  async add(name: string, description: string | null): Promise<PurposeEntry> {
    if (!PURPOSE_NAME.test(name))
      throw new RapportError(
        'RAPPORT_API_BAD_REQUEST',
        'name: a letter, then up to 63 letters, digits, _ or - (marketing_sms)',
        { field: 'name' },
      );
    const known = this.find(name);
    if (known && known.retiredAt === null)
      throw new RapportError('RAPPORT_API_CONFLICT', `purpose ${known.name} exists`, { field: 'name' });
    if (known) {
      // Adding a retired purpose again brings it back, with the choices people made before.
      known.retiredAt = null;
      if (description !== null) known.description = description;
    } else {
      this.entries.push({ name, description, source: 'api', addedAt: this.now(), retiredAt: null });
    }
    await this.save();
    this.publish();
    return { ...(this.find(name) as PurposeEntry) };
  }

  async describe(name: string, description: string | null): Promise<PurposeEntry> {
    const entry = this.existing(name);
    entry.description = description;
    await this.save();
    return { ...entry };
  }

  async retire(name: string): Promise<PurposeEntry> {
    const entry = this.existing(name);
    if (entry.retiredAt !== null) return { ...entry };
    const uses = await this.options.usesOf(entry.name);
    if (uses.length > 0)
      throw new RapportError(
        'RAPPORT_API_CONFLICT',
        `purpose ${entry.name} is in use by ${uses.join(', ')}: it cannot be retired while they need it`,
        { field: 'name', uses },
      );
    entry.retiredAt = this.now();
    await this.save();
    this.publish();
    return { ...entry };
  }

  private find(name: string): PurposeEntry | undefined {
    const lower = name.toLowerCase();
    return this.entries.find((entry) => entry.name.toLowerCase() === lower);
  }

  private existing(name: string): PurposeEntry {
    const entry = this.find(name);
    if (!entry) throw new RapportError('RAPPORT_API_NOT_FOUND', `no purpose ${name}`, { field: 'name' });
    return entry;
  }

  private async save(): Promise<void> {
    await this.options.settings.putSetting(SETTING, JSON.stringify(this.entries));
  }

  /** The live list becomes the active purposes, in place, and the worker thread is told. */
  private publish(): void {
    const active = this.entries.filter((entry) => entry.retiredAt === null).map((entry) => entry.name);
    this.options.live.splice(0, this.options.live.length, ...active);
    this.options.onChange?.(active);
  }
}
