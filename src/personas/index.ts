// Personas from data (docs/personas.md): the door to the capability.

export { registerPersonasCommands } from './cli.ts';
export { adjustedRandIndex, chooseClustering, fitKMeans, silhouette, standardise } from './cluster.ts';
export { readPeople } from './features.ts';
export { BEHAVIOUR_FEATURES, fitPersonas, type People, type PersonaCard, type PersonaFit } from './model.ts';
export { type PersonaRouteOptions, personaRoutes } from './routes.ts';
export { PERSONA_NAME_PROPERTY, PERSONA_PROPERTY, PersonaService } from './service.ts';
