/**
 * registryListener: the HTTP request listener around Routes — a
 * RegistryError becomes its OCI error body and status, anything else a
 * logged 500; a failure after the headers went out cuts the connection.
 * Shared by main.ts and the in-process specs, so both answer alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError, sendError } from './errors.js';
import type { Routes } from './routes.js';

export function registryListener(routes: Routes, log: (m: string) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    routes.handle(req, res).catch((err) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof RegistryError) return sendError(res, err, req.method === 'HEAD');
      log(`${req.method} ${JSON.stringify(req.url)}: ${(err as Error).stack ?? (err as Error).message}`);
      const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'internal error' }] });
      res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };
}
