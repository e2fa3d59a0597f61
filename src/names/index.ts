// Names: what has arrived and what is defined, for the dashboard's pickers.
export {
  assembleEvents,
  lifecycleStageIds,
  type NameCatalog,
  type NameSources,
  nameCatalog,
  type SeenName,
} from './catalog.ts';
export { nameRoutes } from './routes.ts';
export { EVENT_NAMES_SQL, NAMES_DIALECTS, propertyNamesSql, traitNamesSql } from './sql.ts';
