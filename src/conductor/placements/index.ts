// Placements: offers competing for owned slots, and the `/v1/decide` decision.
export {
  type CompiledOffer,
  type CompiledPlacement,
  type CompiledPlacements,
  checkPlacements,
  compilePlacements,
  type PlacementIssue,
} from './compile.ts';
export { decide } from './decide.ts';
export type * from './types.ts';
