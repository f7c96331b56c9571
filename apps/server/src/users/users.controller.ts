import { Body, Controller, Param, Query } from '@nestjs/common';
import { ROUTES, type User, type UserPage } from '@parley/shared';
import type { z } from 'zod';
import { type Caller, CurrentCaller, Route } from '../http/route.js';
import { valid } from '../http/zod-pipe.js';
import { UsersService } from './users.service.js';

@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Route(ROUTES.me)
  me(@CurrentCaller() caller: Caller): Promise<User> {
    return this.users.get(caller.userId);
  }

  @Route(ROUTES.updateMe)
  updateMe(
    @CurrentCaller() caller: Caller,
    @Body(valid(ROUTES.updateMe.body)) body: z.output<typeof ROUTES.updateMe.body>,
  ): Promise<User> {
    return this.users.updateMe(caller.userId, body);
  }

  @Route(ROUTES.searchUsers)
  search(
    @CurrentCaller() caller: Caller,
    @Query(valid(ROUTES.searchUsers.query)) query: z.output<typeof ROUTES.searchUsers.query>,
  ): Promise<UserPage> {
    return this.users.search(caller.userId, query);
  }

  // Declared after /users/me and /users/search, so neither is taken for an id.
  @Route(ROUTES.getUser)
  user(@Param(valid(ROUTES.getUser.params)) params: z.output<typeof ROUTES.getUser.params>): Promise<User> {
    return this.users.get(params.userId);
  }
}
