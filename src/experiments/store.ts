// Where experiment definitions live: one JSON document in the settings table the channel store
// keeps on both engines (shared by every process on one PostgreSQL). Definitions are
// configuration, not a person's data; assignments are not stored at all (assign.ts) and
// exposures are events in the log, so erasure and export reach them with every other event.
import { RapportError } from '../errors/index.ts';
import type { Experiment } from './definition.ts';

export interface SettingsPort {
  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string): Promise<void>;
}

const SETTING = 'experiments';

export class ExperimentStore {
  constructor(private readonly settings: SettingsPort) {}

  async list(): Promise<Experiment[]> {
    const text = await this.settings.getSetting(SETTING);
    return text ? (JSON.parse(text) as Experiment[]) : [];
  }

  async get(id: string): Promise<Experiment> {
    const found = (await this.list()).find((experiment) => experiment.id === id);
    if (!found) throw new RapportError('RAPPORT_EXPERIMENT_NOT_FOUND', `no experiment ${JSON.stringify(id)}`);
    return found;
  }

  /** Creates or replaces by id. */
  async put(experiment: Experiment): Promise<void> {
    const others = (await this.list()).filter((e) => e.id !== experiment.id);
    await this.settings.putSetting(SETTING, JSON.stringify([...others, experiment]));
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    const others = (await this.list()).filter((e) => e.id !== id);
    await this.settings.putSetting(SETTING, JSON.stringify(others));
  }
}
