// Names: what has arrived and what is defined, for the dashboard's pickers.
export {
  assembleEvents,
  cachedNameCatalog,
  lifecycleStageIds,
  type NameCatalog,
  type NameSources,
  nameCatalog,
  type SeenName,
} from './catalog.ts';
export { NAMES_FRESH_MS, nameRoutes } from './routes.ts';
export { EVENT_NAMES_SQL, NAMES_DIALECTS, propertyNamesSql, traitNamesSql } from './sql.ts';
