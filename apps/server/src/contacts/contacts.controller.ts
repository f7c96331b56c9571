import { Body, Controller, Param, Query } from '@nestjs/common';
import { type Contact, type ContactList, ROUTES } from '@parley/shared';
import type { z } from 'zod';
import { type Caller, CurrentCaller, Route } from '../http/route.js';
import { valid } from '../http/zod-pipe.js';
import { ContactsService } from './contacts.service.js';

@Controller()
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Route(ROUTES.listContacts)
  async list(
    @CurrentCaller() caller: Caller,
    @Query(valid(ROUTES.listContacts.query)) query: z.output<typeof ROUTES.listContacts.query>,
  ): Promise<ContactList> {
    return { items: await this.contacts.list(caller.userId, query.q) };
  }

  @Route(ROUTES.addContact)
  add(
    @CurrentCaller() caller: Caller,
    @Body(valid(ROUTES.addContact.body)) body: z.output<typeof ROUTES.addContact.body>,
  ): Promise<Contact> {
    return this.contacts.add(caller.userId, body);
  }

  @Route(ROUTES.removeContact)
  async remove(
    @CurrentCaller() caller: Caller,
    @Param(valid(ROUTES.removeContact.params)) params: z.output<typeof ROUTES.removeContact.params>,
  ): Promise<void> {
    await this.contacts.remove(caller.userId, params.userId);
  }
}
