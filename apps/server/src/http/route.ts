import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  HttpCode,
  RequestMapping,
  RequestMethod,
  SetMetadata,
} from '@nestjs/common';
import type { RouteDef } from '@parley/shared';
import type { Request } from 'express';

export const ROUTE_DEF = Symbol('ROUTE_DEF');

/** Binds a handler to a route of the shared route table: method, path, status, auth. */
export function Route(def: RouteDef): MethodDecorator {
  return applyDecorators(
    RequestMapping({ path: def.path, method: RequestMethod[def.method] }),
    HttpCode(def.status),
    SetMetadata(ROUTE_DEF, def),
  );
}

/** Who is calling, set by the access guard on authenticated routes. */
export interface Caller {
  userId: string;
  deviceId: string;
}

declare module 'express' {
  interface Request {
    caller?: Caller;
  }
}

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<Request>().caller;
  if (!caller) throw new Error('CurrentCaller used on a route without auth');
  return caller;
});

export const ClientIp = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<Request>().ip ?? 'unknown',
);
