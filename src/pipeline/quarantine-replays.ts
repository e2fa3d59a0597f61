// Who replays a quarantined log entry, by its processor's name (docs/quarantine.md): each
// processor's runtime registers its own replay here when it starts (the journeys processor, the
// loyalty processor), and the routes ask this, not a list of processors. The processors of the
// pipeline worker (profiles, warehouse, segments) answer every other name, as they always did:
// a name no process runs answers there "busy: no such processor runs in this process".
import type { ReplayResult } from './quarantine-loop.ts';

export type Replay = (id: number) => Promise<ReplayResult>;

export class QuarantineReplays {
  readonly #byProcessor = new Map<string, Replay>();

  /** `others`: the replay of every processor not registered (the pipeline worker's). */
  constructor(private readonly others: (processor: string, id: number) => Promise<ReplayResult>) {}

  /** Called by a processor's runtime at start; one runtime per name. */
  register(processor: string, replay: Replay): void {
    if (this.#byProcessor.has(processor))
      throw new Error(`a replay for the ${processor} processor is already registered`);
    this.#byProcessor.set(processor, replay);
  }

  replay(processor: string, id: number): Promise<ReplayResult> {
    const own = this.#byProcessor.get(processor);
    return own ? own(id) : this.others(processor, id);
  }
}
