import { Controller, Header } from '@nestjs/common';
import { Route } from '../http/route.js';
import { openApiDocument } from './openapi.js';

export const DOCS_PATH = '/api/docs';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Parley API</title>
<link rel="stylesheet" href="${DOCS_PATH}/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="${DOCS_PATH}/assets/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/init.js"></script></body>
</html>`;

// A file, not an inline script, so the page works under the default Content-Security-Policy.
const INIT = `window.ui = SwaggerUIBundle({ url: '${DOCS_PATH}/openapi.json', dom_id: '#swagger-ui' });`;

const page = (path: string, summary: string) => ({ method: 'GET', path, summary, status: 200, auth: false }) as const;

/** The OpenAPI document and a Swagger UI page for it (assets served from swagger-ui-dist). */
@Controller()
export class DocsController {
  private readonly document = openApiDocument();

  @Route(page(DOCS_PATH, 'API documentation'))
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Route(page(`${DOCS_PATH}/init.js`, 'Swagger UI start-up'))
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  init(): string {
    return INIT;
  }

  @Route(page(`${DOCS_PATH}/openapi.json`, 'OpenAPI document'))
  openapi(): object {
    return this.document;
  }
}
