// One entry to every model by name, for the CLI and the API.
import { markov } from './markov.ts';
import { firstTouch, lastTouch, linear, positionBased, timeDecay } from './rules.ts';
import { shapley } from './shapley.ts';
import type { Attribution, AttributionPath, ModelName } from './types.ts';

export interface ModelOptions {
  /** Markov order, 1 to 4. */
  order?: number;
  /** Markov and Shapley: count the paths that did not convert. */
  withNulls?: boolean;
  /** Time decay: half-life in the paths' age unit (days, or steps without ages). */
  halfLife?: number;
  /** Shapley sampling beyond the exact channel count. */
  permutations?: number;
  seed?: number;
}

export function runModel(
  model: ModelName,
  paths: readonly AttributionPath[],
  options: ModelOptions = {},
): Attribution {
  switch (model) {
    case 'first':
      return firstTouch(paths);
    case 'last':
      return lastTouch(paths);
    case 'linear':
      return linear(paths);
    case 'position':
      return positionBased(paths);
    case 'time-decay':
      return timeDecay(paths, options.halfLife);
    case 'markov':
      return markov(paths, {
        ...(options.order === undefined ? {} : { order: options.order }),
        withNulls: options.withNulls ?? false,
      });
    case 'shapley':
      return shapley(paths, {
        withNulls: options.withNulls ?? false,
        ...(options.permutations === undefined ? {} : { permutations: options.permutations }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
  }
}
