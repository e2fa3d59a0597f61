// Fits personas on the people in the store, keeps the fit as a report (aggregates only, no
// person's data) and each person's persona as the computed property `persona`, so segments
// (`computed persona = "p2"`), the profile and journeys can use it. A refit matches the last
// fit's personas, so their ids and names survive.
import type { ComputedProperty, StoredReport } from '../store/index.ts';
import { CHANNELS_SQL, FIRSTS_SQL, personaBehaviour } from './behaviour.ts';
import { type PeopleSources, readPeople } from './features.ts';
import { fitPersonas, type PersonaFit } from './model.ts';

export const PERSONAS_REPORT = 'personas';
export const PERSONA_PROPERTY = 'persona';
export const PERSONA_NAME_PROPERTY = 'persona_name';

export interface PersonaStores extends PeopleSources {
  state: PeopleSources['state'] & {
    saveReport(report: StoredReport): Promise<void>;
    loadReport(name: string): Promise<StoredReport | undefined>;
    setComputedProperties(rows: ComputedProperty[]): Promise<void>;
  };
}

export interface FitRequest {
  traits?: string[];
  k?: number;
  scale?: boolean;
}

export class PersonaTooFewPeopleError extends Error {}

export class PersonaService {
  constructor(
    private readonly stores: PersonaStores,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async latest(): Promise<PersonaFit | undefined> {
    return (await this.stores.state.loadReport(PERSONAS_REPORT))?.body as PersonaFit | undefined;
  }

  async fit(request: FitRequest): Promise<PersonaFit> {
    const now = this.now();
    const people = await readPeople(this.stores, request.traits ?? [], now);
    const needed = (request.k ?? 2) + 1;
    if (people.rows.length < needed) {
      throw new PersonaTooFewPeopleError(
        `k = ${request.k ?? 2} needs at least ${needed} people; the store has ${people.rows.length}`,
      );
    }
    const previous = (await this.latest())?.personas;
    const { fit, assignments } = fitPersonas(people, {
      ...(request.k === undefined ? {} : { k: request.k }),
      scale: request.scale !== false,
      ...(previous ? { previous } : {}),
      now,
    });
    const computedAt = now.toISOString();
    const names = new Map(fit.personas.map((p) => [p.id, p.name]));
    const rows: ComputedProperty[] = [];
    for (const [profileId, persona] of assignments) {
      rows.push({ profileId, name: PERSONA_PROPERTY, value: persona, computedAt });
      rows.push({ profileId, name: PERSONA_NAME_PROPERTY, value: names.get(persona), computedAt });
    }
    for (let i = 0; i < rows.length; i += 2000)
      await this.stores.state.setComputedProperties(rows.slice(i, i + 2000));
    await this.describeBehaviour(fit, assignments);
    await this.stores.state.saveReport({ name: PERSONAS_REPORT, body: fit, savedAt: computedAt });
    return fit;
  }

  /** Each card's typical journey and preferred channel, from the events of its people. */
  private async describeBehaviour(fit: PersonaFit, assignments: ReadonlyMap<string, string>): Promise<void> {
    const map = await this.stores.profileMap();
    const behaviour = personaBehaviour(
      assignments,
      await this.stores.events.query(FIRSTS_SQL),
      await this.stores.events.query(CHANNELS_SQL),
      (id) => map.get(id) ?? id,
    );
    for (const persona of fit.personas) Object.assign(persona, behaviour.get(persona.id) ?? {});
  }
}
