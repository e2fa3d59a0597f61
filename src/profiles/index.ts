// Profiles: the read model of each person (traits with their source and time, counters,
// groups) built from the log by the profiles processor, the pure rules that apply a message
// to a profile and fold two profiles into one, and the view the API serves.
export { applyMessage, mergeProfiles, newProfile, traitsOf, traitValues } from './model.ts';
export { buildProfileView, lookupProfileId, mergedIdsOf, type ProfileView, survivorOf } from './view.ts';
