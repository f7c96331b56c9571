import {
  API_PREFIX,
  ErrorBody,
  HEALTH_LIVE_ROUTE,
  HEALTH_READY_ROUTE,
  HEALTH_ROUTE,
  ROUTES,
  type RouteDef,
} from '@parley/shared';
import { z } from 'zod';
import { SERVER_VERSION } from '../version.js';

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });

function operation(name: string, def: RouteDef) {
  const parameters: object[] = [];
  for (const [where, s] of [
    ['path', def.params],
    ['query', def.query],
  ] as const) {
    if (!s) continue;
    const json = schema(s, 'input') as { properties?: Record<string, object>; required?: string[] };
    for (const [param, paramSchema] of Object.entries(json.properties ?? {})) {
      parameters.push({
        name: param,
        in: where,
        required: json.required?.includes(param) ?? false,
        schema: paramSchema,
      });
    }
  }
  const errorResponse = {
    description: 'Error',
    content: { 'application/json': { schema: schema(ErrorBody, 'output') } },
  };
  return {
    operationId: name,
    summary: def.summary,
    ...(def.auth ? { security: [{ bearer: [] }] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(def.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schema(def.body, 'input') } } } }
      : {}),
    ...(def.binaryBody ? { requestBody: { required: true, content: { 'application/octet-stream': BYTES } } } : {}),
    responses: {
      [def.status]: def.response
        ? { description: 'Success', content: { 'application/json': { schema: schema(def.response, 'output') } } }
        : def.binaryResponse
          ? { description: 'Success', content: { 'application/octet-stream': BYTES } }
          : { description: 'Success, no content' },
      default: errorResponse,
    },
  };
}

const BYTES = { schema: { type: 'string', contentMediaType: 'application/octet-stream' } };

/** The OpenAPI 3.1 document, generated from the shared route table and schemas. */
export function openApiDocument(): object {
  const paths: Record<string, Record<string, object>> = {};
  const add = (fullPath: string, name: string, def: RouteDef) => {
    const key = fullPath.replace(/:(\w+)/g, '{$1}');
    paths[key] ??= {};
    (paths[key] as Record<string, object>)[def.method.toLowerCase()] = operation(name, def);
  };
  for (const [name, def] of Object.entries(ROUTES)) add(API_PREFIX + def.path, name, def);
  add(HEALTH_ROUTE.path, 'health', HEALTH_ROUTE);
  add(HEALTH_LIVE_ROUTE.path, 'healthLive', HEALTH_LIVE_ROUTE);
  add(HEALTH_READY_ROUTE.path, 'healthReady', HEALTH_READY_ROUTE);
  return {
    openapi: '3.1.0',
    info: { title: 'Parley API', version: SERVER_VERSION, license: { name: 'GPL-3.0-only' } },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}
