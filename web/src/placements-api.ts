// The placements routes the editor calls: save the whole set, and preview a decision.
import type { OfferVerdict, PlacementPreview } from '../../src/placements/schema.ts';
import { type Placements, request } from './api.ts';

export type { OfferVerdict, PlacementPreview };

export const placementsApi = {
  save: (definitions: Placements) => request<Placements>('PUT', '/api/placements', { body: definitions }),
  preview: (body: { placement: string; profileId?: string; definitions?: Placements }) =>
    request<PlacementPreview>('POST', '/api/placements/preview', { body }),
};
