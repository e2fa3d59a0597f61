// The placements routes the editor calls: save the whole set, and preview a decision.
import type { OfferVerdict } from '../../src/placements/preview.ts';
import { type Placements, request } from './api.ts';

export type { OfferVerdict };

export interface PlacementPreview {
  placement: string;
  personalization: string | null;
  offer: { id: string; content: unknown } | null;
  code: string;
  reason: string;
  offers: Array<{ offerId: string; verdict: OfferVerdict; reason: string }>;
}

export const placementsApi = {
  save: (definitions: Placements) => request<Placements>('PUT', '/api/placements', { body: definitions }),
  preview: (body: { placement: string; profileId?: string; definitions?: Placements }) =>
    request<PlacementPreview>('POST', '/api/placements/preview', { body }),
};
