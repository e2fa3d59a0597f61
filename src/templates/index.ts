// The template library (docs/templates.md): email, SMS and push templates stored on their own,
// versioned, used from journeys' send steps by reference, previewed per person and test-sent.
export {
  idFromName,
  type LibraryChannel,
  type SendableContent,
  type SmsFacts,
  sendableContent,
  smsFacts,
  TEMPLATE_CHANNELS,
} from './model.ts';
export { type TemplateRouteOptions, templateRoutes } from './routes.ts';
export {
  checkContent,
  renderedFor,
  TemplateService,
  type TemplateServiceOptions,
  type TemplateUseRow,
} from './service.ts';
